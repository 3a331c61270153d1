"""What the record form needs from the database: the choices it offers (named in the
reader's language), who may open it, its one-time nonces, and what changed meanwhile
when a direct edit meets a newer version."""

from __future__ import annotations

import gettext
import uuid
import zoneinfo
from datetime import timedelta
from functools import cache
from typing import Any

import pycountry
from babel import Locale, UnknownLocaleError
from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, col, select

from app.access.principal import Principal, Role
from app.accounts.tokens import token_digest
from app.authorities import history
from app.authorities.documents import content_of, render
from app.authorities.models import Authority
from app.core.i18n import pick
from app.reference.models import Country, Language
from app.reference.service import list_countries, list_instruments, list_types
from app.web.form_models import FormSubmission
from app.web.i18n import UI_LANGUAGES

UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
CHANNELS = ("central_authority", "diplomatic", "direct_judicial", "interpol")
MEANS = ("post", "email", "fax", "secure_platform", "courier")
PHONE_KINDS = ("voice", "fax", "mobile")
KINDS = ("central_authority", "competent_authority", "focal_point")
DUAL_CRIMINALITY = ("required", "not_required", "coercive_measures_only")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NONCE_DAYS = 30


def may_edit(principal: Principal, country: str) -> bool:
    """The secretariat edits every record; a focal point proposes for its States."""
    return principal.role is Role.secretariat or (
        principal.role is Role.focal_point and principal.may_propose_for(country))


def editable_countries(session: Session, principal: Principal) -> list[Country]:
    countries = list_countries(session)
    if principal.role is Role.secretariat:
        return countries
    return [c for c in countries if principal.may_propose_for(c.alpha3)]


def current_record(session: Session, authority_id: uuid.UUID) -> Authority | None:
    return session.get(Authority, authority_id)


def record_content(authority: Authority) -> dict[str, Any]:
    return content_of(render(authority))


@cache
def _zones() -> tuple[str, ...]:
    regional = sorted(z for z in zoneinfo.available_timezones()
                      if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/")))
    return (*regional, "UTC")


def _language_names(lang: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(lang).languages)
    except (UnknownLocaleError, ValueError):
        return {}


def _subdivision_names(alpha2: str, lang: str) -> list[dict[str, str]]:
    translation = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[lang],
                                      fallback=True)
    subdivisions = pycountry.subdivisions.get(country_code=alpha2) or []
    return sorted(({"code": s.code, "name": translation.gettext(s.name)}
                   for s in subdivisions), key=lambda s: (s["name"].casefold(), s["code"]))


def offered_languages(country: Country | None) -> list[str]:
    """The languages a text map offers first: the State's official ones, then the six UN
    languages."""
    official = [tag for tag in (country.official_languages if country else [])]
    return [*official, *(tag for tag in UN_LANGUAGES if tag not in official)]


def form_options(session: Session, country_code: str, lang: str,
                 principal: Principal) -> dict[str, Any]:
    """Every choice of the form, named in the reader's language."""
    prefs = [lang, "en"]
    countries = editable_countries(session, principal)
    country = next((c for c in countries if c.alpha3 == country_code), None) \
        or session.get(Country, country_code)
    cldr = _language_names(lang)
    languages = sorted(
        ({"code": row.code, "name": cldr.get(row.code.replace("-", "_"))
          or pick(row.names, prefs)[1] or row.code}
         for row in session.scalars(select(Language).order_by(col(Language.code)))),
        key=lambda item: (item["name"].casefold(), item["code"]))
    instruments = [{"code": i.code, "name": pick(i.short_names, prefs)[1] or i.code,
                    "articles": [{"article": a.article, "type": a.type_code,
                                  "title": pick(a.title, prefs)[1] or a.type_code}
                                 for a in articles]}
                   for i, articles in list_instruments(session)]
    offered = offered_languages(country)
    names = {item["code"]: item["name"] for item in languages}
    offered_first = [*({"code": tag, "name": names.get(tag, tag)} for tag in offered),
                     *(item for item in languages if item["code"] not in offered)]
    state_zones = list(country.time_zones) if country else []
    return {
        "countries": sorted(({"code": c.alpha3, "name": pick(c.names, prefs)[1] or c.alpha3}
                             for c in countries), key=lambda c: c["name"].casefold()),
        "country_name": (pick(country.names, prefs)[1] if country else None) or country_code,
        "types": [{"code": t.code, "name": pick(t.names, prefs)[1] or t.code}
                  for t in list_types(session)],
        "instruments": instruments,
        "languages": languages,
        "language_names": names,
        "languages_offered_first": offered_first,
        "subdivisions": _subdivision_names(country.alpha2, lang) if country else [],
        "state_zones": state_zones,
        "other_zones": [z for z in _zones() if z not in state_zones],
        "offered": offered,
        "channels": CHANNELS, "means": MEANS, "phone_kinds": PHONE_KINDS, "kinds": KINDS,
        "dual_criminality": DUAL_CRIMINALITY, "weekdays": WEEKDAYS,
        "ui_languages": UI_LANGUAGES,
    }


def versions_apart(session: Session, authority: Authority,
                   version: int) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The record as it was at the version a form was opened on, and as it is now."""
    then = history.revision(session, authority.id, version)
    return (content_of(then.document) if then else None), record_content(authority)


# -- one-time nonces --------------------------------------------------------------------------

def claim_nonce(session: Session, nonce: str, account_id: uuid.UUID) -> bool:
    """Claim the form's nonce in the caller's transaction: True the first time; False when
    a post of the same form got there first (a concurrent one waits for it to commit).
    Nonces older than ``NONCE_DAYS`` are forgotten on the way: nobody resubmits a form a
    month later, and a form that old is no longer the record's state anyway."""
    session.execute(delete(FormSubmission).where(
        col(FormSubmission.created_at) < func.now() - timedelta(days=NONCE_DAYS)))
    claimed = session.execute(
        pg_insert(FormSubmission).values(nonce_digest=token_digest(nonce),
                                         account_id=account_id)
        .on_conflict_do_nothing(index_elements=["nonce_digest"])
        .returning(col(FormSubmission.nonce_digest))
    ).first()
    return claimed is not None


def record_outcome(session: Session, nonce: str, outcome: str) -> None:
    row = session.get(FormSubmission, token_digest(nonce))
    assert row is not None, "the nonce is claimed first"
    row.outcome = outcome
    session.add(row)
    session.flush()


def earlier_outcome(session: Session, nonce: str, account_id: uuid.UUID) -> str | None:
    """Where the first post of this form led (for this person), if it was sent."""
    row = session.get(FormSubmission, token_digest(nonce))
    if row is None or row.account_id != account_id:
        return None
    return row.outcome
