"""Who may call which route.

Each router declares its rules with ``rule(method, path, ...)`` next to the route; the
rules land in ``ROUTE_RULES``, from which the role × route test matrix is generated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Subquery
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.access.principal import ANONYMOUS, Principal, Role
from app.access.service import authenticate_beside
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


# A route's own read, made in the statement that checks the caller's key so that a request
# answered from it (a 304) costs one round trip and one hand-off to a worker thread: from
# the request, what the read is for and its subquery of at most one row; None for no read.
BesideRead = Callable[[Request], tuple[Hashable, Subquery] | None]


@dataclass(frozen=True)
class BesideRow:
    """The values a route's own read found beside the key check, and what it was for."""

    purpose: Hashable
    values: tuple[Any, ...]


def read_beside(request: Request, purpose: Hashable) -> tuple[Any, ...] | None:
    """The values of the route's read made beside the key check for ``purpose`` (each
    None when it found no row); None when no such read was made (no key, or no validator),
    and the route reads for itself."""
    row = getattr(request.state, "beside_row", None)
    return row.values if isinstance(row, BesideRow) and row.purpose == purpose else None


async def get_principal(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    return await _principal(request, session, credentials, None)


def _principal_beside(beside: BesideRead) -> Callable[..., Awaitable[Principal]]:
    async def principal_and_read(
        request: Request,
        session: Annotated[Session, Depends(get_session)],
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        return await _principal(request, session, credentials, beside)

    return principal_and_read


async def _principal(request: Request, session: Session,
                     credentials: HTTPAuthorizationCredentials | None,
                     beside: BesideRead | None) -> Principal:
    if credentials is None:
        if request.headers.get("authorization"):
            raise Problem(status=401, detail="use 'Authorization: Bearer <key>'",
                          headers={"WWW-Authenticate": "Bearer"})
        return await _session_principal(request, session)
    # The rate limiter gives a key a bucket of its own once it has authenticated here.
    verified_keys = getattr(request.app.state, "verified_keys", None)
    read = beside(request) if beside is not None else None
    try:
        principal, values = await run_in_threadpool(
            authenticate_beside, session, credentials.credentials,
            read[1] if read is not None else None)
    except Problem:
        if verified_keys is not None:
            verified_keys.forget(credentials.credentials)
        raise
    if verified_keys is not None:
        verified_keys.remember(credentials.credentials)
    request.state.principal = principal
    if read is not None:
        request.state.beside_row = BesideRow(read[0], values)
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
         signed_out: bool = False, during_enrolment: bool = False,
         beside: BesideRead | None = None) -> Any:
    """Register the access rule of one route and return the dependency enforcing it.
    ``signed_out`` opens it to anonymous callers even when public reading is off (for
    signing in); ``during_enrolment`` to a person whose role requires a second factor
    they have not enrolled yet (elsewhere such a caller is anonymous, or refused).
    ``beside`` is the route's own read to make in the key check's statement
    (``read_beside`` gives its values to the route, once the rule has let the caller in)."""
    entry = Rule(roles=frozenset(roles), anonymous=anonymous or signed_out,
                 signed_out=signed_out, during_enrolment=during_enrolment)
    ROUTE_RULES[(method.upper(), path)] = entry

    resolve = get_principal if beside is None else _principal_beside(beside)

    # A default rather than Annotated: the annotations are strings, read in the module's
    # names, where ``resolve`` is not.
    async def enforce(principal: Principal = Depends(resolve)) -> Principal:
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


def readers(method: str, path: str, during_enrolment: bool = False,
            beside: BesideRead | None = None) -> Any:
    """Every role, and anonymous callers while public reading is on."""
    return rule(method, path, *ALL_ROLES, anonymous=True, during_enrolment=during_enrolment,
                beside=beside)
