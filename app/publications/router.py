"""The printable directory: the PDF (`GET /v1/publications/directory.pdf`) and the same
HTML as a print view (`GET /publications/directory`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from starlette.concurrency import run_in_threadpool

from app.access.policy import readers
from app.access.principal import Principal
from app.api.deps import SessionDep
from app.authorities.documents import View
from app.core.errors import problem_responses
from app.db.engine import get_engine
from app.publications import parallel, service
from app.publications.slots import RenderSlots
from app.sync.router import CURSOR_HEADER
from app.web.i18n import ui_language
from app.web.router import CSP

router = APIRouter(tags=["publications"])

LangQuery = Annotated[str | None, Query(max_length=35, description="ar, zh, en, fr, ru or es; "
                                        "omitted: the reader's language")]
CountryQuery = Annotated[list[str], Query(max_length=300, description="ISO alpha-2 or "
                                          "alpha-3; repeatable; omitted: every State")]
InstrumentQuery = Annotated[str | None, Query(max_length=64, description="An instrument code "
                                              "(GET /v1/instruments); omitted: all")]
SinceQuery = Annotated[date | None, Query(description="Add an annex of the records changed "
                                          "since this day (withdrawn ones appear only there)")]
ViewQuery = Annotated[View, Query(description="full (with contacts) needs a role that may "
                                  "see contacts")]


def _slots(request: Request) -> RenderSlots:
    slots: RenderSlots = request.app.state.publication_slots
    return slots


async def _publication_query(
    request: Request,
    session: SessionDep,
    lang: LangQuery = None,
    view: ViewQuery = View.public,
    country: CountryQuery = [],  # noqa: B006
    instrument: InstrumentQuery = None,
    changes_since: SinceQuery = None,
    cna_lang: Annotated[str | None, Cookie(max_length=35)] = None,
    principal: Principal = readers("GET", "/v1/publications/directory.pdf"),
) -> service.PublicationQuery:
    """The document asked for, checked against what the caller may read (422, 403); the
    request's database session is closed, as the snapshot is read on its own connection."""
    chosen = lang if lang is not None else ui_language(
        None, cna_lang, request.headers.get("accept-language"))
    query = await run_in_threadpool(
        service.resolve_query, session, principal, lang=chosen, view=view,
        countries=country, instrument=instrument, changes_since=changes_since)
    session.close()
    return query


QueryDep = Annotated[service.PublicationQuery, Depends(_publication_query)]


@router.get("/v1/publications/directory.pdf",
            responses={**problem_responses(401, 403, 422, 503),
                       200: {"content": {"application/pdf": {}},
                             "description": "The directory as a PDF; the feed cursor of its "
                                            f"snapshot is in the {CURSOR_HEADER} header"}})
async def directory_pdf(request: Request, query: QueryDep) -> Response:
    """The directory as a printable PDF in one of the six UN languages, from one snapshot:
    a cover (date, feed cursor), contents, the States in the order of their names in that
    language, and their active authorities grouped by instrument and designation type."""
    with _slots(request).claim():
        directory = await run_in_threadpool(service.read_directory, get_engine(), query)
        pdf = await run_in_threadpool(parallel.publish_pdf, directory)
    return Response(pdf, media_type="application/pdf", headers={
        CURSOR_HEADER: str(directory.cursor), "Vary": "Authorization, Cookie, Accept-Language",
        "Cache-Control": "no-store",
        "Content-Disposition": f'inline; filename="directory-{query.lang}.pdf"'})


@router.get("/publications/directory", response_class=HTMLResponse, include_in_schema=False)
async def directory_print_view(request: Request, query: QueryDep) -> HTMLResponse:
    """The same HTML as the PDF, for printing from a browser."""
    with _slots(request).claim():
        directory = await run_in_threadpool(service.read_directory, get_engine(), query)
        html = await run_in_threadpool(
            lambda: service.render_html(directory, stylesheet_href="/publications/print.css"))
    return HTMLResponse(html, headers={
        "Content-Security-Policy": CSP, "Cache-Control": "no-store",
        "Vary": "Authorization, Cookie, Accept-Language"})


@router.get("/publications/print.css", include_in_schema=False)
def print_stylesheet() -> FileResponse:
    return FileResponse(service.STYLESHEET, media_type="text/css",
                        headers={"Cache-Control": "public, max-age=300"})
