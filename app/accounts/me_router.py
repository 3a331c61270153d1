"""A person's own sessions and personal API keys (signed in with a session)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import AfterValidator, BaseModel, Field

from app.access import service as keys_service
from app.access.policy import ALL_ROLES, rule
from app.access.principal import Principal, Role
from app.access.router import KeyCreated, KeyList, KeyOut, key_out, resolve_countries
from app.accounts import own
from app.accounts.cookies import clear_session_cookie
from app.accounts.models import Account, AccountSession
from app.accounts.router import Countries
from app.api.deps import SessionDep
from app.api.responses import json_response
from app.core.errors import problem_responses
from app.core.inputs import Text
from app.core.problems import Problem
from app.core.settings import get_settings

router = APIRouter(prefix="/v1/me", tags=["accounts"])
NO_STORE = {"Cache-Control": "no-store"}


class SessionOut(BaseModel):
    id: uuid.UUID
    device: str | None = Field(description="the browser's user agent")
    address: str | None
    created_at: str
    last_seen_at: str
    current: bool


class SessionList(BaseModel):
    items: list[SessionOut]


class PersonalKeyIn(BaseModel):
    role: Role | None = Field(default=None, description="your own role (the only one)")
    countries: Countries | None = Field(
        default=None, min_length=1, max_length=300,
        description="focal_point and network: some of your countries (default: all)")
    expires_at: Annotated[datetime, AfterValidator(keys_service.key_expiry)] | None = Field(
        default=None, description="In the future and within ten years; naive times are UTC")
    label: Text | None = Field(default=None, max_length=200)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _account(session: SessionDep, principal: Principal) -> Account:
    """The signed-in person's account; a key is no person (409)."""
    account = session.get(Account, principal.account_id) if principal.account_id else None
    if principal.session_id is None or account is None:
        raise Problem(status=409, detail="this needs a person signed in with a session, "
                                         "not an API key")
    return account


def session_out(row: AccountSession, current: uuid.UUID | None) -> dict[str, Any]:
    return {"id": str(row.id), "device": row.user_agent, "address": row.client_address,
            "created_at": row.created_at.isoformat(),
            "last_seen_at": row.last_seen_at.isoformat(), "current": row.id == current}


@router.get("/sessions", response_model=SessionList, responses=problem_responses(401, 409))
def list_sessions(request: Request, session: SessionDep,
                  principal: Principal = rule("GET", "/v1/me/sessions", *ALL_ROLES)
                  ) -> Response:
    """Your sessions that still work: device, address, last seen, and which is this one."""
    account = _account(session, principal)
    rows = own.live_sessions(session, get_settings(), account.id)
    return json_response(request, {"items": [session_out(r, principal.session_id)
                                             for r in rows]}, headers=NO_STORE)


@router.delete("/sessions/{session_id}", status_code=204,
               responses=problem_responses(401, 404, 409))
def end_session(request: Request, session: SessionDep, session_id: uuid.UUID,
                principal: Principal = rule("DELETE", "/v1/me/sessions/{session_id}",
                                            *ALL_ROLES)) -> Response:
    """Sign out one of your sessions (this one too: then the cookie is cleared)."""
    account = _account(session, principal)
    own.end_own_session(session, account, session_id, _client(request))
    session.commit()
    response = Response(status_code=204, headers=NO_STORE)
    if session_id == principal.session_id:
        clear_session_cookie(response, get_settings())
    return response


@router.delete("/sessions", status_code=204, responses=problem_responses(401, 409))
def end_every_session(request: Request, session: SessionDep,
                      principal: Principal = rule("DELETE", "/v1/me/sessions", *ALL_ROLES)
                      ) -> Response:
    """Sign out everywhere: every one of your sessions ends, this one too."""
    account = _account(session, principal)
    own.end_every_session(session, account, _client(request))
    session.commit()
    response = Response(status_code=204, headers=NO_STORE)
    clear_session_cookie(response, get_settings())
    return response


@router.post("/keys", status_code=201, response_model=KeyCreated,
             responses=problem_responses(401, 403, 409, 422))
def create_key(request: Request, session: SessionDep, body: PersonalKeyIn,
               principal: Principal = rule("POST", "/v1/me/keys", *ALL_ROLES)) -> Response:
    """A personal key with your role and at most your countries. It is shown this once,
    and stops working as soon as your account is suspended or closed (or, for an
    official, none of your authorities is active)."""
    account = _account(session, principal)
    key, row = own.create_personal_key(
        session, principal, account, role=body.role,
        countries=resolve_countries(session, body.countries), expires_at=body.expires_at,
        label=body.label, client_address=_client(request))
    session.commit()
    response = json_response(request, {**key_out(row), "key": key}, headers=NO_STORE)
    response.status_code = 201
    return response


@router.get("/keys", response_model=KeyList, responses=problem_responses(401, 409))
def list_keys(request: Request, session: SessionDep,
              principal: Principal = rule("GET", "/v1/me/keys", *ALL_ROLES)) -> Response:
    """Your personal keys that have not been revoked."""
    account = _account(session, principal)
    return json_response(request, {"items": [key_out(k) for k in
                                             own.personal_keys(session, account.id)]})


@router.delete("/keys/{prefix}", response_model=KeyOut,
               responses=problem_responses(401, 404, 409))
def revoke_key(request: Request, session: SessionDep,
               prefix: Annotated[str, Path(min_length=8, max_length=80)],
               principal: Principal = rule("DELETE", "/v1/me/keys/{prefix}", *ALL_ROLES)
               ) -> Response:
    """Revoke one of your personal keys."""
    account = _account(session, principal)
    row = own.revoke_personal_key(session, account, prefix, _client(request))
    session.commit()
    return json_response(request, key_out(row))
