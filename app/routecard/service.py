"""Building a route card from the stored records and reference data.  SQL lives here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from sqlalchemy import exists
from sqlmodel import Session, col, select

from app.access.principal import Principal
from app.authorities.documents import render, view_of
from app.authorities.models import Authority, Designation
from app.core.i18n import pick
from app.core.problems import FieldError, Problem
from app.networks.service import network_out, shared_networks
from app.reference.models import Country, DesignationType, Instrument, Language

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MLA = "mutual_legal_assistance"


@dataclass(frozen=True)
class RouteQuery:
    requesting: str  # alpha-3 or alpha-2, as given
    requested: str
    type: str
    at: datetime
    instrument: str | None = None
    region: str | None = None


@dataclass
class _Context:
    """Reference rows and the caller's language preferences."""

    prefs: list[str]
    types: dict[str, DesignationType]
    instruments: dict[str, Instrument]
    language_names: dict[str, dict[str, str]]

    def type_out(self, code: str) -> dict[str, Any]:
        row = self.types.get(code)
        return {"code": code, "name": pick(row.names, self.prefs)[1] if row else None}

    def language(self, code: str) -> dict[str, Any]:
        names = self.language_names.get(code) or self.language_names.get(_primary(code))
        return {"code": code, "name": pick(names, self.prefs)[1] if names else None}

    def text(self, value: dict[str, str] | None) -> str | None:
        return pick(value, self.prefs)[1]


def _primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def _country(session: Session, code: str, field: str) -> Country:
    code = code.strip().upper()
    row = None
    if len(code) == 3:
        row = session.get(Country, code)
    elif len(code) == 2:
        row = session.scalars(select(Country).where(col(Country.alpha2) == code)).one_or_none()
    if row is None:
        raise Problem(status=422, title="Invalid request", detail="invalid parameter(s)",
                      errors=[FieldError(("query", field), f"unknown country {code!r}",
                                         "country")])
    return row


def _validate(session: Session, q: RouteQuery) -> tuple[Country, Country, str | None]:
    errors: list[FieldError] = []
    requesting = _country(session, q.requesting, "from")
    requested = _country(session, q.requested, "to")
    if session.get(DesignationType, q.type) is None:
        errors.append(FieldError(("query", "type"), f"unknown designation type {q.type!r}",
                                 "enum"))
    if q.instrument is not None and session.get(Instrument, q.instrument) is None:
        errors.append(FieldError(("query", "instrument"),
                                 f"unknown instrument {q.instrument!r}", "enum"))
    region = None
    if q.region is not None:
        region = q.region.strip().upper()
        sub = pycountry.subdivisions.get(code=region)
        if sub is None or not region.startswith(requested.alpha2 + "-"):
            errors.append(FieldError(("query", "region"),
                                     f"{q.region!r} is not an ISO 3166-2 subdivision of "
                                     f"{requested.alpha3}", "subdivision"))
    if errors:
        raise Problem(status=422, title="Invalid request", detail="invalid parameter(s)",
                      errors=errors)
    return requesting, requested, region


def _context(session: Session, prefs: list[str], language_codes: set[str]) -> _Context:
    wanted = language_codes | {_primary(c) for c in language_codes}
    languages = {row.code: row.names for row in
                 session.scalars(select(Language).where(col(Language.code).in_(wanted)))}
    return _Context(
        prefs=prefs,
        types={t.code: t for t in session.scalars(select(DesignationType))},
        instruments={i.code: i for i in session.scalars(select(Instrument))},
        language_names=languages,
    )


def _authorities_with_type(session: Session, country: str, type_: str | None
                           ) -> list[dict[str, Any]]:
    """Full documents of the active authorities of ``country`` (with a designation of
    ``type_`` when given), in a stable order."""
    stmt = select(Authority).where(col(Authority.country) == country,
                                   col(Authority.status) == "active")
    if type_ is not None:
        stmt = stmt.where(exists().where(col(Designation.authority_id) == col(Authority.id),
                                         col(Designation.type) == type_))
    return [render(a) for a in session.scalars(stmt.order_by(col(Authority.id)))]


def _in_effect(d: dict[str, Any], day: date) -> bool:
    since = date.fromisoformat(d["since"]) if d.get("since") else None
    until = date.fromisoformat(d["until"]) if d.get("until") else None
    return (since is None or since <= day) and (until is None or day <= until)


