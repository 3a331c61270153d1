"""People through the API: who am I, sign in and out, invitations, managing accounts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from app.access.policy import ALL_ROLES, readers, rule
from app.access.principal import Principal, Role
from app.access.router import resolve_countries
from app.accounts import reset, service, throttle, totp
from app.accounts.cookies import clear_session_cookie, session_token, set_session_cookie
from app.accounts.models import Account
from app.accounts.passwords import Passwords
from app.accounts.tokens import TOKEN_MAX_LENGTH, csrf_token
from app.api.deps import SessionDep
from app.api.responses import json_response
from app.authorities.schemas import Line200
from app.core.errors import problem_responses
from app.core.inputs import Text
from app.core.problems import Problem
from app.core.settings import get_settings

router = APIRouter(tags=["accounts"])

Language = Annotated[str, StringConstraints(
    max_length=35, pattern=r"^(ar|zh|en|fr|ru|es)(-[A-Za-z0-9]{1,8})*$")]
Email = Annotated[Text, StringConstraints(min_length=3, max_length=320)]
Password = Annotated[Text, StringConstraints(max_length=1024)]
Countries = list[Annotated[Text, StringConstraints(min_length=2, max_length=3)]]
TokenPath = Annotated[str, Path(min_length=1, max_length=TOKEN_MAX_LENGTH)]
NO_STORE = {"Cache-Control": "no-store"}


class InviteIn(BaseModel):
    email: Email
    display_name: Annotated[Line200, StringConstraints(min_length=1)]
    language: Language = Field(default="en", description="BCP 47; ar, zh, en, fr, ru or es")
    role: Role
    countries: Countries | None = Field(default=None, min_length=1, max_length=300,
                                        description="focal_point and network: ISO codes")
    authority_ids: list[uuid.UUID] | None = Field(
        default=None, min_length=1, max_length=100,
        description="official: the authority records they work for")


class AccountPatch(BaseModel):
    status: Literal["active", "suspended", "closed"] | None = None
    role: Role | None = None
    countries: Countries | None = Field(default=None, min_length=1, max_length=300)
    authority_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=100)
    display_name: Annotated[Line200, StringConstraints(min_length=1)] | None = None
    language: Language | None = None


class AcceptIn(BaseModel):
    password: Password


class SignInIn(BaseModel):
    email: Annotated[Text, StringConstraints(max_length=320)]
    password: Password
    totp: Annotated[Text, StringConstraints(max_length=64)] | None = Field(
        default=None, description="once a second factor is enrolled: the current code of "
                                  "the authenticator app, or an unused recovery code")


class AccountOut(BaseModel):
    id: uuid.UUID
    email: str
    display_name: str
    language: str
    role: Role
    countries: list[str] | None
    authority_ids: list[uuid.UUID] | None
    status: str
    created_at: str | None
    updated_at: str | None


class AccountList(BaseModel):
    items: list[AccountOut]


class MeOut(BaseModel):
    kind: Literal["anonymous", "key", "session"]
    role: Role | None
    countries: list[str] | None
    key_prefix: str | None = None
    account: AccountOut | None = None
    csrf_token: str | None = Field(default=None, description="Send it as X-CSRF-Token with "
                                                              "every state-changing request "
                                                              "signed in with the session")
    second_factor: SecondFactorOut | None = None


class SecondFactorOut(BaseModel):
    enrolled: bool
    required: bool


class SignedIn(BaseModel):
    account: AccountOut
    csrf_token: str
    second_factor: totp.SecondFactorState = Field(
        description="enrolment_required: the session serves only GET /v1/me, "
                    "POST /v1/me/totp, POST /v1/me/totp/confirm and signing out")


def account_out(row: Account) -> dict[str, Any]:
    return {"id": str(row.id), "email": row.email, "display_name": row.display_name,
            "language": row.language, "role": row.role, "countries": row.countries,
            "authority_ids": [str(a) for a in row.authority_ids] if row.authority_ids
            else None, "status": row.status,
            "created_at": row.created_at.isoformat() if row.created_at else None,
            "updated_at": row.updated_at.isoformat() if row.updated_at else None}


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _passwords(request: Request) -> Passwords:
    passwords: Passwords = request.app.state.passwords
    return passwords


@router.get("/v1/me", response_model=MeOut, responses=problem_responses(401))
def me(request: Request, session: SessionDep,
       principal: Principal = readers("GET", "/v1/me", during_enrolment=True)
       ) -> Response:
    """Who the caller is: anonymous, a key, or a person signed in (then with the CSRF
    token their state-changing requests must carry)."""
    body: dict[str, Any] = {"kind": "anonymous", "role": principal.role,
                            "countries": sorted(principal.countries)
                            if principal.countries else None}
    if principal.key_prefix:
        body.update(kind="key", key_prefix=principal.key_prefix)
    elif principal.account_id:
        settings = get_settings()
        account = session.get(Account, principal.account_id)
        token = session_token(request, settings) or ""
        body.update(kind="session", account=account_out(account) if account else None,
                    csrf_token=csrf_token(settings.secret_key, token))
        if account is not None:
            body["second_factor"] = {"enrolled": totp.enrolled(session, account.id),
                                     "required": totp.required(account.role)}
    return json_response(request, body, headers=NO_STORE)


@router.post("/v1/sessions", status_code=201, response_model=SignedIn,
             responses=problem_responses(401, 422, 429))
def sign_in(request: Request, session: SessionDep, body: SignInIn,
            now: Annotated[datetime, Depends(throttle.current_time)],
            principal: Principal = rule("POST", "/v1/sessions", *ALL_ROLES,
                                        signed_out=True)) -> Response:
    """Sign in with e-mail and password: a new session, in an HttpOnly cookie. Failed
    tries are throttled per e-mail address and per client (429 with Retry-After), and an
    address with too many is locked for a while."""
    settings = get_settings()
    with throttle.guarded_sign_in(session, settings, email=body.email,
                                  client_address=_client(request), now=now):
        token, _, account = service.sign_in(
            session, _passwords(request), settings, email=body.email, password=body.password,
            client_address=_client(request), user_agent=request.headers.get("user-agent"),
            second_factor=body.totp)
    session.commit()
    response = json_response(request, {"account": account_out(account),
                                       "csrf_token": csrf_token(settings.secret_key, token),
                                       "second_factor": totp.state(session, account)},
                             headers=NO_STORE)
    response.status_code = 201
    set_session_cookie(response, settings, token)
    return response


@router.delete("/v1/sessions/current", status_code=204, responses=problem_responses(401, 409))
def sign_out(request: Request, session: SessionDep,
             principal: Principal = rule("DELETE", "/v1/sessions/current",
                                         *ALL_ROLES, during_enrolment=True)) -> Response:
    """Sign out: the session ends, and the cookie is cleared."""
    if principal.session_id is None:
        raise Problem(status=409, detail="this request is not signed in with a session")
    service.sign_out(session, principal.session_id)
    session.commit()
    response = Response(status_code=204, headers=NO_STORE)
    clear_session_cookie(response, get_settings())
    return response


@router.post("/v1/invitations/{token}/accept", response_model=AccountOut,
             responses=problem_responses(404, 409, 410, 422))
def accept_invitation(request: Request, session: SessionDep, token: TokenPath, body: AcceptIn,
                      principal: Principal = rule("POST", "/v1/invitations/{token}/accept",
                                                  *ALL_ROLES, signed_out=True)) -> Response:
    """Set the password of an invited account (the invitation works once). Then sign in
    with POST /v1/sessions."""
    account = service.accept_invitation(session, _passwords(request), token, body.password,
                                        _client(request))
    session.commit()
    return json_response(request, account_out(account), headers=NO_STORE)


@router.post("/v1/accounts", status_code=201, response_model=AccountOut,
             responses=problem_responses(401, 403, 409, 422))
def invite(request: Request, session: SessionDep, body: InviteIn,
           principal: Principal = rule("POST", "/v1/accounts", Role.secretariat,
                                       Role.focal_point)) -> Response:
    """Invite a person: the account waits, invited, until the link in the invitation mail
    is followed. The secretariat invites anyone; a focal point, officials of its State's
    authorities."""
    _, account, _ = service.invite(
        session, principal, principal.actor_name, get_settings(), email=body.email,
        display_name=body.display_name, language=body.language, role=body.role,
        scope=service.Scope(countries=resolve_countries(session, body.countries),
                            authority_ids=body.authority_ids),
        client_address=_client(request))
    session.commit()
    response = json_response(request, account_out(account))
    response.status_code = 201
    return response


@router.get("/v1/accounts", response_model=AccountList, responses=problem_responses(401, 403))
def list_accounts(request: Request, session: SessionDep,
                  principal: Principal = rule("GET", "/v1/accounts", Role.secretariat,
                                              Role.focal_point)) -> Response:
    """Every account (the secretariat), or the officials of the focal point's State."""
    rows = service.list_accounts(session, principal)
    return json_response(request, {"items": [account_out(r) for r in rows]})


