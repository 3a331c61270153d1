"""API keys: create, list, revoke, authenticate.  All SQL for keys lives here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Subquery, or_, outerjoin, true, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.access.keys import digest, generate_key, matches, split_key
from app.access.models import ApiKey
from app.access.principal import Principal, Role
from app.accounts.models import Account
from app.accounts.service import may_act
from app.core.inputs import as_utc
from app.core.problems import Problem
from app.db.reads import rows_of_one_statement

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


KEY_CHECK_COLUMNS = (col(ApiKey.id), col(ApiKey.prefix), col(ApiKey.digest), col(ApiKey.role),
                     col(ApiKey.countries), col(ApiKey.expires_at), col(ApiKey.revoked_at),
                     col(ApiKey.last_used_at), col(ApiKey.account_id))


def authenticate(session: Session, key: str) -> Principal:
    """The principal of a presented key, or a 401 problem (same answer for any bad key)."""
    return authenticate_beside(session, key, None)[0]


def authenticate_beside(session: Session, key: str,
                        beside: Subquery | None) -> tuple[Principal, tuple[Any, ...]]:
    """The principal of a presented key, or a 401 problem (same answer for any bad key);
    and the values of ``beside``, a read of at most one row the caller needs next, made in
    the same statement (each value None when it finds no row; none without ``beside``).

    The key's row is read as plain columns in one statement with no transaction of its
    own (``rows_of_one_statement``: a request's new session), so a request that needs
    nothing more, such as a ``304``, pays one round trip for both.  The session is then
    without a transaction, unless the key is a personal one (its account is read in one).
    """
    prefix = split_key(key)
    rows = []
    if prefix is not None:
        statement = sa_select(*KEY_CHECK_COLUMNS)
        if beside is not None:
            statement = sa_select(*KEY_CHECK_COLUMNS, *beside.c).select_from(
                outerjoin(ApiKey, beside, true()))
        rows = rows_of_one_statement(session, statement.where(col(ApiKey.prefix) == prefix))
    # Compare even when no row matched, so timing does not tell which prefixes exist.
    stored = rows[0][2] if rows else digest("cna_00000000_" + "x" * 43)
    if not matches(key, stored) or not rows:
        raise _unauthorized("the API key is not valid")
    (key_id, key_prefix, _, role, countries, expires_at, revoked_at, last_used_at,
     account_id) = rows[0][:len(KEY_CHECK_COLUMNS)]
    now = datetime.now(UTC)
    if revoked_at is not None:
        raise _unauthorized("the API key has been revoked")
    if expires_at is not None and expires_at <= now:
        raise _unauthorized("the API key has expired")
    if account_id is not None:  # a personal key lives only while its account may act
        account = session.get(Account, account_id)
        if account is None or not may_act(session, account):
            raise _unauthorized("the API key's account may not act any more")
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        session.execute(
            update(ApiKey).where(col(ApiKey.id) == key_id)
            .where(or_(col(ApiKey.last_used_at).is_(None),
                       col(ApiKey.last_used_at) < now - LAST_USED_RESOLUTION))
            .values(last_used_at=now)
        )
        session.commit()
    principal = Principal(role=Role(role), key_id=key_id, key_prefix=key_prefix,
                          countries=frozenset(countries) if countries else None)
    return principal, rows[0][len(KEY_CHECK_COLUMNS):]
