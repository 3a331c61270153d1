"""Read routes for authority records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.access.policy import readers
from app.access.principal import Principal
from app.api.deps import SessionDep
from app.api.responses import json_response
from app.authorities import service
from app.authorities.documents import render, view_of
from app.authorities.schemas import AuthorityOut, AuthorityPage, Channel, Kind
from app.core.errors import problem_responses
from app.core.problems import FieldError, Problem, not_found
from app.reference.service import load_reference_cached

router = APIRouter(prefix="/v1/authorities", tags=["authorities"])

StatusFilter = Literal["active", "withdrawn", "all"]


def _resolve_filters(
    session: SessionDep, countries: list[str], type_: str | None, instrument: str | None,
    article: str | None,
) -> list[str]:
    reference = load_reference_cached(session)
    errors: list[FieldError] = []
    resolved = []
    for i, code in enumerate(countries):
        country = reference.country_by_any_code(code)
        if country is None:
            errors.append(FieldError(("query", "country", i), f"unknown country {code!r}",
                                     "country"))
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
        raise Problem(status=422, title="Invalid request", detail="invalid filter(s)",
                      errors=errors)
    return resolved


def record_etag(version: int, principal: Principal) -> str:
    """Distinct per version and per view, so a public copy never validates a full one."""
    return f'"{version}-{principal.view.value}"'


@router.get("", response_model=AuthorityPage, responses=problem_responses(422))
def list_authorities(
    request: Request,
    session: SessionDep,
    country: Annotated[list[str], Query(max_length=300, description="ISO alpha-2 or alpha-3; "
                                                                     "repeatable")] = [],  # noqa: B006
    type: Annotated[str | None, Query(max_length=64)] = None,
    instrument: Annotated[str | None, Query(max_length=64)] = None,
    article: Annotated[str | None, Query(max_length=16)] = None,
    language: Annotated[str | None, Query(max_length=35)] = None,
    channel: Channel | None = None,
    kind: Kind | None = None,
    status: StatusFilter = "active",
    updated_since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    principal: Principal = readers("GET", "/v1/authorities"),
) -> Response:
    """Authorities, filtered; filters on designations apply to one and the same designation."""
    countries = principal.visible_countries(
        _resolve_filters(session, country, type, instrument, article)
    )
    if countries == []:  # every requested country is outside the key's scope
        return json_response(request, {"items": [], "next_cursor": None, "limit": limit})
    filters = service.AuthorityFilters(
        countries=countries or [], type=type, instrument=instrument, article=article,
        language=language, channel=channel, kind=kind,
        status=None if status == "all" else status, updated_since=updated_since,
    )
    rows, next_cursor = service.list_authorities(session, filters, limit, cursor)
    items = [view_of(render(a), principal.view) for a in rows]
    headers = {}
    if next_cursor:
        url = request.url.include_query_params(cursor=next_cursor)
        headers["Link"] = f'<{url}>; rel="next"'
    return json_response(request, {"items": items, "next_cursor": next_cursor, "limit": limit},
                         headers=headers)


@router.get("/{authority_id}", response_model=AuthorityOut,
            responses={**problem_responses(404, 422), 304: {"description": "Not modified"}})
def get_authority(
    request: Request,
    session: SessionDep,
    authority_id: uuid.UUID,
    principal: Principal = readers("GET", "/v1/authorities/{authority_id}"),
) -> Response:
    """One record in the caller's view, with an ETag."""
    authority = service.get_authority(session, authority_id)
    if authority is None or not principal.may_see_country(authority.country):
        raise not_found(f"authority {authority_id}")
    return json_response(request, view_of(render(authority), principal.view),
                         etag=record_etag(authority.version, principal))

