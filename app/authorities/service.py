"""Reading and writing authority records.  All SQL for authorities lives here."""

from __future__ import annotations

import base64
import binascii
import json
import typing
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Subquery, and_, exists, func, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from app.authorities.documents import OUTPUT_ONLY, canonical_content, content_of, render
from app.authorities.models import Authority, Contact, Designation, Email, Phone
from app.authorities.schemas import AuthorityIn
from app.authorities.shape import Shape, record_shape
from app.changes.models import Change, Revision
from app.core.problems import FieldError, Problem
from app.db.reads import rows_of_one_statement
from app.search.indexing import refresh_search_document


class Outcome(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as recorded in history."""

    name: str
    role: str


SYSTEM_SEED = Actor(name="seed", role="system")


@dataclass
class SaveResult:
    outcome: Outcome
    authority: Authority


# The child rows of a record: a list of the model whose items are rows of their own table.
_ROWS_OF: dict[str, type[SQLModel]] = {"phones": Phone, "emails": Email,
                                       "designations": Designation, "contacts": Contact}


@cache
def _is_date_column(table: type[SQLModel], key: str) -> bool:
    annotation = table.model_fields[key].annotation
    return date in (annotation, *typing.get_args(annotation))


def _row_fields(table: type[SQLModel], content: dict[str, Any], shape: Shape,
                authority_id: uuid.UUID) -> dict[str, Any]:
    """The column values of one row holding ``content`` (an object of the record's shape),
    its child rows built, in position order; dates parsed."""
    lists = {n.key for n in shape.nested if n.many and n.key in _ROWS_OF}
    nested = {n.key: n.shape for n in shape.nested}
    fields: dict[str, Any] = {}
    for key in shape.keys:
        if key in OUTPUT_ONLY:
            continue
        value = content[key]
        if key in lists:
            child = _ROWS_OF[key]
            value = [child(authority_id=authority_id, position=i,
                           **_row_fields(child, item, nested[key], authority_id))
                     for i, item in enumerate(value)]
        elif isinstance(value, str) and _is_date_column(table, key):
            value = date.fromisoformat(value)
        fields[key] = value
    return fields


def _fill(authority: Authority, content: dict[str, Any]) -> None:
    """Make the rows of ``authority`` hold exactly ``content`` (children are replaced)."""
    fields = _row_fields(Authority, content, record_shape(), authority.id)
    for key, value in fields.items():
        setattr(authority, key, value)


def find_existing(session: Session, record: AuthorityIn, lock: bool = False) -> Authority | None:
    """Match by ``id``, else by ``country`` + ``ref`` (the import rule)."""
    stmt = select(Authority)
    if record.id is not None:
        stmt = stmt.where(col(Authority.id) == record.id)
    elif record.ref is not None:
        stmt = stmt.where(col(Authority.country) == record.country,
                         col(Authority.ref) == record.ref)
    else:
        return None
    if lock:
        # populate_existing: an object already in the session must be refreshed from the
        # locked row, or a version read before the lock would be checked.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalars(stmt).one_or_none()


def ref_owner(session: Session, country: str, ref: str | None) -> uuid.UUID | None:
    if ref is None:
        return None
    return session.scalars(
        select(Authority.id).where(col(Authority.country) == country, col(Authority.ref) == ref)
    ).one_or_none()


def save_record(
    session: Session,
    record: AuthorityIn,
    actor: Actor,
    reason: str | None = None,
    expected_version: int | None = None,
) -> SaveResult:
    """Create or update one validated record, with its revision and change row.

    A record whose content equals what is stored is left alone: no new version, no
    change row.  The caller owns the transaction.
    """
    content = canonical_content(record)
    existing = find_existing(session, record, lock=True)
    if existing is not None and expected_version is not None \
            and existing.version != expected_version:
        raise Problem(status=412, detail=f"the record is at version {existing.version}, "
                                         f"not {expected_version}")
    if existing is None:
        owner = ref_owner(session, record.country, record.ref)
        if owner is not None:
            raise Problem(status=409, detail=f"ref {record.ref!r} of {record.country} already "
                                             f"belongs to authority {owner}",
                          errors=[FieldError(("ref",), "already used in this country",
                                             "conflict")])
        authority = Authority(id=record.id or uuid.uuid4(), version=1, kind=content["kind"],
                              country=content["country"], name=content["name"],
                              status=content["status"])
        _fill(authority, content)
        session.add(authority)
        outcome = Outcome.created
    else:
        if content_of(render(existing)) == content:
            return SaveResult(Outcome.unchanged, existing)
        if existing.ref != record.ref or existing.country != record.country:
            owner = ref_owner(session, record.country, record.ref)
            if owner is not None and owner != existing.id:
                raise Problem(status=409, detail=f"ref {record.ref!r} of {record.country} "
                                                 f"already belongs to authority {owner}",
                              errors=[FieldError(("ref",), "already used in this country",
                                                 "conflict")])
        authority = existing
        _fill(authority, content)
        authority.version = existing.version + 1
        outcome = Outcome.updated
    authority.updated_at = session.scalar(select(func.now()))
    session.flush()
    refresh_search_document(session, authority)
    document = render(authority)
    session.add(Revision(authority_id=authority.id, version=authority.version,
                         document=document, actor=actor.name, actor_role=actor.role,
                         reason=reason))
    session.add(Change(authority_id=authority.id, version=authority.version,
                       op="withdraw" if authority.status == "withdrawn" else "upsert",
                       country=authority.country))
    session.flush()
    return SaveResult(outcome, authority)


def get_authority(session: Session, authority_id: uuid.UUID) -> Authority | None:
    return session.get(Authority, authority_id)


@dataclass(frozen=True)
class VersionStamp:
    """What decides a record's validator and who may see it, without the record."""

    version: int
    country: str


def version_stamp_read(authority_id: uuid.UUID) -> Subquery:
    """The record's version and country as a subquery of at most one row, for a statement
    that reads something else too (``app/access/policy.py``'s read beside a key check)."""
    return (sa_select(col(Authority.version), col(Authority.country))
            .where(col(Authority.id) == authority_id).subquery("version_stamp"))


def stamp_of(values: tuple[Any, ...]) -> VersionStamp | None:
    """The stamp in the values of ``version_stamp_read``; None for no such record."""
    version, country = values
    return None if version is None else VersionStamp(version=version, country=country)


def version_stamp(session: Session, authority_id: uuid.UUID) -> VersionStamp | None:
    """The record's version and country: one row of two columns, no child rows, in one
    round trip; the session is left without a transaction."""
    rows = rows_of_one_statement(session, sa_select(col(Authority.version),
                                                    col(Authority.country))
                                 .where(col(Authority.id) == authority_id))
    return stamp_of(rows[0]) if rows else None


@dataclass
class AuthorityFilters:
    countries: list[str] = field(default_factory=list)
    type: str | None = None
    instrument: str | None = None
    article: str | None = None
    language: str | None = None
    channel: str | None = None
    kind: str | None = None
    status: str | None = "active"
    updated_since: datetime | None = None


def encode_cursor(country: str, authority_id: uuid.UUID) -> str:
    raw = json.dumps([country, str(authority_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        country, authority_id = json.loads(raw)
        if not (isinstance(country, str) and isinstance(authority_id, str)):
            raise ValueError("cursor fields must be strings")
        if len(country) != 3 or not country.isalpha() or not country.isascii():
            raise ValueError("bad country in cursor")
        return country, uuid.UUID(authority_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise Problem(status=422, detail="the cursor is not one this API handed out",
                      errors=[FieldError(("query", "cursor"), "invalid cursor",
                                         "cursor")]) from None


def list_authorities(
    session: Session, filters: AuthorityFilters, limit: int, cursor: str | None
) -> tuple[Sequence[Authority], str | None]:
    """One page in (country, id) order.

    Keyset paging on a unique key: rows inserted while a client pages can never make it
    skip or repeat another row.
    """
    stmt = select(Authority)
    if filters.countries:
        stmt = stmt.where(col(Authority.country).in_(filters.countries))
    if filters.kind:
        stmt = stmt.where(Authority.kind == filters.kind)
    if filters.status:
        stmt = stmt.where(Authority.status == filters.status)
    if filters.updated_since:
        stmt = stmt.where(col(Authority.updated_at) >= filters.updated_since)
    conditions = []
    if filters.type:
        conditions.append(Designation.type == filters.type)
    if filters.instrument:
        conditions.append(Designation.instrument == filters.instrument)
    if filters.article:
        conditions.append(Designation.article == filters.article)
    if filters.language:
        conditions.append(Designation.languages.contains([filters.language]))  # type: ignore[attr-defined]
    if filters.channel:
        conditions.append(Designation.channels.contains([filters.channel]))  # type: ignore[attr-defined]
    if conditions:
        stmt = stmt.where(
            exists().where(Designation.authority_id == Authority.id, and_(*conditions))  # type: ignore[arg-type]
        )
    if cursor:
        after_country, after_id = decode_cursor(cursor)
        stmt = stmt.where(tuple_(Authority.country, Authority.id) > (after_country, after_id))
    stmt = stmt.order_by(Authority.country, Authority.id).limit(limit + 1)  # type: ignore[arg-type]
    rows = list(session.scalars(stmt).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].country, rows[-1].id)
    return rows, next_cursor


def country_summary(session: Session, alpha3: str) -> list[dict[str, Any]]:
    """Active authorities of a country with the types they are designated for."""
    rows = session.execute(
        sa_select(col(Authority.id), col(Authority.name), col(Authority.acronym),
               col(Authority.kind), func.array_agg(func.distinct(Designation.type)))
        .join(Designation, col(Designation.authority_id) == col(Authority.id))
        .where(col(Authority.country) == alpha3, col(Authority.status) == "active")
        .group_by(col(Authority.id))
        .order_by(col(Authority.id))
    ).all()
    return [
        {"id": str(r[0]), "name": r[1], "acronym": r[2], "kind": r[3], "types": sorted(r[4])}
        for r in rows
    ]


def all_authorities(session: Session, batch: int = 500) -> Any:
    """Every record in (country, id) order, fetched in batches (for export)."""
    cursor: str | None = None
    while True:
        rows, cursor = list_authorities(session, AuthorityFilters(status=None), batch, cursor)
        yield from rows
        session.expunge_all()
        if cursor is None:
            return
