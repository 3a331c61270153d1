"""Dependencies shared by routers: the database session, the caller's view, languages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.core.i18n import preferences
from app.core.inputs import NUL, NUL_MESSAGE
from app.core.problems import FieldError, Problem
from app.db.engine import get_engine


async def refuse_nul_parameters(request: Request) -> None:
    """No path or query parameter may hold NUL (U+0000): PostgreSQL cannot store or
    compare it.  Applied to every route (``create_app``), before its own parameters."""
    errors: list[FieldError] = []
    if NUL in request.scope["path"]:
        errors += [FieldError(("path", name), NUL_MESSAGE, "nul_character")
                   for name, value in request.path_params.items()
                   if isinstance(value, str) and NUL in value]
        errors = errors or [FieldError(("path",), NUL_MESSAGE, "nul_character")]
    query = request.scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        errors += [FieldError(("query", name), NUL_MESSAGE, "nul_character")
                   for name, value in request.query_params.multi_items()
                   if NUL in name or NUL in value]
    if errors:
        raise Problem(status=422, title="Invalid request",
                      type="https://cna-directory.example.org/problems/validation",
                      detail=f"{len(errors)} invalid field(s)", errors=errors)


async def get_session() -> AsyncIterator[Session]:
    """A session for the request.  Opening one does no I/O, so it is made on the event
    loop; closing one that holds a connection talks to the database (the pool's reset),
    so that runs in the thread pool.  (A sync dependency would cost two thread hand-offs
    per request, with the GIL hand-offs they bring, for nothing.)"""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
    finally:
        if session.get_transaction() is None:
            session.close()
        else:
            await run_in_threadpool(session.close)


async def get_languages(
    lang: Annotated[str | None, Query(max_length=35, pattern=r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$",
                                      description="Language of names (BCP 47); "
                                                  "overrides Accept-Language")] = None,
    accept_language: Annotated[str | None, Header(max_length=500)] = None,
) -> list[str]:
    return preferences(lang, accept_language)


SessionDep = Annotated[Session, Depends(get_session)]
LanguagesDep = Annotated[list[str], Depends(get_languages)]
