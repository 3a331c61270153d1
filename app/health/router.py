"""Liveness and readiness."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from app.access.policy import get_principal
from app.access.principal import Principal
from app.api.deps import SessionDep
from app.core.errors import problem_response, problem_responses
from app.core.problems import Problem
from app.core.settings import get_settings
from app.health import service

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive (it does not touch the database)."""
    return {"status": "ok"}


class Readiness(BaseModel):
    status: str
    database: str | None = None
    search_backlog: dict[str, Any] | None = None


@router.get("/readyz", response_model=Readiness, response_model_exclude_none=True,
            responses=problem_responses(401, 503))
def readyz(session: SessionDep,
           principal: Annotated[Principal, Depends(get_principal)]) -> Response:
    """The database answers (one short query).  With the search backlog (its oldest
    pending change rows, counted up to 1000), except to anonymous callers while
    CNA_PUBLIC_READ is off: they learn only ready or not."""
    settings = get_settings()
    detailed = settings.public_read or not principal.anonymous
    try:
        if not detailed:
            service.database_answers(session)
            return JSONResponse({"status": "ready"})
        backlog = service.search_backlog(session)
    except SQLAlchemyError:
        return problem_response(Problem(status=503, detail="the database is unreachable",
                                        headers={"Retry-After": "5"}))
    return JSONResponse({"status": "ready", "database": "ok",
                         "search_backlog": {"meilisearch_configured": bool(settings.meili_url),
                                            **backlog}})