@router.patch("/v1/accounts/{account_id}", response_model=AccountOut,
              responses=problem_responses(401, 403, 404, 409, 422))
def change_account(request: Request, session: SessionDep, account_id: uuid.UUID,
                   body: AccountPatch,
                   principal: Principal = rule("PATCH", "/v1/accounts/{account_id}",
                                               Role.secretariat, Role.focal_point)) -> Response:
    """Suspend, reactivate or close an account, or change its role, scope, name or
    language. A change of status, role or scope ends the account's sessions."""
    account = service.get_account(session, account_id)
    scope = None
    if body.countries is not None or body.authority_ids is not None:
        scope = service.Scope(countries=resolve_countries(session, body.countries),
                              authority_ids=body.authority_ids)
    service.change_account(session, principal, principal.actor_name, account,
                           status=body.status, role=body.role, scope=scope,
                           display_name=body.display_name, language=body.language,
                           client_address=_client(request))
    session.commit()
    return json_response(request, account_out(account))


class ResetRequestIn(BaseModel):
    email: Annotated[Text, StringConstraints(max_length=320)]


class ResetIn(BaseModel):
    password: Password


class ResetRequested(BaseModel):
    detail: str


@router.post("/v1/password-reset", status_code=202, response_model=ResetRequested,
             responses=problem_responses(422, 429))
