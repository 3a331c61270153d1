"""The password-reset pages: ``/password-reset`` (ask for a link by mail) and
``/password-reset/{token}`` (the link of that mail: choose a new password).

They call the same services as POST /v1/password-reset[/{token}] and are counted by the
same hourly limits.  Asking gets the same page whether or not an account has the address.
Both forms are posted before a session exists, so they carry the form-cookie CSRF token
(``pre_session_form``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts import reset, throttle
from app.accounts.cookies import clear_session_cookie
from app.accounts.tokens import TOKEN_MAX_LENGTH
from app.api.deps import SessionDep
from app.core.problems import Problem
from app.core.settings import get_settings
from app.web import i18n, people_service
from app.web.account_pages import password_message
from app.web.forms import (
    PreSessionForm,
    client_address,
    passwords_of,
    pre_session_form,
    see_other,
    with_form_cookie,
)
from app.web.router import LangDep, load_viewer, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_viewer)])

EMAIL_LIMIT = 320
_LINK_FAILURES = {"unknown": (404, "reset_link_invalid"), "used": (410, "reset_link_used"),
                  "expired": (410, "reset_link_expired")}


def _ask_page(request: Request, lang: str, *, status: int = 200, email: str = "",
              error: str | None = None, sent: bool = False,
              headers: dict[str, str] | None = None) -> Response:
    return with_form_cookie(request, lambda csrf: page(
        request, "password_reset.html", lang, status=status, headers=headers, csrf=csrf,
        email=email, error=error, sent=sent))


@router.get("/password-reset", response_class=HTMLResponse)
def ask_page(request: Request, lang: LangDep) -> Response:
    return _ask_page(request, lang)


@router.post("/password-reset", response_class=HTMLResponse)
def ask(request: Request, session: SessionDep, lang: LangDep,
        form: Annotated[PreSessionForm, Depends(pre_session_form)]) -> Response:
    """The same page follows whether or not an account has the address; only an active
    account gets the mail (the service decides)."""
    settings = get_settings()
    t = i18n.strings(lang)
    email = form.fields.get("email", "").strip()
    if not email or len(email) > EMAIL_LIMIT:
        return _ask_page(request, lang, status=422, email=email[:EMAIL_LIMIT],
                         error=t["reset_email_needed"])
    now = throttle.current_time()
    try:
        throttle.count_reset_request(session, settings, email=email,
                                     client_address=client_address(request), now=now)
    except Problem as refused:
        session.commit()  # the refused request counts too, as in the API
        return _ask_page(request, lang, status=refused.status, email=email,
                         error=t["reset_wait"], headers=refused.headers)
    reset.request_reset(session, settings, email=email, client_address=client_address(request),
                        now=now)
    session.commit()
    return _ask_page(request, lang, sent=True)


def _link_failure(request: Request, lang: str, state: str) -> HTMLResponse:
    status, key = _LINK_FAILURES.get(state, (410, "reset_link_invalid"))
    return page(request, "password_reset_token.html", lang, status=status,
                failure=i18n.strings(lang)[key], csrf="", error=None)


@router.get("/password-reset/{token}", response_class=HTMLResponse)
def link_page(request: Request, session: SessionDep, lang: LangDep, token: str) -> Response:
    # A malformed link (too long to be one of ours) is said on the page, like an unknown one.
    state = (people_service.reset_link_state(session, token, throttle.current_time())
             if len(token) <= TOKEN_MAX_LENGTH else "unknown")
    if state != "valid":
        return _link_failure(request, lang, state)
    return with_form_cookie(request, lambda csrf: page(
        request, "password_reset_token.html", lang, failure=None, csrf=csrf, error=None))


@router.post("/password-reset/{token}", response_class=HTMLResponse)
def choose_password(request: Request, session: SessionDep, lang: LangDep, token: str,
                    form: Annotated[PreSessionForm, Depends(pre_session_form)]) -> Response:
    """A new password: every session of the account ends (the service does it); then
    sign in with it."""
    if len(token) > TOKEN_MAX_LENGTH:
        return _link_failure(request, lang, "unknown")
    now = throttle.current_time()
    try:
        reset.reset_password(session, passwords_of(request), token=token,
                             password=form.fields.get("password", "")[:1024],
                             client_address=client_address(request), now=now)
    except Problem as exc:
        session.rollback()
        if exc.status != 422:
            state = people_service.reset_link_state(session, token, now)
            return _link_failure(request, lang, "unknown" if state == "valid" else state)
        error = password_message(i18n.strings(lang), exc.errors)
        return with_form_cookie(request, lambda csrf: page(
            request, "password_reset_token.html", lang, status=422, failure=None,
            csrf=csrf, error=error))
    session.commit()
    response = see_other("/sign-in", lang, done="password_set")
    clear_session_cookie(response, get_settings())
    return response
