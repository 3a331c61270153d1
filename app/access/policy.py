"""Who may call which route.

Each router declares its rules with ``rule(method, path, ...)`` next to the route; the
rules land in ``ROUTE_RULES``, from which the role × route test matrix is generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.access.principal import ANONYMOUS, Principal, Role
from app.access.service import authenticate
from app.accounts.cookies import CSRF_HEADER, session_token
from app.accounts.service import resolve_session
from app.accounts.tokens import csrf_matches
from app.api.deps import get_session
from app.core.problems import Problem
from app.core.settings import get_settings

bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer cna_…`")

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    anonymous: bool  # allowed for anonymous callers when CNA_PUBLIC_READ is true
    signed_out: bool = False  # allowed for anonymous callers whatever CNA_PUBLIC_READ says
    during_enrolment: bool = False  # open to a session whose second factor is pending


ROUTE_RULES: dict[tuple[str, str], Rule] = {}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_principal(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        if request.headers.get("authorization"):
            raise Problem(status=401, detail="use 'Authorization: Bearer <key>'",
                          headers={"WWW-Authenticate": "Bearer"})
        return await _session_principal(request, session)
    # The rate limiter gives a key a bucket of its own once it has authenticated here.
    verified_keys = getattr(request.app.state, "verified_keys", None)
    try:
        principal = await run_in_threadpool(authenticate, session, credentials.credentials)
    except Problem:
        if verified_keys is not None:
            verified_keys.forget(credentials.credentials)
        raise
    if verified_keys is not None:
        verified_keys.remember(credentials.credentials)
    request.state.principal = principal
    return principal


async def _session_principal(request: Request, session: Session) -> Principal:
    """The person signed in with the session cookie; anonymous without one, or with one
    that has ended.  A state-changing request must carry the session's CSRF token."""
    settings = get_settings()
    token = session_token(request, settings)
    if not token:
        return ANONYMOUS
    principal = await run_in_threadpool(resolve_session, session, settings, token)
    if principal is None:
        return ANONYMOUS
    if request.method not in SAFE_METHODS and not csrf_matches(
            settings.secret_key, token, request.headers.get(CSRF_HEADER)):
        raise Problem(status=403, detail=f"a request signed in with a session needs the "
                                         f"{CSRF_HEADER} header given by GET /v1/me")
    request.state.principal = principal
    return principal


def rule(method: str, path: str, *roles: Role, anonymous: bool = False,
         signed_out: bool = False, during_enrolment: bool = False) -> Any:
    """Register the access rule of one route and return the dependency enforcing it.
    ``signed_out`` opens it to anonymous callers even when public reading is off (for
    signing in); ``during_enrolment`` to a person whose role requires a second factor
    they have not enrolled yet (elsewhere such a caller is anonymous, or refused)."""
    entry = Rule(roles=frozenset(roles), anonymous=anonymous or signed_out,
                 signed_out=signed_out, during_enrolment=during_enrolment)
    ROUTE_RULES[(method.upper(), path)] = entry

    async def enforce(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.second_factor_pending and not entry.during_enrolment:
            if entry.signed_out or (entry.anonymous and get_settings().public_read):
                return ANONYMOUS
            raise Problem(status=403, detail="enrol the second factor first "
                                             "(POST /v1/me/totp)")
        if principal.anonymous:
            if entry.signed_out or (entry.anonymous and get_settings().public_read):
                return principal
            raise Problem(status=401, detail="this route needs an API key",
                          headers={"WWW-Authenticate": "Bearer"})
        if principal.role not in entry.roles:
            raise Problem(status=403, detail=f"the {principal.role} role may not do this")
        return principal

    return Depends(enforce)


def readers(method: str, path: str, during_enrolment: bool = False) -> Any:
    """Every role, and anonymous callers while public reading is on."""
    return rule(method, path, *ALL_ROLES, anonymous=True, during_enrolment=during_enrolment)
