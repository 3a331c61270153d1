"""Turning rows into interchange documents, and the views callers are allowed to see."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from app.authorities.models import Authority, Contact, Designation, Email, Phone
from app.authorities.schemas import AuthorityIn

OUTPUT_ONLY = ("id", "version", "updated_at")


class View(StrEnum):
    """What a caller may see: anonymous callers get the public view."""

    public = "public"
    full = "full"


def canonical_content(record: AuthorityIn) -> dict[str, Any]:
    """The record's content as stored: every field present, defaults filled in."""
    return record.model_dump(mode="json", exclude={"id", "version", "updated_at"})


_ADDRESS_KEYS = ("lines", "locality", "region", "postal_code")
_HOURS_KEYS = ("days", "opens", "closes")
_URGENT_KEYS = ("channels", "means", "notes")
_REQUIREMENT_KEYS = ("legal_basis_convention", "dual_criminality", "interpol_requests",
                     "notes")


def _ordered(value: dict[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any] | None:
    """JSONB does not keep key order: put nested objects back in interchange order."""
    if value is None:
        return None
    return {k: value.get(k) for k in keys}


def _phone(p: Phone) -> dict[str, Any]:
    return {"number": p.number, "kind": p.kind, "label": p.label, "restricted": p.restricted}


def _email(e: Email) -> dict[str, Any]:
    return {"address": e.address, "label": e.label, "restricted": e.restricted}


def _designation(d: Designation) -> dict[str, Any]:
    return {
        "type": d.type,
        "instrument": d.instrument,
        "article": d.article,
        "territory": list(d.territory),
        "scope": d.scope,
        "since": d.since.isoformat() if d.since else None,
        "until": d.until.isoformat() if d.until else None,
        "notification": d.notification,
        "languages": list(d.languages),
        "channels": list(d.channels),
        "means": list(d.means),
        "urgent": _ordered(d.urgent, _URGENT_KEYS),
        "requirements": _ordered(d.requirements, _REQUIREMENT_KEYS),
    }


def _contact(c: Contact) -> dict[str, Any]:
    return {
        "name": c.name,
        "title": c.title,
        "phones": [_phone(p) for p in c.phones],
        "emails": [_email(e) for e in c.emails],
        "languages": list(c.languages),
    }


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def render(a: Authority) -> dict[str, Any]:
    """The full document of a stored authority, keys in interchange order."""
    assert a.updated_at is not None, "render() needs a flushed row"
    return {
        "id": str(a.id),
        "ref": a.ref,
        "country": a.country,
        "kind": a.kind,
        "name": a.name,
        "acronym": a.acronym,
        "parent": a.parent,
        "address": _ordered(a.address, _ADDRESS_KEYS),
        "phones": [_phone(p) for p in a.phones],
        "emails": [_email(e) for e in a.emails],
        "website": a.website,
        "time_zone": a.time_zone,
        "office_hours": [_ordered(h, _HOURS_KEYS) for h in a.office_hours],
        "designations": [_designation(d) for d in a.designations],
        "contacts": [_contact(c) for c in a.contacts],
        "notes": a.notes,
        "verified_on": a.verified_on.isoformat() if a.verified_on else None,
        "status": a.status,
        "version": a.version,
        "updated_at": format_timestamp(a.updated_at),
    }


def content_of(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in OUTPUT_ONLY}


def view_of(document: dict[str, Any], view: View) -> dict[str, Any]:
    """Redact a full document for the given view.

    The public view drops named contacts and every restricted phone and e-mail.
    """
    if view is View.full:
        return document
    public = {k: v for k, v in document.items() if k != "contacts"}
    public["phones"] = [p for p in document.get("phones", []) if not p.get("restricted")]
    public["emails"] = [e for e in document.get("emails", []) if not e.get("restricted")]
    return public
