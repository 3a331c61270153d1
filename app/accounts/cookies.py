"""The session cookie: HttpOnly, SameSite=Lax, Path=/; Secure and ``__Host-`` prefixed
unless CNA_COOKIE_SECURE (or its default for local http://) turns them off."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.core.settings import Settings

CSRF_HEADER = "X-CSRF-Token"


def cookie_name(settings: Settings) -> str:
    return "__Host-cna_session" if settings.session_cookie_secure else "cna_session"


def session_token(request: Request, settings: Settings) -> str | None:
    return request.cookies.get(cookie_name(settings))


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(cookie_name(settings), token, path="/", httponly=True,
                        samesite="lax", secure=settings.session_cookie_secure,
                        max_age=settings.session_absolute_hours * 3600)


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(cookie_name(settings), path="/", httponly=True, samesite="lax",
                           secure=settings.session_cookie_secure)
