"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import SessionDep
from app.changes.models import Change
from app.core.errors import problem_response, problem_responses
from app.core.problems import Problem
from search.mirror import backlog

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive (it does not touch the database)."""
    return {"status": "ok"}


class Readiness(BaseModel):
    status: str
    database: str
    changes_recorded: int
    search_backlog: dict[str, Any]


@router.get("/readyz", response_model=Readiness, responses=problem_responses(503))
def readyz(session: SessionDep) -> Response:
    """The database answers; reports how many change rows have been recorded."""
    try:
        session.execute(text("select 1"))
        changes = session.scalar(select(func.count()).select_from(Change)) or 0
        search_backlog = backlog(session)
    except SQLAlchemyError:
        return problem_response(Problem(status=503, detail="the database is unreachable",
                                        headers={"Retry-After": "5"}))
    return JSONResponse({"status": "ready", "database": "ok", "changes_recorded": changes,
                         "search_backlog": search_backlog})
