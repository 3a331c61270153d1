"""Validated writes through the API: create, replace, merge-patch, withdraw.

The same validator as import (``validate_record``), the same save path
(``save_record``: row + revision + change row in one transaction).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlmodel import Session

from app.authorities.documents import content_of, render
from app.authorities.models import Authority
from app.authorities.schemas import AuthorityIn, RecordInvalid, validate_record
from app.authorities.service import Actor, SaveResult, find_existing, get_authority, save_record
from app.core.merge_patch import apply_merge_patch
from app.core.problems import FieldError, Problem, ValidationFailed, not_found
from app.reference.service import load_reference_cached

_ETAG_VERSION = re.compile(r'^(?:W/)?"(\d+)-[a-z]+"$')


def required_version(if_match: str | None) -> int:
    """The version an ``If-Match`` header names: 428 when absent, 412 when unusable."""
    if if_match is None or not if_match.strip():
        raise Problem(status=428, detail="send If-Match with the record's ETag, so that no "
                                         "concurrent change is silently overwritten")
    match = _ETAG_VERSION.match(if_match.strip())
    if match is None:
        raise Problem(status=412, detail="If-Match does not name a version of this record")
    return int(match.group(1))


def validated(session: Session, data: Any) -> AuthorityIn:
    try:
        return validate_record(data, load_reference_cached(session))
    except RecordInvalid as exc:
        raise ValidationFailed(exc.errors) from None


def _existing(session: Session, authority_id: uuid.UUID) -> Authority:
    authority = get_authority(session, authority_id)
    if authority is None:
        raise not_found(f"authority {authority_id}")
    return authority


def create(session: Session, data: Any, actor: Actor, reason: str | None) -> SaveResult:
    record = validated(session, data)
    if find_existing(session, record) is not None:
        raise Problem(status=409, detail="a record with this id, or this country and ref, "
                                         "already exists; use PUT or PATCH to change it")
    return save_record(session, record, actor, reason=reason)


def _same_id(data: Any, authority_id: uuid.UUID) -> None:
    if isinstance(data, dict) and data.get("id") not in (None, str(authority_id)):
        raise ValidationFailed([FieldError(("id",), "must match the id in the URL", "id")])


def replace(session: Session, authority_id: uuid.UUID, data: Any, version: int, actor: Actor,
            reason: str | None) -> SaveResult:
    authority = _existing(session, authority_id)
    _same_id(data, authority_id)
    if not isinstance(data, dict):
        raise ValidationFailed([FieldError((), "a record must be a JSON object", "type")])
    record = validated(session, {**data, "id": str(authority.id)})
    return save_record(session, record, actor, reason=reason, expected_version=version)


def patch(session: Session, authority_id: uuid.UUID, merge_patch: Any, version: int,
          actor: Actor, reason: str | None) -> SaveResult:
    authority = _existing(session, authority_id)
    if not isinstance(merge_patch, dict):
        raise ValidationFailed([FieldError((), "a merge patch must be a JSON object", "type")])
    _same_id(merge_patch, authority_id)
    merged = apply_merge_patch(content_of(render(authority)), merge_patch)
    record = validated(session, {**merged, "id": str(authority.id)})
    return save_record(session, record, actor, reason=reason, expected_version=version)


def withdraw(session: Session, authority_id: uuid.UUID, version: int | None, actor: Actor,
             reason: str) -> SaveResult:
    authority = _existing(session, authority_id)
    content: dict[str, Any] = {**content_of(render(authority)), "status": "withdrawn",
                               "id": str(authority.id)}
    record = validated(session, content)
    return save_record(session, record, actor, reason=reason, expected_version=version)
