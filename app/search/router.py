"""Routes of the search domain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.access.policy import readers
from app.access.principal import Principal
from app.api.deps import LanguagesDep, SessionDep
from app.api.responses import body_response, next_link
from app.authorities.schemas import Channel, Kind
from app.core.errors import problem_responses
from app.search import service
from app.search.engines import SearchEngineDep
from app.search.schemas import SearchPage

router = APIRouter(tags=["search"])


@router.get("/v1/search", response_model=SearchPage, responses=problem_responses(422))
async def search(
    request: Request,
    session: SessionDep,
    languages: LanguagesDep,
    engine: SearchEngineDep,
    q: Annotated[str, Query(max_length=500, description="Words, in any language or "
                                                        "script; typos are tolerated")] = "",
    country: Annotated[list[str], Query(max_length=300, description="ISO alpha-2 or "
                                                                    "alpha-3; repeatable")]
    = [],  # noqa: B006
    type: Annotated[str | None, Query(max_length=64)] = None,
    instrument: Annotated[str | None, Query(max_length=64)] = None,
    language: Annotated[str | None, Query(max_length=35,
                                          pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")]
    = None,
    channel: Channel | None = None,
    kind: Kind | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int | None, Query(ge=0, le=service.MAX_OFFSET)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    principal: Principal = readers("GET", "/v1/search"),
) -> Response:
    """Typo-tolerant search over names, acronyms, parent bodies, localities, country names
    (any CLDR language) and designation words (six UN languages).  Filters combine as in
    `/v1/authorities`; facets count over the whole filtered result."""
    asked = service.SearchRequest(q=q, countries=tuple(country), type=type,
                                  instrument=instrument, language=language,
                                  channel=channel, kind=kind, limit=limit, offset=offset,
                                  cursor=cursor)
    page = await service.answer_on_loop(session, principal, asked, languages, engine)
    headers = {}
    if page["next_cursor"]:
        url = request.url.remove_query_params("offset").include_query_params(
            cursor=page["next_cursor"])
        headers["Link"] = next_link(request, url)
    return body_response(request, service.page_json(page), headers=headers)

