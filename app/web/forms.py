"""The forms of the pages: reading a posted form, and the CSRF token it must carry.

A signed-in person's form carries the session's own token (as the API's X-CSRF-Token);
a form posted before a session exists (sign-in, invitation, reset, request for access)
carries an HMAC of a random ``form`` cookie (a signed double-submit cookie).  A POST
without the right token is a 403 problem and changes nothing; a cross-site POST carries
neither cookie (SameSite=Lax), so it is refused too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.access.principal import Principal
from app.accounts.cookies import session_token
from app.accounts.passwords import Passwords
from app.accounts.service import resolve_session
from app.accounts.tokens import csrf_matches, csrf_token, new_token
from app.api.deps import SessionDep
from app.core.problems import Problem
from app.core.settings import Settings, get_settings

FORM_LIMIT = 16_384


def form_cookie_name(settings: Settings) -> str:
    return "__Host-cna_form" if settings.session_cookie_secure else "cna_form"


def form_csrf(settings: Settings, nonce: str) -> str:
    return csrf_token(settings.secret_key, "form:" + nonce)


def refused() -> Problem:
    return Problem(status=403, detail="the form's CSRF token is missing or wrong; reload "
                                      "the page and send it again")


async def form_pairs(request: Request, limit: int = FORM_LIMIT) -> list[tuple[str, str]]:
    """A posted form's fields in order, a value holding NUL left out; 413 past ``limit``."""
    body = await request.body()
    if len(body) > limit:
        raise Problem(status=413, detail=f"a form is at most {limit} bytes")
    fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return [(name, value) for name, value in fields if "\x00" not in value]


async def _form(request: Request) -> dict[str, str]:
    return dict(await form_pairs(request))


class PreSessionForm:
    """A form posted before there is a session: its token must match the form cookie."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields


async def pre_session_form(request: Request) -> PreSessionForm:
    settings = get_settings()
    fields = await _form(request)
    nonce = request.cookies.get(form_cookie_name(settings), "")
    if not nonce or not csrf_matches(settings.secret_key, "form:" + nonce, fields.get("csrf")):
        raise refused()
    return PreSessionForm(fields)


class SignedInForm:
    def __init__(self, fields: dict[str, str], principal: Principal) -> None:
        self.fields = fields
        self.principal = principal


async def session_form(request: Request, session: Session, *, limit: int = FORM_LIMIT,
                       enrolling: bool = False) -> tuple[list[tuple[str, str]], Principal]:
    """A form posted by a signed-in person, as its fields in order and the person: the
    session's CSRF token is required, and, unless ``enrolling`` (the enrolment forms and
    signing out), a person who must enrol a second factor first may do nothing else (as
    ``rule()``)."""
    settings = get_settings()
    fields = await form_pairs(request, limit)
    token = session_token(request, settings) or ""
    csrf = next((value for name, value in fields if name == "csrf"), None)
    if not token or not csrf_matches(settings.secret_key, token, csrf):
        raise refused()
    principal = await run_in_threadpool(resolve_session, session, settings, token)
    if principal is None or principal.account_id is None:
        raise Problem(status=401, detail="the session has ended; sign in again")
    if principal.second_factor_pending and not enrolling:
        raise Problem(status=403, detail="enrol the second factor first "
                                         "(/account/second-factor)")
    return fields, principal


async def enrolling_form(request: Request, session: SessionDep) -> SignedInForm:
    """A form of the enrolment pages or signing out, which a person who must still enrol
    a second factor may post."""
    fields, principal = await session_form(request, session, enrolling=True)
    return SignedInForm(dict(fields), principal)


async def signed_in_form(request: Request, session: SessionDep) -> SignedInForm:
    fields, principal = await session_form(request, session)
    return SignedInForm(dict(fields), principal)


def with_form_cookie(request: Request, render: Any) -> Response:
    """Render a pre-session form, giving the browser a form cookie when it has none."""
    settings = get_settings()
    nonce = request.cookies.get(form_cookie_name(settings)) or new_token()
    response: Response = render(form_csrf(settings, nonce))
    response.set_cookie(form_cookie_name(settings), nonce, path="/", httponly=True,
                        samesite="lax", secure=settings.session_cookie_secure)
    return response


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def passwords_of(request: Request) -> Passwords:
    passwords: Passwords = request.app.state.passwords
    return passwords


def see_other(path: str, lang: str, **query: str) -> RedirectResponse:
    """A 303 to a page of this site, in the interface language unless it names one."""
    given = dict(parse_qsl(path.partition("?")[2]))
    extra = {**({} if "lang" in given else {"lang": lang}), **query}
    separator = "&" if "?" in path else "?"
    return RedirectResponse(path + (separator + urlencode(extra) if extra else ""),
                            status_code=303)