def _covers(d: dict[str, Any], region: str | None) -> bool:
    territory = d.get("territory") or []
    return region is None or not territory or region in territory


def _languages(accepted: list[str], official: list[str], ctx: _Context) -> dict[str, Any]:
    accepted_primary = {_primary(a) for a in accepted}
    common = [o for o in official if _primary(o) in accepted_primary]
    return {
        "accepted": [ctx.language(c) for c in accepted],
        "requesting_state_official": [ctx.language(c) for c in official],
        "official_accepted": [ctx.language(c) for c in common],
        "translation_needed": not common,
        "translate_into": [] if common else [ctx.language(c) for c in accepted],
    }


def _designation_card(d: dict[str, Any], official: list[str], ctx: _Context
                      ) -> dict[str, Any]:
    instrument = ctx.instruments.get(d["instrument"])
    urgent = d.get("urgent")
    requirements = d.get("requirements") or {}
    return {
        "type": ctx.type_out(d["type"]),
        "instrument": {
            "code": d["instrument"],
            "name": ctx.text(instrument.names) if instrument else None,
            "short_name": ctx.text(instrument.short_names) if instrument else None,
        },
        "article": d["article"],
        "territory": d.get("territory") or [],
        "scope": ctx.text(d.get("scope")),
        "since": d.get("since"),
        "languages": _languages(d.get("languages") or [], official, ctx),
        "channels": {
            "normal": {"channels": d.get("channels") or [], "means": d.get("means") or []},
            "urgent": None if not urgent else {
                "channels": urgent.get("channels") or [], "means": urgent.get("means") or [],
                "notes": ctx.text(urgent.get("notes")),
            },
        },
        "requirements": {
            "legal_basis_convention": requirements.get("legal_basis_convention"),
            "dual_criminality": requirements.get("dual_criminality"),
            "interpol_requests": requirements.get("interpol_requests"),
            "notes": ctx.text(requirements.get("notes")),
        },
    }


def office_status(office_hours: list[dict[str, Any]], zone: str | None, at: datetime
                  ) -> dict[str, Any]:
    """Local time at ``at`` in the office's zone, whether it is open, and the next opening
    or closing.  Unknown hours or zone give ``open_now: None``."""
    out: dict[str, Any] = {"time_zone": zone, "hours": office_hours, "local_time": None,
                           "open_now": None, "closes_at": None, "next_opening": None}
    if not zone:
        return out
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return out
    local = at.astimezone(tz)
    out["local_time"] = local.isoformat(timespec="minutes")
    if not office_hours:
        return out

    def spans(day: date) -> list[tuple[datetime, datetime]]:
        code = DAYS[day.weekday()]
        result = []
        for h in office_hours:
            if code in h.get("days", []):
                opens = datetime.combine(day, time.fromisoformat(h["opens"]), tz)
                closes = datetime.combine(day, time.fromisoformat(h["closes"]), tz)
                result.append((opens, closes))
        return sorted(result)

    out["open_now"] = False
    for opens, closes in spans(local.date()):
        if opens <= local < closes:
            out["open_now"] = True
            out["closes_at"] = closes.isoformat(timespec="minutes")
            return out
    for offset in range(8):
        for opens, _ in spans(local.date() + timedelta(days=offset)):
            if opens > local:
                out["next_opening"] = opens.isoformat(timespec="minutes")
                return out
    return out


