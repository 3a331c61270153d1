"""Regional networks: reference data, read-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.access.policy import readers
from app.access.principal import Principal
from app.api.deps import LanguagesDep, SessionDep
from app.api.responses import json_response
from app.core.errors import problem_responses
from app.core.problems import FieldError, Problem, not_found
from app.networks import service
from app.networks.schemas import NetworkList, NetworkOut
from app.reference.service import load_reference_cached

router = APIRouter(prefix="/v1/networks", tags=["networks"])


@router.get("", response_model=NetworkList, responses=problem_responses(422))
def list_networks(
    request: Request,
    session: SessionDep,
    languages: LanguagesDep,
    country: Annotated[str | None, Query(min_length=2, max_length=3,
                                         description="Only networks this State belongs "
                                                     "to (alpha-2 or alpha-3)")] = None,
    caller: Principal = readers("GET", "/v1/networks"),
) -> Response:
    """Regional networks (EJN, IberRed, WACAP, …) with their member States and sources."""
    alpha3 = None
    if country is not None:
        found = load_reference_cached(session).country_by_any_code(country)
        if found is None:
            raise Problem(status=422, title="Invalid request", detail="invalid filter(s)",
                          errors=[FieldError(("query", "country"),
                                             f"unknown country {country!r}", "country")])
        alpha3 = found.alpha3
    items = [service.network_out(n, members, languages)
             for n, members in service.list_networks(session, alpha3)]
    return json_response(request, {"items": items})


@router.get("/{code}", response_model=NetworkOut, responses=problem_responses(404, 422))
def get_network(
    request: Request,
    session: SessionDep,
    languages: LanguagesDep,
    code: Annotated[str, Path(max_length=48)],
    caller: Principal = readers("GET", "/v1/networks/{code}"),
) -> Response:
    """One network."""
    found = service.get_network(session, code)
    if found is None:
        raise not_found(f"network {code!r}")
    return json_response(request, service.network_out(found[0], found[1], languages))
