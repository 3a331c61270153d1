"""History: every version of a record, with who, when, why and what changed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.access.principal import Principal
from app.authorities.documents import View, format_timestamp, view_of
from app.changes.models import Revision

_OUTPUT_ONLY = {"version", "updated_at"}


def revisions(session: Session, authority_id: uuid.UUID) -> Sequence[Revision]:
    return session.scalars(
        select(Revision).where(col(Revision.authority_id) == authority_id)
        .order_by(col(Revision.version))
    ).all()


def revision(session: Session, authority_id: uuid.UUID, version: int) -> Revision | None:
    return session.scalars(
        select(Revision).where(col(Revision.authority_id) == authority_id,
                               col(Revision.version) == version)
    ).one_or_none()


def visible_versions(revisions: Sequence[Revision], principal: Principal) -> list[dict[str, Any]]:
    """The history entries a caller may see, oldest first.

    A caller limited to some countries sees only the versions in which the record
    belonged to one of them.  Each diff is taken against the last entry shown, so it
    holds no value from a version the caller may not see.  The public view shows the
    first version and the versions that changed a public field, without who or why.
    """
    public = principal.view is View.public
    entries: list[dict[str, Any]] = []
    shown: dict[str, Any] | None = None
    for rev in revisions:
        if not principal.may_see_country(rev.document["country"]):
            continue
        document = view_of(rev.document, principal.view)
        changes = diff(shown, document) if shown is not None else []
        if public and shown is not None and not changes:
            continue
        entries.append({
            "version": rev.version,
            "at": format_timestamp(rev.created_at) if rev.created_at else None,
            "actor": None if public else rev.actor,
            "role": None if public else rev.actor_role,
            "reason": None if public else rev.reason,
            "changes": changes,
        })
        shown = document
    return entries


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def diff(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Field-level differences as JSON Pointers with the old and new values.

    Objects are compared key by key and lists element by element, so a changed phone
    number shows up as ``/phones/0/number`` rather than as a whole new list.
    """
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[dict[str, Any]] = []
        for key in [*before.keys(), *(k for k in after if k not in before)]:
            if not path and key in _OUTPUT_ONLY:
                continue
            changes += diff(before.get(key), after.get(key), f"{path}/{_escape(key)}")
        return changes
    if isinstance(before, list) and isinstance(after, list):
        changes = []
        for index in range(max(len(before), len(after))):
            old = before[index] if index < len(before) else None
            new = after[index] if index < len(after) else None
            changes += diff(old, new, f"{path}/{index}")
        return changes
    if before == after:
        return []
    return [{"path": path, "old": before, "new": after}]
