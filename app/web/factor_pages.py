"""The second factor and personal API keys on the pages: ``/account/second-factor``
(enrol: a QR code, the key for manual entry, a code to confirm; then the recovery codes,
shown once), and the forms of /account that replace the recovery codes, turn the second
factor off, and create or revoke a personal key (shown once).

They call the services of /v1/me/totp and /v1/me/keys (app/accounts/totp.py and
app/accounts/own.py).  Every form carries the session's CSRF token; a person who must
still enrol may post only the enrolment forms (``enrolling_form``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from app.access.principal import Principal
from app.access.router import resolve_countries
from app.access.service import key_expiry
from app.accounts import own, totp
from app.accounts import service as accounts
from app.accounts.cookies import clear_session_cookie
from app.accounts.models import Account
from app.api.deps import SessionDep
from app.authorities.schemas import Line200
from app.core.problems import Problem
from app.core.settings import get_settings
from app.web import i18n
from app.web.account_pages import ENROLMENT_PAGE, SessionPrincipalDep, account_page_response
from app.web.edit_service import claim_nonce
from app.web.forms import SignedInForm, client_address, enrolling_form, see_other, signed_in_form
from app.web.router import LangDep, load_viewer, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_viewer)])

EnrollingForm = Annotated[SignedInForm, Depends(enrolling_form)]
AccountForm = Annotated[SignedInForm, Depends(signed_in_form)]


def _account(session: Session, principal: Principal) -> Account:
    account = session.get(Account, principal.account_id) if principal.account_id else None
    if account is None:
        raise Problem(status=401, detail="the session has ended; sign in again")
    return account


def _csrf(request: Request) -> str:
    viewer = getattr(request.state, "viewer", None)
    return viewer.csrf if viewer is not None else ""


def _factor_page(request: Request, lang: str, account: Account, *, stage: str,
                 status: int = 200, **context: Any) -> Response:
    defaults: dict[str, Any] = {"enrolment": None, "codes": None, "error": None,
                                "then": "", "csrf": _csrf(request)}
    return page(request, "second_factor.html", lang, status=status, stage=stage,
                required=totp.required(account.role), **(defaults | context))


def _code(form: SignedInForm) -> str:
    return form.fields.get("code", "").strip()[:64]


@router.get(ENROLMENT_PAGE, response_class=HTMLResponse)
def second_factor_page(request: Request, session: SessionDep, lang: LangDep,
                       principal: SessionPrincipalDep) -> Response:
    """Enrol a second factor: an enrolment already started is shown again."""
    if principal.account_id is None:
        return see_other("/sign-in", lang, next=ENROLMENT_PAGE)
    account = _account(session, principal)
    if totp.enrolled(session, account.id):
        return see_other("/account", lang)
    enrolment = totp.pending_enrolment(session, account)
    return _factor_page(request, lang, account, stage="enrol" if enrolment else "intro",
                        enrolment=enrolment)


@router.get(ENROLMENT_PAGE + "/{action}", response_class=HTMLResponse)
@router.get("/account/keys", response_class=HTMLResponse)
def after_a_form(request: Request, lang: LangDep) -> Response:
    """The address of a form's answer, asked for again (e.g. by the language links on
    that answer): the page the form is on."""
    path = request.url.path
    return see_other(ENROLMENT_PAGE if path.startswith(ENROLMENT_PAGE) else "/account", lang)


@router.post(ENROLMENT_PAGE + "/start", response_class=HTMLResponse)
def start_enrolment(request: Request, session: SessionDep, lang: LangDep,
                    form: EnrollingForm) -> Response:
    account = _account(session, form.principal)
    try:
        enrolment = totp.start_enrolment(session, account, client_address(request))
    except Problem:  # enrolled already
        session.rollback()
        return see_other("/account", lang)
    session.commit()
    return _factor_page(request, lang, account, stage="enrol", enrolment=enrolment)


@router.post(ENROLMENT_PAGE + "/confirm", response_class=HTMLResponse)
def confirm_enrolment(request: Request, session: SessionDep, lang: LangDep,
                      form: EnrollingForm) -> Response:
    """The code from the app confirms the enrolment; the recovery codes are shown this
    once.  Enrolling from an invitation (``then=sign_in``) ends its short session: the
    person signs in with their password and a code."""
    account = _account(session, form.principal)
    then = "sign_in" if form.fields.get("then") == "sign_in" else ""
    try:
        codes = totp.confirm_enrolment(session, account, _code(form), totp.now_utc(),
                                       client_address(request))
    except Problem as exc:
        session.rollback()
        enrolment = totp.pending_enrolment(session, account)
        if exc.status != 422 or enrolment is None:
            return see_other(ENROLMENT_PAGE, lang)
        return _factor_page(request, lang, account, stage="enrol", status=422,
                            enrolment=enrolment, then=then,
                            error=i18n.strings(lang)["factor_code_wrong"])
    if then == "sign_in":
        assert form.principal.session_id is not None
        accounts.sign_out(session, form.principal.session_id)
    session.commit()
    if then == "sign_in":
        request.state.viewer = None
        response = _factor_page(request, lang, account, stage="codes", codes=codes,
                                then=then)
        clear_session_cookie(response, get_settings())
        return response
    return _factor_page(request, lang, account, stage="codes", codes=codes)


@router.post(ENROLMENT_PAGE + "/recovery-codes", response_class=HTMLResponse)
def replace_recovery_codes(request: Request, session: SessionDep, lang: LangDep,
                           form: AccountForm) -> Response:
    account = _account(session, form.principal)
    try:
        codes = totp.replace_recovery_codes(session, account, _code(form), totp.now_utc(),
                                            client_address(request))
    except Problem as exc:
        session.rollback()
        return _factor_refused(request, session, lang, form.principal, exc, "codes")
    session.commit()
    return _factor_page(request, lang, account, stage="codes", codes=codes)


@router.post(ENROLMENT_PAGE + "/remove", response_class=HTMLResponse)
def remove_second_factor(request: Request, session: SessionDep, lang: LangDep,
                         form: AccountForm) -> Response:
    account = _account(session, form.principal)
    try:
        totp.remove(session, account, _code(form), totp.now_utc(), client_address(request))
    except Problem as exc:
        session.rollback()
        return _factor_refused(request, session, lang, form.principal, exc, "remove")
    session.commit()
    return see_other("/account", lang, done="factor_removed")


def _factor_refused(request: Request, session: Session, lang: str, principal: Principal,
                    exc: Problem, which: str) -> Response:
    t = i18n.strings(lang)
    message = {422: t["factor_code_wrong"], 403: t["factor_required_note"]}.get(exc.status)
    if message is None:  # nothing enrolled (any more)
        return see_other("/account", lang)
    return account_page_response(request, session, lang, principal, status=exc.status,
                                 factor_error=message, factor_error_form=which)


# -- personal API keys ----------------------------------------------------------------------

def _expiry(value: str) -> datetime | None:
    """The end of the chosen day, UTC; ValueError when it is no date, past, or too far."""
    if not value:
        return None
    return key_expiry(datetime.combine(date.fromisoformat(value), time(23, 59, 59),
                                       tzinfo=UTC))


@router.post("/account/keys", response_class=HTMLResponse)
def create_key(request: Request, session: SessionDep, lang: LangDep,
               form: AccountForm) -> Response:
    """A personal key, with the person's role and scope; shown on the page this once."""
    account = _account(session, form.principal)
    t = i18n.strings(lang)
    name_typed = form.fields.get("name", "")[:200]
    expires_typed = form.fields.get("expires", "")[:10]
    countries_typed = form.fields.get("countries", "")[:1200]

    def refused(status: int, message: str, field: str) -> Response:
        return account_page_response(request, session, lang, form.principal, status=status,
                                     key_error=message, key_error_field=field,
                                     key_name=name_typed, key_expires=expires_typed,
                                     key_countries=countries_typed)

    try:
        name = TypeAdapter(Line200).validate_python(name_typed).strip()
    except ValidationError:
        name = ""
    if not name:
        return refused(422, t["key_name_needed"], "name")
    try:
        expires_at = _expiry(expires_typed)
    except ValueError:
        return refused(422, t["key_expiry_bad"], "expires")
    codes = [c.strip() for c in countries_typed.replace(",", " ").split() if c.strip()]
    try:
        countries = resolve_countries(session, codes) if codes else None
    except Problem:
        return refused(422, t["key_countries_unknown"], "countries")
    nonce = form.fields.get("nonce", "")[:100]
    if not nonce or not claim_nonce(session, nonce, account.id):
        # The same form again (a reload of the page that showed the key, a double click):
        # the key was made and shown once; no second one.
        session.rollback()
        return see_other("/account", lang, done="key_made_once")
    try:
        key, _ = own.create_personal_key(session, form.principal, account, role=None,
                                         countries=countries, expires_at=expires_at,
                                         label=name, client_address=client_address(request))
    except Problem as exc:
        session.rollback()
        if exc.errors and exc.errors[0].loc[-1] == "countries":  # wider than yours, or none
            return refused(exc.status, t["key_countries_not_yours"], "countries")
        return refused(409, t["key_too_many"], "name")  # at most MAX_PERSONAL_KEYS
    session.commit()
    return account_page_response(request, session, lang, form.principal, new_key=key)


@router.post("/account/keys/{prefix}/revoke", response_class=HTMLResponse)
def revoke_key(request: Request, session: SessionDep, lang: LangDep,
               prefix: Annotated[str, Path(min_length=8, max_length=80)],
               form: AccountForm) -> Response:
    account = _account(session, form.principal)
    own.revoke_personal_key(session, account, prefix, client_address(request))
    session.commit()
    return see_other("/account", lang, done="key_revoked")
