"""Loading reference data into the database and reading it back."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from app.core.problems import FieldError, Problem
from app.networks.service import seed_networks
from app.reference.data import CountryRef, ReferenceData, read_json
from app.reference.models import Article, Country, DesignationType, Instrument, Language


def _upsert(session: Session, model: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    if not rows:
        return
    stmt = insert(model).values(rows)
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    session.execute(stmt.on_conflict_do_update(index_elements=keys, set_=updates))


def seed_reference(session: Session) -> dict[str, int]:
    """Upsert every reference table from seed_data/reference (idempotent)."""
    countries = [
        {k: c[k] for k in ("alpha3", "alpha2", "numeric", "region", "subregion", "names",
                           "official_languages", "time_zones")}
        for c in read_json("countries.json")
    ]
    languages = [{"code": x["code"], "names": x["names"]} for x in read_json("languages.json")]
    types = [
        {"code": t["code"], "core": t["core"], "names": t["names"], "synonyms": t["synonyms"]}
        for t in read_json("designation_types.json")
    ]
    instruments_raw = read_json("instruments.json")
    instruments = [
        {"code": i["code"], "names": i["names"], "short_names": i["short_names"],
         "adopted": date.fromisoformat(i["adopted"]) if i.get("adopted") else None}
        for i in instruments_raw
    ]
    articles = [
        {"instrument_code": i["code"], "article": a["article"], "type_code": a["type"],
         "title": a.get("title") or {}}
        for i in instruments_raw for a in i["articles"]
    ]
    _upsert(session, Country, countries, ["alpha3"])
    _upsert(session, Language, languages, ["code"])
    _upsert(session, DesignationType, types, ["code"])
    _upsert(session, Instrument, instruments, ["code"])
    _upsert(session, Article, articles, ["instrument_code", "article"])
    networks = seed_networks(session)
    return {"countries": len(countries), "languages": len(languages), "types": len(types),
            "instruments": len(instruments), "articles": len(articles), "networks": networks}


def load_reference(session: Session) -> ReferenceData:
    ref = ReferenceData()
    for c in session.scalars(select(Country)):
        ref.countries[c.alpha3] = CountryRef(c.alpha3, c.alpha2, tuple(c.time_zones))
    ref.types = set(session.scalars(select(col(DesignationType.code))))
    ref.instruments = set(session.scalars(select(col(Instrument.code))))
    for a in session.scalars(select(Article)):
        ref.articles[(a.instrument_code, a.article)] = a.type_code
    return ref


def list_countries(session: Session) -> list[Country]:
    return list(session.scalars(select(Country).order_by(Country.alpha3)))


def get_country(session: Session, code: str) -> Country | None:
    code = code.strip().upper()
    if len(code) == 3:
        return session.get(Country, code)
    if len(code) == 2:
        return session.scalars(select(Country).where(Country.alpha2 == code)).one_or_none()
    return None


def list_instruments(session: Session) -> list[tuple[Instrument, list[Article]]]:
    instruments = session.scalars(
        select(Instrument).order_by(Instrument.adopted, Instrument.code)  # type: ignore[arg-type]
    ).all()
    articles = session.scalars(select(Article).order_by(Article.id)).all()  # type: ignore[arg-type]
    return [(i, [a for a in articles if a.instrument_code == i.code]) for i in instruments]


def list_types(session: Session) -> list[DesignationType]:
    return list(session.scalars(select(DesignationType).order_by(DesignationType.code)))


_REFERENCE_TTL_SECONDS = 60.0
_reference_cache: tuple[float, ReferenceData] | None = None


def load_reference_cached(session: Session) -> ReferenceData:
    """Reference data, re-read at most once a minute (it changes only when seeded)."""
    global _reference_cache
    now = time.monotonic()
    if _reference_cache is None or now - _reference_cache[0] > _REFERENCE_TTL_SECONDS:
        _reference_cache = (now, load_reference(session))
    return _reference_cache[1]


def cached_reference() -> ReferenceData | None:
    """The reference data if read within the last minute, without touching the database
    (None: never read, or due to be read again)."""
    cache = _reference_cache
    if cache is None or time.monotonic() - cache[0] > _REFERENCE_TTL_SECONDS:
        return None
    return cache[1]


def invalidate_reference_cache() -> None:
    global _reference_cache
    _reference_cache = None


def resolve_filters(
    source: Session | ReferenceData,
    countries: list[str],
    type_: str | None = None,
    instrument: str | None = None,
    article: str | None = None,
    loc: tuple[str, ...] = ("query", "country"),
    detail: str = "invalid filter(s)",
) -> list[str]:
    """Country codes (alpha-2 or alpha-3, any case) as alpha-3, checking the type,
    instrument and article named alongside; a 422 lists every unknown value.  The
    reference data are given, or read (cached) through the session."""
    reference = source if isinstance(source, ReferenceData) else load_reference_cached(source)
    errors: list[FieldError] = []
    resolved = []
    for i, code in enumerate(countries):
        country = reference.country_by_any_code(code)
        if country is None:
            errors.append(FieldError((*loc, i), f"unknown country {code!r}", "country"))
        else:
            resolved.append(country.alpha3)
    if type_ is not None and type_ not in reference.types:
        errors.append(FieldError(("query", "type"), f"unknown designation type {type_!r}",
                                 "enum"))
    if instrument is not None and instrument not in reference.instruments:
        errors.append(FieldError(("query", "instrument"), f"unknown instrument {instrument!r}",
                                 "enum"))
    if article is not None and not any(a == article for (_, a) in reference.articles):
        errors.append(FieldError(("query", "article"), f"unknown article {article!r}", "enum"))
    if errors:
        raise Problem(status=422, title="Invalid request", detail=detail, errors=errors)
    return resolved
