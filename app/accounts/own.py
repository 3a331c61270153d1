"""A person's own sessions and personal API keys.  All SQL for them lives here; callers
commit.

A personal key has the person's role and at most their scope (a focal point or network
may narrow its countries, never widen them); it is linked to the account, and
``app.access.service.authenticate`` refuses it as soon as the account may no longer act
(suspended, closed, or an official without an active authority).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.access import service as keys_service
from app.access.models import ApiKey
from app.access.principal import Principal, Role
from app.accounts import service
from app.accounts.models import Account, AccountSession
from app.core.problems import FieldError, Problem, not_found
from app.core.settings import Settings

MAX_PERSONAL_KEYS = 20


def live_sessions(session: Session, settings: Settings,
                  account_id: uuid.UUID) -> Sequence[AccountSession]:
    """The account's sessions that still work: not ended, not expired, not idle; the most
    recently seen first."""
    now = datetime.now(UTC)
    return session.scalars(
        select(AccountSession).where(col(AccountSession.account_id) == account_id)
        .where(col(AccountSession.ended_at).is_(None))
        .where(col(AccountSession.expires_at) > now)
        .where(col(AccountSession.last_seen_at)
               > now - timedelta(minutes=settings.session_idle_minutes))
        .order_by(col(AccountSession.last_seen_at).desc())).all()


def end_own_session(session: Session, account: Account, session_id: uuid.UUID,
                    client_address: str | None) -> None:
    """End one of the account's sessions; another person's, or one already ended, is a
    404."""
    ended = session.execute(
        update(AccountSession).where(col(AccountSession.id) == session_id)
        .where(col(AccountSession.account_id) == account.id)
        .where(col(AccountSession.ended_at).is_(None))
        .values(ended_at=datetime.now(UTC), end_reason="signed out by its owner"))
    if ended.rowcount == 0:  # type: ignore[attr-defined]
        raise not_found(f"session {session_id}")
    service.record(session, account, "session_ended", f"account:{account.id}",
                   client_address, {"session": str(session_id)})


def end_every_session(session: Session, account: Account, client_address: str | None) -> None:
    """Sign out everywhere: every session of the account ends, this one too."""
    service.end_sessions(session, account.id, reason="signed out everywhere")
    service.record(session, account, "signed_out_everywhere", f"account:{account.id}",
                   client_address, {})


def _invalid(loc: tuple[str | int, ...], message: str) -> Problem:
    return Problem(status=422, title="Invalid request",
                   type="https://cna-directory.example.org/problems/validation",
                   detail=message, errors=[FieldError(loc, message, "invalid")])


def personal_keys(session: Session, account_id: uuid.UUID) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).where(col(ApiKey.account_id) == account_id)
                           .where(col(ApiKey.revoked_at).is_(None))
                           .order_by(col(ApiKey.created_at), col(ApiKey.prefix))).all()


def create_personal_key(session: Session, actor: Principal, account: Account, *,
                        role: Role | None, countries: list[str] | None,
                        expires_at: datetime | None, label: str | None,
                        client_address: str | None) -> tuple[str, ApiKey]:
    """A key with the account's role and at most its countries.  Returns the key (shown
    once; only its digest is stored)."""
    own_role = Role(account.role)
    if role is not None and role is not own_role:
        raise Problem(status=403, detail=f"a personal key has its owner's role ({own_role})",
                      errors=[FieldError(("body", "role"), "not your role", "forbidden")])
    if own_role in (Role.focal_point, Role.network):
        own = set(account.countries or [])
        wider = sorted(set(countries or []) - own)
        if wider:
            raise Problem(status=403, detail="a personal key covers at most your countries",
                          errors=[FieldError(("body", "countries"),
                                             f"not yours: {', '.join(wider)}", "forbidden")])
        key_countries = sorted(set(countries)) if countries else sorted(own)
    elif countries is not None:
        raise _invalid(("body", "countries"), f"a {own_role} key has no countries")
    else:
        key_countries = None
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(
        f"personal_keys:{account.id}", 0))))
    if len(personal_keys(session, account.id)) >= MAX_PERSONAL_KEYS:
        raise Problem(status=409, detail=f"at most {MAX_PERSONAL_KEYS} personal keys; "
                                         "revoke one first")
    key, row = keys_service.create_key(session, own_role, key_countries, expires_at, label,
                                       created_by=actor.actor_name, account_id=account.id)
    service.record(session, account, "personal_key_created", actor.actor_name, client_address,
                   {"key": row.prefix})
    session.flush()
    return key, row


def revoke_personal_key(session: Session, account: Account, prefix: str,
                        client_address: str | None) -> ApiKey:
    """Revoke one of the account's own keys; anyone else's is a 404."""
    row = keys_service.find_key(session, prefix)
    if row is None or row.account_id != account.id:
        raise not_found(f"key {prefix!r}")
    keys_service.revoke_key(session, row.prefix)
    service.record(session, account, "personal_key_revoked", f"account:{account.id}",
                   client_address,
                   {"key": row.prefix})
    session.flush()
    return row
