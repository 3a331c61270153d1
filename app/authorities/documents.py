"""Turning rows into interchange documents, and the views callers are allowed to see."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from app.authorities.models import Authority
from app.authorities.schemas import AuthorityIn
from app.authorities.shape import Shape, ordered, record_shape, shaped

OUTPUT_ONLY = ("id", "version", "updated_at")


class View(StrEnum):
    """What a caller may see: anonymous callers get the public view."""

    public = "public"
    full = "full"


def canonical_content(record: AuthorityIn) -> dict[str, Any]:
    """The record's content as stored: every field present, defaults filled in."""
    return record.model_dump(mode="json", exclude={"id", "version", "updated_at"})


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _json_value(value: Any) -> Any:
    """A column's value as the interchange format writes it."""
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list):
        return list(value)
    return value


def _from_row(row: Any, shape: Shape) -> dict[str, Any]:
    """The document of one row (an authority, or a child row), field by field of the
    model; a nested object stored as JSONB is completed and put in the model's order."""
    nested = {n.key: n for n in shape.nested}
    document: dict[str, Any] = {}
    for key in shape.keys:
        value = getattr(row, key)
        inner = nested.get(key)
        if inner is None:
            document[key] = _json_value(value)
        elif inner.many:
            document[key] = [_from_part(v, inner.shape) for v in value]
        else:
            document[key] = None if value is None else _from_part(value, inner.shape)
    return document


def _from_part(value: Any, shape: Shape) -> Any:
    return ordered(value, shape) if isinstance(value, dict) else _from_row(value, shape)


def render(a: Authority) -> dict[str, Any]:
    """The full document of a stored authority, keys in interchange order."""
    assert a.updated_at is not None, "render() needs a flushed row"
    return _from_row(a, record_shape())


def content_of(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in OUTPUT_ONLY}


def view_of(document: dict[str, Any], view: View) -> dict[str, Any]:
    """The record as the caller's view may see it, keys in interchange order (the one
    place records are redacted: app/authorities/shape.py).

    The public view drops named contacts and every restricted phone and e-mail.
    """
    return shaped(document, public=view is View.public)