def _summary(doc: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    tag, name = pick(doc["name"], ctx.prefs)
    return {"id": doc["id"], "name": name, "name_lang": tag, "acronym": doc.get("acronym"),
            "kind": doc["kind"]}


def _alternatives(docs: list[dict[str, Any]], mla_docs: list[dict[str, Any]],
                  q: RouteQuery, requesting: Country, requested: Country,
                  region: str | None, ctx: _Context) -> list[dict[str, Any]]:
    day = q.at.date()
    found: list[dict[str, Any]] = []

    def add(reason: str, doc: dict[str, Any], d: dict[str, Any]) -> None:
        params = {"from": requesting.alpha3, "to": requested.alpha3, "type": d["type"],
                  "instrument": d["instrument"]}
        if region and _covers(d, region):
            params["region"] = region
        found.append({"reason": reason, "authority": _summary(doc, ctx),
                      "type": ctx.type_out(d["type"]), "instrument": d["instrument"],
                      "article": d["article"], "territory": d.get("territory") or [],
                      "route": "/v1/route?" + urlencode(params)})

    for doc in docs:  # the same type, under another instrument or for another territory
        for d in doc["designations"]:
            if d["type"] != q.type or not _in_effect(d, day):
                continue
            if q.instrument and d["instrument"] != q.instrument and _covers(d, region):
                add("same_type_other_instrument", doc, d)
            elif not _covers(d, region) and (not q.instrument
                                             or d["instrument"] == q.instrument):
                add("same_type_other_territory", doc, d)
    if q.type != MLA:
        central = [doc for doc in mla_docs if doc["kind"] == "central_authority"] or mla_docs
        for doc in central:
            d = next((d for d in doc["designations"] if d["type"] == MLA
                      and _in_effect(d, day) and _covers(d, region)), None)
            if d is not None:
                add("mla_central_authority", doc, d)
    return found


def route_card(session: Session, q: RouteQuery, principal: Principal, prefs: list[str]
               ) -> dict[str, Any]:
    """The route card; a 404 Problem listing the nearest alternatives when nothing is
    designated for that type (and instrument, and region)."""
    requesting, requested, region = _validate(session, q)
    visible = principal.may_see_country(requested.alpha3)
    docs = _authorities_with_type(session, requested.alpha3, q.type) if visible else []
    docs = [view_of(doc, principal.view) for doc in docs]
    day = q.at.date()
    language_codes = set(requesting.official_languages)
    for doc in docs:
        for d in doc["designations"]:
            language_codes.update(d.get("languages") or [])
    ctx = _context(session, prefs, language_codes)
    official = list(requesting.official_languages)

    cards = []
    for doc in docs:
        matching = [d for d in doc["designations"]
                    if d["type"] == q.type and _in_effect(d, day) and _covers(d, region)
                    and (q.instrument is None or d["instrument"] == q.instrument)]
        if not matching:
            continue
        # With a region, designations limited to it come first; without one, those for
        # the whole State do (the limited ones follow, with their territory).
        def rank(d: dict[str, Any]) -> int:
            limited = bool(d.get("territory"))
            return int(not limited) if region else int(limited)

        matching.sort(key=rank)
        cards.append((min(rank(d) for d in matching), {
            **_summary(doc, ctx),
            "parent": ctx.text(doc.get("parent")),
            "country": doc["country"],
            "address": doc.get("address"),
            "phones": doc.get("phones") or [],
            "emails": doc.get("emails") or [],
            "website": doc.get("website"),
            "contacts": doc.get("contacts"),  # absent in the public view
            "notes": ctx.text(doc.get("notes")),
            "verified_on": doc.get("verified_on"),
            "office_hours": office_status(doc.get("office_hours") or [], doc.get("time_zone"),
                                          q.at),
            "designations": [_designation_card(d, official, ctx) for d in matching],
        }))
    cards.sort(key=lambda c: c[0])
    authorities = [c for _, c in cards]
    for card in authorities:
        if card["contacts"] is None:
            del card["contacts"]

    to_name = pick(requested.names, prefs)
    from_name = pick(requesting.names, prefs)
    if not authorities:
        mla_docs = []
        if visible and q.type != MLA:
            mla_docs = [view_of(doc, principal.view)
                        for doc in _authorities_with_type(session, requested.alpha3, MLA)]
        alternatives = (_alternatives(docs, mla_docs, q, requesting, requested, region, ctx)
                        if visible else [])
        what = ctx.type_out(q.type)["name"] or q.type
        where = f"{to_name[1]}" + (f" ({region})" if region else "")
        raise Problem(
            status=404, title="No designated authority",
            type="https://cna-directory.example.org/problems/no-route",
            detail=f"nothing is designated for {what}"
                   + (f" under {q.instrument}" if q.instrument else "") + f" in {where}",
            extra={"alternatives": alternatives},
        )
    networks = shared_networks(session, requesting.alpha3, requested.alpha3)
    return {
        "from": {"code": requesting.alpha3, "name": from_name[1], "name_lang": from_name[0],
                 "official_languages": [ctx.language(c) for c in official]},
        "to": {"code": requested.alpha3, "name": to_name[1], "name_lang": to_name[0]},
        "type": ctx.type_out(q.type),
        "instrument": q.instrument,
        "region": region,
        "at": q.at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "authorities": authorities,
        "shared_networks": [network_out(n, None, prefs) for n in networks],
    }
