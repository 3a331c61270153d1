"""The people pages: ``/sign-in``, ``/sign-out``, ``/invitations/{token}``, ``/account``.

They call the same services as the API; their forms and CSRF tokens are read by
``app.web.forms``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from app.access.policy import get_principal
from app.access.principal import Principal, Role
from app.accounts import service as accounts
from app.accounts import throttle, totp
from app.accounts.cookies import clear_session_cookie, set_session_cookie
from app.accounts.models import Account
from app.accounts.tokens import TOKEN_MAX_LENGTH, csrf_token, new_token
from app.api.deps import SessionDep
from app.authorities.schemas import Line200
from app.core.problems import FieldError, Problem
from app.core.settings import get_settings
from app.web import account_service, i18n
from app.web.forms import (
    PreSessionForm,
    SignedInForm,
    client_address,
    enrolling_form,
    passwords_of,
    pre_session_form,
    see_other,
    signed_in_form,
    with_form_cookie,
)
from app.web.router import LangDep, load_viewer, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_viewer)])

PASSWORD_MESSAGES = {"too_short": "password_too_short", "too_long": "password_too_long",
                     "common_password": "password_common"}
TokenPath = Annotated[str, Path(min_length=1, max_length=TOKEN_MAX_LENGTH)]


SessionPrincipalDep = Annotated[Principal, Depends(get_principal)]
ENROLMENT_PAGE = "/account/second-factor"
# The session that lets a person who has just set their password from an invitation
# enrol a second factor; it ends once they have, and they sign in with password and code.
ENROLMENT_SESSION = timedelta(minutes=15)


def _local(target: str | None) -> str:
    """Only a path of this site is followed after signing in."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/account"


def password_message(t: dict[str, str], errors: list[FieldError]) -> str:
    return " ".join(t[PASSWORD_MESSAGES.get(e.type, "password_too_long")] for e in errors)


# -- sign in and out ----------------------------------------------------------------------

@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, lang: LangDep, next: str = "",
                 done: str = "") -> Response:
    notice = i18n.strings(lang).get("password_set") if done == "password_set" else None
    return with_form_cookie(request, lambda csrf: page(
        request, "sign_in.html", lang, csrf=csrf, email="", error=None, next=next[:500],
        notice=notice))


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, session: SessionDep, lang: LangDep,
            form: Annotated[PreSessionForm, Depends(pre_session_form)]) -> Response:
    settings = get_settings()
    email = form.fields.get("email", "")[:320]
    try:
        with throttle.guarded_sign_in(session, settings, email=email,
                                      client_address=client_address(request),
                                      now=throttle.current_time()):
            token, _, account = accounts.sign_in(
                session, passwords_of(request), settings, email=email,
                password=form.fields.get("password", ""), client_address=client_address(request),
                user_agent=request.headers.get("user-agent"),
                second_factor=form.fields.get("totp", "").strip()[:64] or None)
    except Problem as exc:
        session.rollback()
        refusal = exc
        t = i18n.strings(lang)
        error = {401: t["sign_in_refused"], 429: t["sign_in_wait"]}.get(
            exc.status, exc.detail or exc.title)
        return with_form_cookie(request, lambda csrf: page(
            request, "sign_in.html", lang, status=refusal.status, csrf=csrf, email=email,
            error=error, next=form.fields.get("next", "")[:500], notice=None,
            headers=refusal.headers))
    session.commit()
    target = ENROLMENT_PAGE if totp.pending(session, account.id, Role(account.role)) \
        else _local(form.fields.get("next"))
    response = see_other(target, lang)
    set_session_cookie(response, settings, token)
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, lang: LangDep,
             form: Annotated[SignedInForm, Depends(enrolling_form)]) -> Response:
    assert form.principal.session_id is not None
    accounts.sign_out(session, form.principal.session_id)
    session.commit()
    response = see_other("/", lang)
    clear_session_cookie(response, get_settings())
    return response


# -- invitations --------------------------------------------------------------------------

_INVITATION_ERRORS = {"unknown": (404, "invitation_invalid"), "used": (410, "invitation_used"),
                      "expired": (410, "invitation_expired")}


def _invitation_error(request: Request, lang: str, state: str) -> HTMLResponse:
    status, key = _INVITATION_ERRORS.get(state, (409, "invitation_invalid"))
    return page(request, "invitation.html", lang, status=status,
                failure=i18n.strings(lang)[key], csrf="", error=None)


@router.get("/invitations/{token}", response_class=HTMLResponse)
def invitation_page(request: Request, session: SessionDep, lang: LangDep,
                    token: TokenPath) -> Response:
    state = account_service.invitation_state(session, token)
    if state != "valid":
        return _invitation_error(request, lang, state)
    role = account_service.invited_role(session, token)
    return with_form_cookie(request, lambda csrf: page(
        request, "invitation.html", lang, failure=None, csrf=csrf, error=None,
        factor_required=role is not None and totp.required(role)))


