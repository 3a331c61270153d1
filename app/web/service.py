"""What the pages show, built from the same services and views as the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.access.principal import Principal
from app.authorities.documents import render, view_of
from app.authorities.models import Designation
from app.authorities.service import get_authority
from app.core.i18n import pick
from app.reference.models import Language
from app.reference.service import list_countries, list_instruments, list_types
from app.routecard.service import office_status
from app.web.freshness import verified_ago
from app.web.i18n import strings


def _sorted_options(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"code": code, "name": name} for code, name in
            sorted(pairs, key=lambda p: (p[1].casefold(), p[0]))]


def filter_options(session: Session, prefs: list[str]) -> dict[str, Any]:
    """Countries, designation types and the languages in which requests are accepted,
    named in the interface language."""
    countries = _sorted_options([(c.alpha3, pick(c.names, prefs)[1] or c.alpha3)
                                 for c in list_countries(session)])
    types = [{"code": t.code, "name": pick(t.names, prefs)[1] or t.code}
             for t in list_types(session)]
    codes = sorted(session.scalars(
        sa_select(func.unnest(col(Designation.languages))).distinct()).all())
    names = {row.code: row.names for row in
             session.scalars(select(Language).where(col(Language.code).in_(codes)))}
    languages = _sorted_options([(code, pick(names.get(code), prefs)[1] or code)
                                 for code in codes])
    return {"countries": countries, "types": types, "languages": languages}


def labels(session: Session, prefs: list[str]) -> dict[str, dict[str, str]]:
    """Names for codes shown on a page: countries, types, instruments, languages."""
    return {
        "country": {c.alpha3: pick(c.names, prefs)[1] or c.alpha3
                    for c in list_countries(session)},
        "type": {t.code: pick(t.names, prefs)[1] or t.code for t in list_types(session)},
        "instrument": {i.code: pick(i.short_names, prefs)[1] or i.code
                       for i, _ in list_instruments(session)},
        "language": {row.code: pick(row.names, prefs)[1] or row.code
                     for row in session.scalars(select(Language))},
    }


def record_page(session: Session, authority_id: uuid.UUID, principal: Principal,
                prefs: list[str], now: datetime) -> dict[str, Any] | None:
    """The record in the caller's view, with its texts picked for the reader."""
    authority = get_authority(session, authority_id)
    if authority is None or not principal.may_see_country(authority.country):
        return None
    return document_page(view_of(render(authority), principal.view), prefs, now)


def document_page(doc: dict[str, Any], prefs: list[str], now: datetime) -> dict[str, Any]:
    """A document (already in the caller's view) as the record template shows it."""

    def text(value: dict[str, str] | None) -> str | None:
        return pick(value, prefs)[1]

    tag, name = pick(doc["name"], prefs)
    return {
        "doc": doc, "name": name, "name_lang": tag, "parent": text(doc.get("parent")),
        "notes": text(doc.get("notes")),
        "other_names": [(k, v) for k, v in doc["name"].items() if k != tag],
        "designations": [{**d, "scope_text": text(d.get("scope")),
                          "urgent_notes": text((d.get("urgent") or {}).get("notes")),
                          "requirement_notes": text((d.get("requirements") or {})
                                                    .get("notes"))}
                         for d in doc["designations"]],
        "contacts": [{**c, "title_text": text(c.get("title"))}
                     for c in doc.get("contacts") or []],
        "full_view": "contacts" in doc,
        "office": office_status(doc.get("office_hours") or [], doc.get("time_zone"), now),
        "verified_ago": verified_ago(doc.get("verified_on"), now.astimezone(UTC).date(),
                                     prefs[0], strings(prefs[0])["verified_today"]),
    }
