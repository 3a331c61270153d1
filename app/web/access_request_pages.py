"""The access-request pages: ``/request-access`` (a visitor asks for an account) and
``/access-requests`` (the secretariat and the focal points of the authority's State
decide).

They call the same services as /v1/access-requests: the same budget per address, the same
answer whether or not the address has an account, and approval that invites through the
invitation service (a focal point approves only officials of its State), refusal that
queues the polite mail.  The authority is picked with the directory's own search: the
search box is a GET form that lists the matching authorities to choose from, so it works
without JavaScript.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.access.policy import get_principal
from app.access.principal import ANONYMOUS, Principal, Role
from app.access.router import resolve_countries
from app.accounts import access_requests
from app.accounts import service as accounts
from app.accounts.access_requests_router import AccessRequestIn
from app.api.deps import SessionDep
from app.core.problems import FieldError, Problem
from app.core.settings import get_settings
from app.search.engines import SearchEngineDep
from app.web import i18n, people_service
from app.web.forms import (
    PreSessionForm,
    SignedInForm,
    client_address,
    pre_session_form,
    see_other,
    signed_in_form,
    with_form_cookie,
)
from app.web.router import LangDep, load_viewer, page
from search.engine import SearchEngine

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_viewer)])

# The caller as signed in, a second factor still to enrol included (to say so on the page).
SignedInDep = Annotated[Principal, Depends(get_principal)]

REQUEST_FIELDS = ("email", "name", "authority_id", "position", "justification")
FIELD_MESSAGES = {"email": "request_email_invalid", "name": "request_name_needed",
                  "authority_id": "request_authority_needed",
                  "position": "request_position_needed",
                  "justification": "request_justification_needed"}
DECISION_NOTICES = {"approved": "request_approved", "rejected": "request_rejected"}
ROLES = tuple(role.value for role in Role)


def _prefs(lang: str) -> list[str]:
    return [lang, "en"]


# -- asking for an account ----------------------------------------------------------------

def _request_page(request: Request, session: Session, lang: str, engine: SearchEngine, *,
                  q: str, values: dict[str, str], errors: dict[str, str] | None = None,
                  sent: bool = False, status: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    # The visitor searches as an anonymous reader would, whoever they are.
    choices = people_service.find_authorities(session, ANONYMOUS, q, _prefs(lang), engine)
    chosen = values.get("authority_id", "")
    if chosen and chosen not in {c.id for c in choices}:
        try:
            picked = people_service.authority_choice(session, uuid.UUID(chosen), _prefs(lang))
        except ValueError:
            picked = None
        if picked is not None:
            choices.insert(0, picked)
    return with_form_cookie(request, lambda csrf: page(
        request, "request_access.html", lang, status=status, headers=headers, csrf=csrf,
        q=q, searched=bool(q.strip()), choices=choices, values=values,
        errors=errors or {}, sent=sent))


@router.get("/request-access", response_class=HTMLResponse)
def request_access_page(request: Request, session: SessionDep, lang: LangDep,
                        engine: SearchEngineDep,
                        q: Annotated[str, Query(max_length=500)] = "") -> Response:
    return _request_page(request, session, lang, engine, q=q, values={})


def _field_of(error: FieldError | dict[str, Any]) -> str:
    loc = error.loc if isinstance(error, FieldError) else error["loc"]
    return str(loc[-1]) if loc and str(loc[-1]) in REQUEST_FIELDS else str(loc[0])


def _messages(t: dict[str, str], fields: list[str]) -> dict[str, str]:
    return {name: t[FIELD_MESSAGES[name]] for name in fields if name in FIELD_MESSAGES}


@router.post("/request-access", response_class=HTMLResponse)
def request_access(request: Request, session: SessionDep, lang: LangDep,
                   engine: SearchEngineDep,
                   form: Annotated[PreSessionForm, Depends(pre_session_form)]) -> Response:
    """The same page follows whether or not the address has an account."""
    t = i18n.strings(lang)
    values = {name: form.fields.get(name, "").strip() for name in REQUEST_FIELDS}
    q = form.fields.get("q", "")[:500]
    bad: list[str] = []
    try:
        accounts.normalize_email(values["email"])  # the check the service makes, up front
    except Problem:
        bad.append("email")
    try:
        asked = AccessRequestIn.model_validate({**values, "language": lang})
    except ValidationError as exc:
        bad += [_field_of(dict(error)) for error in exc.errors()]
    if bad:
        return _request_page(request, session, lang, engine, q=q, values=values,
                             errors=_messages(t, bad), status=422)
    try:
        access_requests.submit(session, get_settings(), email=asked.email, name=asked.name,
                               language=lang, authority_id=asked.authority_id,
                               position=asked.position, justification=asked.justification,
                               client_address=client_address(request))
    except Problem as refused:
        session.rollback()
        if refused.status == 429:
            errors = {"email": t["request_wait"]}
        else:
            errors = _messages(t, [_field_of(e) for e in refused.errors]) \
                or {"email": t["request_email_invalid"]}
        return _request_page(request, session, lang, engine, q=q, values=values,
                             errors=errors, status=refused.status, headers=refused.headers)
    session.commit()
    return _request_page(request, session, lang, engine, q="", values={}, sent=True)


# -- deciding -----------------------------------------------------------------------------

def _decisions_page(request: Request, session: Session, lang: str, principal: Principal,
                    *, status: int = 200, notice: str | None = None,
                    failure: str | None = None,
                    field_errors: dict[str, str] | None = None) -> Response:
    pending = people_service.pending_requests(session, principal, _prefs(lang))
    return page(request, "access_requests.html", lang, status=status, pending=pending,
                notice=notice, failure=failure, field_errors=field_errors or {},
                roles=ROLES if principal.role is Role.secretariat else ("official",))


def _not_for_you(request: Request, lang: str, principal: Principal) -> Response:
    key = "requests_enrol_first" if principal.second_factor_pending else "requests_not_for_you"
    return page(request, "access_requests.html", lang, status=403, pending=[], notice=None,
                failure=i18n.strings(lang)[key], field_errors={}, roles=())


@router.get("/access-requests", response_class=HTMLResponse)
def decisions_page(request: Request, session: SessionDep, lang: LangDep,
                   principal: SignedInDep, done: str = "") -> Response:
    if principal.anonymous:
        return see_other("/sign-in", lang, next="/access-requests")
    if not people_service.may_decide(principal):
        return _not_for_you(request, lang, principal)
    key = DECISION_NOTICES.get(done)
    return _decisions_page(request, session, lang, principal,
                           notice=i18n.strings(lang)[key] if key else None)


def _countries(text: str) -> list[str] | None:
    codes = [code for code in re.split(r"[\s,;]+", text.upper()) if code]
    return codes[:300] or None


def _decision_failure(request: Request, session: Session, lang: str, principal: Principal,
                      request_id: uuid.UUID, exc: Problem) -> Response:
    session.rollback()
    t = i18n.strings(lang)
    if exc.status == 422:
        return _decisions_page(request, session, lang, principal, status=422,
                               field_errors={str(request_id): t["request_countries_wrong"]})
    key = {404: "request_gone", 409: "request_decided_already"}.get(
        exc.status, "request_not_yours")
    return _decisions_page(request, session, lang, principal, status=exc.status,
                           failure=t[key])


@router.post("/access-requests/{request_id}/approve", response_class=HTMLResponse)
def approve(request: Request, session: SessionDep, lang: LangDep, request_id: uuid.UUID,
            form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    """Approve: the account is created and its invitation mail queued."""
    principal = form.principal
    if not people_service.may_decide(principal):
        return _not_for_you(request, lang, principal)
    role_name = form.fields.get("role", "official")
    countries = _countries(form.fields.get("countries", "")[:2000])
    try:
        if role_name not in ROLES:
            raise Problem(status=422, detail="no such role")
        role = Role(role_name)
        if role in (Role.focal_point, Role.network) and countries is None:
            raise Problem(status=422, detail="countries are needed for this role")
        access_requests.approve(
            session, principal, get_settings(), request_id, role=role,
            countries=None if role is Role.official else resolve_countries(session, countries),
            client_address=client_address(request))
    except Problem as exc:
        return _decision_failure(request, session, lang, principal, request_id, exc)
    session.commit()
    return see_other("/access-requests", lang, done="approved")


@router.post("/access-requests/{request_id}/reject", response_class=HTMLResponse)
def reject(request: Request, session: SessionDep, lang: LangDep, request_id: uuid.UUID,
           form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    """Reject: the request is kept, and a short polite mail tells the person."""
    principal = form.principal
    if not people_service.may_decide(principal):
        return _not_for_you(request, lang, principal)
    try:
        access_requests.reject(session, principal, get_settings(), request_id,
                               client_address=client_address(request))
    except Problem as exc:
        return _decision_failure(request, session, lang, principal, request_id, exc)
    session.commit()
    return see_other("/access-requests", lang, done="rejected")
