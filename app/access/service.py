"""API keys: create, list, revoke, authenticate.  All SQL for keys lives here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from app.access.keys import digest, generate_key, matches, split_key
from app.access.models import ApiKey
from app.access.principal import Principal, Role
from app.accounts.models import Account
from app.accounts.service import may_act
from app.core.inputs import as_utc
from app.core.problems import Problem

# last_used_at is written at most this often per key, so reads stay read-only.
LAST_USED_RESOLUTION = timedelta(minutes=1)
KEY_LIFETIME_LIMIT = timedelta(days=3653)  # ten years


def key_expiry(moment: datetime) -> datetime:
    """The expiry of a new key, in UTC (naive times are UTC): in the future, and within
    ten years."""
    moment = as_utc(moment)
    now = datetime.now(UTC)
    if moment <= now:
        raise ValueError("must be in the future")
    if moment > now + KEY_LIFETIME_LIMIT:
        raise ValueError("must be within ten years from now")
    return moment.astimezone(UTC)


def create_key(
    session: Session,
    role: Role,
    countries: list[str] | None = None,
    expires_at: datetime | None = None,
    label: str | None = None,
    created_by: str | None = None,
    account_id: uuid.UUID | None = None,
) -> tuple[str, ApiKey]:
    """Create a key; the full key is returned once and never stored.

    ``countries`` None means every country; an empty list is refused, as it would be
    stored as "every country" too.
    """
    if countries is not None and not countries:
        raise ValueError("a key's country list may not be empty; use None for every country")
    key, prefix = generate_key()
    row = ApiKey(id=uuid.uuid4(), prefix=prefix, digest=digest(key), role=role.value,
                 countries=sorted(set(countries)) if countries is not None else None,
                 label=label,
                 expires_at=expires_at, created_by=created_by, account_id=account_id)
    session.add(row)
    session.flush()
    return key, row


def list_keys(session: Session, include_revoked: bool = False) -> Sequence[ApiKey]:
    stmt = select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.prefix))
    if not include_revoked:
        stmt = stmt.where(col(ApiKey.revoked_at).is_(None))
    return session.scalars(stmt).all()


def find_key(session: Session, key_or_prefix: str) -> ApiKey | None:
    prefix = split_key(key_or_prefix) or key_or_prefix.removeprefix("cna_")
    return session.scalars(select(ApiKey).where(col(ApiKey.prefix) == prefix)).one_or_none()


def revoke_key(session: Session, key_or_prefix: str) -> ApiKey | None:
    row = find_key(session, key_or_prefix)
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.add(row)
        session.flush()
    return row


def _unauthorized(detail: str) -> Problem:
    return Problem(status=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def authenticate(session: Session, key: str) -> Principal:
    """The principal of a presented key, or a 401 problem (same answer for any bad key)."""
    prefix = split_key(key)
    row = None
    if prefix is not None:
        row = session.scalars(select(ApiKey).where(col(ApiKey.prefix) == prefix)).one_or_none()
    # Compare even when no row matched, so timing does not tell which prefixes exist.
    stored = row.digest if row is not None else digest("cna_00000000_" + "x" * 43)
    if not matches(key, stored) or row is None:
        raise _unauthorized("the API key is not valid")
    now = datetime.now(UTC)
    if row.revoked_at is not None:
        raise _unauthorized("the API key has been revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise _unauthorized("the API key has expired")
    if row.account_id is not None:  # a personal key lives only while its account may act
        account = session.get(Account, row.account_id)
        if account is None or not may_act(session, account):
            raise _unauthorized("the API key's account may not act any more")
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        session.execute(
            update(ApiKey).where(col(ApiKey.id) == row.id)
            .where(or_(col(ApiKey.last_used_at).is_(None),
                       col(ApiKey.last_used_at) < now - LAST_USED_RESOLUTION))
            .values(last_used_at=now)
        )
        session.commit()
    return Principal(role=Role(row.role), key_id=row.id, key_prefix=row.prefix,
                     countries=frozenset(row.countries) if row.countries else None)
