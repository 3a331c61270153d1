"""Routes of the sync domain: the change feed and the snapshot export."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import Subquery
from starlette.concurrency import run_in_threadpool

from app.access.policy import read_beside, readers
from app.access.principal import Principal
from app.api.deps import SessionDep
from app.api.responses import etag_matches, json_headers, json_response, not_modified
from app.core.errors import problem_responses
from app.db.engine import get_engine
from app.reference.data import FORMAT_VERSION
from app.sync import service
from app.sync.export import body as export_body
from app.sync.schemas import FeedPage

router = APIRouter(tags=["sync"])

CURSOR_HEADER = "CNA-Feed-Cursor"
FORMAT_HEADER = "CNA-Format-Version"
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified (If-None-Match)"}}


def _head_beside(request: Request) -> tuple[Hashable, Subquery] | None:
    """The head of the log, read in the statement that checks the caller's key."""
    return "feed head", service.head_read()


@router.get("/v1/changes", response_model=FeedPage,
            responses={**problem_responses(401, 403, 422), **NOT_MODIFIED})
async def changes(
    request: Request,
    session: SessionDep,
    after: Annotated[str | None, Query(max_length=20, description="A cursor from an earlier "
                                       "page or an export; omitted: from the beginning")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    wait: Annotated[float, Query(ge=0, le=service.MAX_WAIT_SECONDS,
                                 description="Long poll: seconds to wait for a change when "
                                             "nothing is new")] = 0,
    principal: Principal = readers("GET", "/v1/changes", beside=_head_beside),
) -> Response:
    """Every committed change exactly once, in commit order, each with the record at that
    version in the caller's view.  A `withdraw` entry is a tombstone."""
    start = service.decode_cursor(after)
    view, scope = principal.view, principal.read_scope
    if wait == 0 or request.headers.get("if-none-match"):
        # The head alone tells the page's validator, and whether the page is empty: a
        # client that is up to date costs one short query, no snapshot and no page (with
        # a key, the statement that checked it).
        values = read_beside(request, "feed head")
        top = (int(values[0]) if values is not None
               else await run_in_threadpool(service.head_in_one_read, session))
        service.check_cursor(start, top)
        etag = service.feed_etag(start, top, limit, view, scope)
        if top > start or wait == 0:  # a long poll at the head waits for news instead
            cheap = not_modified(request, etag, json_headers(etag))
            if cheap is not None:
                return cheap
        if top == start and wait == 0:
            return json_response(request, service.empty_page(start), etag=etag)
    if wait > 0 and session.in_transaction():
        # A key was checked on the request's session: give its connection back to the pool
        # rather than hold it idle in a transaction for the whole long poll.
        await run_in_threadpool(session.close)
    watcher = getattr(request.app.state, "feed_watcher", None)  # set by the lifespan
    read = await service.wait_for_feed(get_engine(), watcher, start, limit, view, scope, wait)
    return json_response(request, read.page,
                         etag=service.feed_etag(start, read.head, limit, view, scope))


def _export_etag(cursor: int, principal: Principal, fmt: str,
                 filters: service.ExportFilters) -> str:
    key = repr((fmt, principal.view.value, filters.countries,
                filters.updated_since.isoformat() if filters.updated_since else None))
    digest = hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
    return f'"export-{cursor}-{digest}"'


def _export_headers(cursor: int, principal: Principal, fmt: str,
                    filters: service.ExportFilters) -> dict[str, str]:
    return {"ETag": _export_etag(cursor, principal, fmt, filters),
            CURSOR_HEADER: service.encode_cursor(cursor), FORMAT_HEADER: FORMAT_VERSION,
            "Vary": "Authorization"}


@router.get("/v1/export",
            responses={**problem_responses(401, 403, 422), **NOT_MODIFIED,
                       200: {"content": {"application/x-ndjson": {}, "text/csv": {}},
                             "description": "The records, streamed; the feed cursor to "
                                            f"continue from is in the {CURSOR_HEADER} header, "
                                            "the interchange format version in the "
                                            f"{FORMAT_HEADER} header"}})
def export(
    request: Request,
    session: SessionDep,
    format: Literal["ndjson", "csv"] = "ndjson",
    country: Annotated[list[str], Query(max_length=300, description="ISO alpha-2 or alpha-3; "
                                                                     "repeatable")] = [],  # noqa: B006
    updated_since: datetime | None = None,
    principal: Principal = readers("GET", "/v1/export"),
) -> Response:
    """Every record (withdrawn ones included, as tombstones) from one consistent snapshot,
    in the caller's view.  Continue with `GET /v1/changes?after=<CNA-Feed-Cursor>`."""
    countries = principal.visible_countries(service.resolve_countries(session, country))
    filters = service.ExportFilters(countries=countries, updated_since=updated_since)
    if request.headers.get("if-none-match"):
        # The head of the log decides the validator: a client that is up to date costs
        # one short query on the request's session, and no snapshot.
        top = service.head(session)
        if etag_matches(request, _export_etag(top, principal, format, filters)):
            return Response(status_code=304,
                            headers=_export_headers(top, principal, format, filters))
    session.close()
    snapshot = service.Snapshot(get_engine())
    headers = _export_headers(snapshot.cursor, principal, format, filters)
    if etag_matches(request, headers["ETag"]):  # a commit came between the two reads
        snapshot.close()
        return Response(status_code=304, headers=headers)
    media_type = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(export_body(snapshot, filters, principal.view, format),
                             media_type=media_type, headers=headers)



# The webhook routes ride on this router (app/main.py includes it).
from app.webhooks.router import router as webhooks_router  # noqa: E402

router.include_router(webhooks_router)
