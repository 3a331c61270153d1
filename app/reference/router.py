"""Countries and instruments."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Path, Request, Response

from app.access.policy import readers
from app.access.principal import Principal
from app.api.deps import LanguagesDep, SessionDep
from app.api.responses import json_response
from app.authorities.service import country_summary
from app.core.errors import problem_responses
from app.core.i18n import pick
from app.core.problems import not_found
from app.networks.service import list_networks, network_out
from app.reference import service
from app.reference.data import FORMAT_VERSION, article_citations, instrument_kinds
from app.reference.models import Country
from app.reference.schemas import CountryDetail, CountryList, InstrumentList

router = APIRouter(prefix="/v1", tags=["reference"])


def country_out(country: Country, prefs: list[str]) -> dict[str, Any]:
    tag, name = pick(country.names, prefs)
    return {
        "code": country.alpha3, "alpha2": country.alpha2, "numeric": country.numeric,
        "name": name, "name_lang": tag, "region": country.region,
        "subregion": country.subregion, "official_languages": country.official_languages,
        "time_zones": country.time_zones,
    }


@router.get("/countries", response_model=CountryList, responses=problem_responses(422))
def list_countries(
    request: Request,
    session: SessionDep,
    languages: LanguagesDep,
    caller: Principal = readers("GET", "/v1/countries"),
) -> Response:
    """Every current ISO 3166-1 country, named in the language asked for."""
    items = [country_out(c, languages) for c in service.list_countries(session)]
    return json_response(request, {"items": items})


@router.get("/countries/{code}", response_model=CountryDetail,
            responses=problem_responses(404, 422))
def get_country(
    request: Request,
    session: SessionDep,
    languages: LanguagesDep,
    code: str = Path(min_length=2, max_length=3, description="ISO 3166-1 alpha-2 or alpha-3"),
    principal: Principal = readers("GET", "/v1/countries/{code}"),
) -> Response:
    """One country, with a summary of its active authorities."""
    country = service.get_country(session, code)
    if country is None:
        raise not_found(f"country {code!r}")
    authorities = []
    by_type: Counter[str] = Counter()
    visible = principal.may_see_country(country.alpha3)
    for summary in country_summary(session, country.alpha3) if visible else []:
        tag, name = pick(summary["name"], languages)
        authorities.append({**summary, "name": name, "name_lang": tag})
        by_type.update(summary["types"])
    networks = [network_out(n, None, languages)
                for n, _ in list_networks(session, country.alpha3)]
    payload = {**country_out(country, languages), "names": country.names,
               "authorities": authorities, "types_designated": dict(sorted(by_type.items())),
               "networks": networks}
    return json_response(request, payload)


@router.get("/instruments", response_model=InstrumentList, responses=problem_responses(422))
def list_instruments(
    request: Request,
    session: SessionDep,
    languages: LanguagesDep,
    caller: Principal = readers("GET", "/v1/instruments"),
) -> Response:
    """The instruments and resolutions, with the articles or paragraphs under which States
    designate authorities, each with its cited source; and the interchange format version."""
    type_names = {t.code: t.names for t in service.list_types(session)}
    citations = article_citations()
    kinds = instrument_kinds()
    items = []
    for instrument, articles in service.list_instruments(session):
        tag, name = pick(instrument.names, languages)
        _, short = pick(instrument.short_names, languages)
        items.append({
            "code": instrument.code, "kind": kinds.get(instrument.code, "convention"),
            "name": name, "short_name": short, "name_lang": tag,
            "adopted": instrument.adopted.isoformat() if instrument.adopted else None,
            "articles": [
                {"article": a.article, "type": a.type_code,
                 "type_name": pick(type_names.get(a.type_code), languages)[1],
                 "title": pick(a.title, languages)[1],
                 "source": citation.source if citation else None,
                 "interpol": citation.interpol if citation else None}
                for a in articles
                for citation in [citations.get((a.instrument_code, a.article))]
            ],
        })
    return json_response(request, {"format_version": FORMAT_VERSION, "items": items})
