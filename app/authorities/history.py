"""History: every version of a record, with who, when, why and what changed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

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
