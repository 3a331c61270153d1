"""GET /v1/route: the route card."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.access.policy import readers
from app.access.principal import Principal
from app.api.deps import LanguagesDep, SessionDep
from app.api.responses import json_response
from app.core.errors import problem_responses
from app.core.inputs import MOMENT_RANGE, Moment
from app.routecard import service
from app.routecard.schemas import RouteCard

router = APIRouter(prefix="/v1", tags=["route card"])


def current_time() -> datetime:
    """The clock (a dependency, so tests can set it)."""
    return datetime.now(UTC)


@router.get("/route", response_model=RouteCard, response_model_by_alias=True,
            responses=problem_responses(404, 422))
def route(
    request: Request,
    session: SessionDep,
    languages: LanguagesDep,
    now: Annotated[datetime, Depends(current_time)],
    from_: Annotated[str, Query(alias="from", min_length=2, max_length=3,
                                description="Requesting State (alpha-2 or alpha-3)")],
    to: Annotated[str, Query(min_length=2, max_length=3,
                             description="Requested State (alpha-2 or alpha-3)")],
    type: Annotated[str, Query(max_length=64, description="Designation type, e.g. "
                                                          "extradition")],
    instrument: Annotated[str | None, Query(max_length=64)] = None,
    region: Annotated[str | None, Query(max_length=12,
                                        description="ISO 3166-2 subdivision of `to`: "
                                                    "territory limits are respected")] = None,
    at: Annotated[Moment | None, Query(description="The moment for open-now (default: "
                                                   f"now); naive times are UTC; {MOMENT_RANGE}")]
    = None,
    principal: Principal = readers("GET", "/v1/route"),
) -> Response:
    """Where a request goes: the authorities designated in `to` for `type`, with their
    instruments, languages (and whether a translation is needed from the requesting
    State's official languages), channels and means (normal and urgent), requirements,
    office hours with the local time and whether they are open now, and the networks
    both States share.  404 problem+json lists the nearest alternatives."""
    moment = at or now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    query = service.RouteQuery(requesting=from_, requested=to, type=type, at=moment,
                               instrument=instrument, region=region)
    card = service.route_card(session, query, principal, languages)
    return json_response(request, card)
