"""Exception handlers: every error leaves the API as RFC 9457 problem+json."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.problems import PROBLEM_MEDIA_TYPE, FieldError, Problem

log = logging.getLogger(__name__)


class FieldErrorModel(BaseModel):
    pointer: str = Field(description="JSON Pointer to the bad field, e.g. /designations/0/type")
    loc: list[str | int]
    type: str
    detail: str


class ProblemModel(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldErrorModel] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route can give."""
    return {
        s: {"model": ProblemModel, "content": {PROBLEM_MEDIA_TYPE: {}},
            "description": "Problem details (RFC 9457)"}
        for s in statuses
    }


def _instance(request: Request) -> str:
    """The request's path; the route's template where the path holds a secret token (an
    invitation link), so that an error body never repeats it."""
    template = getattr(request.scope.get("route"), "path", "")
    return template if "{token}" in template else request.url.path


def problem_response(problem: Problem, request: Request | None = None) -> Response:
    body = problem.body(instance=_instance(request) if request else None)
    return Response(
        content=json.dumps(body, ensure_ascii=False),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        message = str(err.get("msg", "invalid"))
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        errors.append(FieldError(loc=loc, message=message, type=str(err.get("type", "invalid"))))
    return errors


# unique_violation, foreign_key_violation, exclusion_violation
_CONFLICT_SQLSTATES = frozenset({"23505", "23503", "23P01"})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return problem_response(exc, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}"
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return problem_response(Problem(status=exc.status_code, detail=detail, headers=headers),
                                request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        return problem_response(
            Problem(status=422, title="Invalid request",
                    type="https://cna-directory.example.org/problems/validation",
                    detail=f"{len(errors)} invalid field(s)", errors=errors),
            request,
        )

    @app.exception_handler(OperationalError)
    async def _database_down(request: Request, exc: OperationalError) -> Response:
        log.error("database unavailable: %s", exc.__class__.__name__)
        return problem_response(
            Problem(status=503, detail="the database is unavailable; retry shortly",
                    headers={"Retry-After": "5"}),
            request,
        )

    @app.exception_handler(IntegrityError)
    async def _concurrent_write(request: Request, exc: IntegrityError) -> Response:
        # Checks run before each write; a constraint that still fires means a concurrent
        # write got there first (the same id, or country and ref, committed meanwhile).
        if getattr(exc.orig, "sqlstate", None) not in _CONFLICT_SQLSTATES:
            return await _unexpected(request, exc)
        log.warning("write refused by a constraint: %s", exc.orig.__class__.__name__)
        return problem_response(
            Problem(status=409, detail="a concurrent change got there first (for example a "
                                       "record with the same id, or country and ref); read "
                                       "the current state and try again"),
            request,
        )

    @app.exception_handler(DBAPIError)
    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            Problem(status=500, detail="an internal error occurred; it has been logged"),
            request,
        )