@router.post("/invitations/{token}", response_class=HTMLResponse)
def accept_invitation(request: Request, session: SessionDep, lang: LangDep,
                      token: TokenPath,
                      form: Annotated[PreSessionForm, Depends(pre_session_form)]) -> Response:
    try:
        account = accounts.accept_invitation(session, passwords_of(request), token,
                                             form.fields.get("password", "")[:1024],
                                             client_address(request))
    except Problem as exc:
        session.rollback()
        if exc.status != 422:
            state = account_service.invitation_state(session, token)
            return _invitation_error(request, lang, state)
        error = password_message(i18n.strings(lang), exc.errors)
        return with_form_cookie(request, lambda csrf: page(
            request, "invitation.html", lang, status=422, failure=None, csrf=csrf,
            error=error, factor_checked=form.fields.get("second_factor") == "on",
            factor_required=totp.required(account_service.invited_role(session, token)
                                          or "official")))
    if not (totp.required(account.role) or form.fields.get("second_factor") == "on") \
            or not accounts.may_act(session, account):
        session.commit()
        return see_other("/sign-in", lang, done="password_set")
    # Enrol now, in a short session of its own: the invitation link and the password just
    # set are what signing in would ask for (but no second factor: there is none yet).
    session_token_, _ = accounts.open_session(
        session, account, client_address=client_address(request),
        user_agent=request.headers.get("user-agent"), lifetime=ENROLMENT_SESSION)
    enrolment = totp.start_enrolment(session, account, client_address(request))
    session.commit()
    settings = get_settings()
    request.state.viewer = None  # the page before it: nobody is signed in yet
    response = page(request, "second_factor.html", lang, stage="enrol",
                    enrolment=enrolment, csrf=csrf_token(settings.secret_key, session_token_),
                    then="sign_in", required=totp.required(account.role), error=None,
                    codes=None)
    set_session_cookie(response, settings, session_token_)
    return response


# -- my account ---------------------------------------------------------------------------

ACCOUNT_NOTICES = ("saved", "password_changed", "session_ended", "factor_removed",
                   "key_revoked", "key_made_once")


def account_page_response(request: Request, session: Session, lang: str,
                          principal: Principal, status: int = 200,
                          **context: Any) -> Response:
    """/account, with the messages and once-shown values of ``context``."""
    assert principal.account_id is not None
    account = session.get(Account, principal.account_id)
    assert account is not None
    sessions = account_service.open_sessions(session, account.id)
    defaults: dict[str, Any] = {"notice": None, "profile_error": None,
                                "current_error": None, "new_error": None,
                                "factor_error": None, "factor_error_form": None,
                                "key_error": None, "key_error_field": None,
                                "new_key": None, "key_name": "", "key_countries": "",
                                "key_expires": "", "key_nonce": new_token()}
    return page(request, "account.html", lang, status=status, account=account,
                sessions=sessions, current_session=principal.session_id,
                languages=[(code, i18n.NATIVE[code]) for code in i18n.UI_LANGUAGES],
                factor=account_service.second_factor(session, account),
                keys=account_service.personal_keys(session, account.id),
                **(defaults | context))


_account_page = account_page_response


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, session: SessionDep, lang: LangDep,
                 principal: SessionPrincipalDep, done: str = "") -> Response:
    if principal.account_id is None:
        return see_other("/sign-in", lang, next="/account")
    if principal.second_factor_pending:
        return see_other(ENROLMENT_PAGE, lang)
    t = i18n.strings(lang)
    notice = t.get(done) if done in ACCOUNT_NOTICES else None
    return _account_page(request, session, lang, principal, notice=notice)


@router.post("/account/profile", response_class=HTMLResponse)
def save_profile(request: Request, session: SessionDep, lang: LangDep,
                 form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    assert form.principal.account_id is not None
    language = form.fields.get("language", "")
    try:
        name = TypeAdapter(Line200).validate_python(form.fields.get("display_name", "")).strip()
    except ValidationError:
        name = ""
    if not name or language not in i18n.UI_LANGUAGES:
        return _account_page(request, session, lang, form.principal, status=422,
                             profile_error=i18n.strings(lang)["name_needed"])
    account_service.update_profile(session, form.principal.account_id, display_name=name,
                                   language=language, client_address=client_address(request))
    session.commit()
    return see_other("/account", lang, done="saved")


@router.post("/account/password", response_class=HTMLResponse)
def change_password(request: Request, session: SessionDep, lang: LangDep,
                    form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    principal = form.principal
    assert principal.account_id is not None and principal.session_id is not None
    errors = account_service.change_password(
        session, passwords_of(request), principal.account_id, principal.session_id,
        current=form.fields.get("current_password", ""),
        new=form.fields.get("new_password", "")[:1024], client_address=client_address(request))
    if errors:
        session.rollback()
        t = i18n.strings(lang)
        if errors[0].type == "wrong_password":
            return _account_page(request, session, lang, principal, status=422,
                                 current_error=t["current_password_wrong"])
        return _account_page(request, session, lang, principal, status=422,
                             new_error=password_message(t, errors))
    session.commit()
    return see_other("/account", lang, done="password_changed")


@router.post("/account/sessions/{session_id}/end", response_class=HTMLResponse)
def end_one_session(request: Request, session: SessionDep, lang: LangDep,
                    session_id: uuid.UUID,
                    form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    """Sign out one of your sessions (this one too: then you are signed out here)."""
    assert form.principal.account_id is not None
    if not account_service.end_session(session, form.principal.account_id, session_id):
        raise Problem(status=404, detail="no such open session of yours")
    session.commit()
    if session_id == form.principal.session_id:
        response = see_other("/", lang)
        clear_session_cookie(response, get_settings())
        return response
    return see_other("/account", lang, done="session_ended")


@router.post("/account/sessions/end-all", response_class=HTMLResponse)
def end_all_sessions(request: Request, session: SessionDep, lang: LangDep,
                     form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    """Sign out everywhere: every session of the account ends, this one included."""
    assert form.principal.account_id is not None
    accounts.end_sessions(session, form.principal.account_id, reason="signed out everywhere")
    session.commit()
    response = see_other("/sign-in", lang)
    clear_session_cookie(response, get_settings())
    return response