def request_password_reset(request: Request, session: SessionDep, body: ResetRequestIn,
                           now: Annotated[datetime, Depends(throttle.current_time)],
                           principal: Principal = rule("POST", "/v1/password-reset",
                                                       *ALL_ROLES, signed_out=True)
                           ) -> Response:
    """Ask for a password-reset link by mail. The answer is the same whether or not an
    account has the address; only an active account gets the mail. Limited per e-mail
    address and per client per hour (429 with Retry-After)."""
    settings = get_settings()
    try:
        throttle.count_reset_request(session, settings, email=body.email,
                                     client_address=_client(request), now=now)
    except Problem:
        session.commit()  # the refused request counts too
        raise
    reset.request_reset(session, settings, email=body.email,
                        client_address=_client(request), now=now)
    session.commit()
    response = json_response(request, {"detail": reset.RESET_REQUESTED}, headers=NO_STORE)
    response.status_code = 202
    return response


@router.post("/v1/password-reset/{token}", status_code=204,
             responses=problem_responses(404, 410, 422))
def reset_password(request: Request, session: SessionDep, token: TokenPath, body: ResetIn,
                   now: Annotated[datetime, Depends(throttle.current_time)],
                   principal: Principal = rule("POST", "/v1/password-reset/{token}",
                                               *ALL_ROLES, signed_out=True)) -> Response:
    """Choose a new password with the link of a reset mail (it works once, for
    CNA_PASSWORD_RESET_MINUTES). Every session of the account ends; sign in again."""
    reset.reset_password(session, _passwords(request), token=token, password=body.password,
                         client_address=_client(request), now=now)
    session.commit()
    response = Response(status_code=204, headers=NO_STORE)
    clear_session_cookie(response, get_settings())
    return response
