"""People: accounts, the record of every change to them, invitations and sessions.

Nothing here is deleted: an account is suspended or closed, an invitation used or
expired, a session ended.  Tokens (invitations, sessions) are 256-bit random strings, so
only their SHA-256 digests are stored.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, Integer, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlmodel import Field, SQLModel

ACCOUNT_STATUSES = ("invited", "active", "suspended", "closed")


def _moment(nullable: bool = True) -> Any:
    return Column(DateTime(timezone=True), nullable=nullable,
                  server_default=None if nullable else func.now())


class Account(SQLModel, table=True):
    __tablename__ = "accounts"

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    email: str = Field(sa_column=Column("email", Text, nullable=False))
    display_name: str = Field(sa_column=Column(Text, nullable=False))
    language: str = Field(sa_column=Column(Text, nullable=False))
    role: str = Field(sa_column=Column(Text, nullable=False))
    # focal_point and network: the countries; official: the authority records.
    countries: list[str] | None = Field(default=None, sa_column=Column(ARRAY(Text)))
    authority_ids: list[uuid.UUID] | None = Field(
        default=None, sa_column=Column(ARRAY(UUID(as_uuid=True))))
    status: str = Field(sa_column=Column(Text, nullable=False))
    password_hash: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime | None = Field(default=None, sa_column=_moment(nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=_moment(nullable=False))


# One account per address, whatever its case.
Index("ux_accounts_email_lower", func.lower(Account.__table__.c.email),  # type: ignore[attr-defined]
      unique=True)


class AccountEvent(SQLModel, table=True):
    """One change to an account: who, when, from where, and each changed field's before
    and after (a password is recorded as changed, never its hash)."""

    __tablename__ = "account_events"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True,
                                                          autoincrement=True))
    account_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=False, index=True))
    action: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(sa_column=Column(Text, nullable=False))
    client_address: str | None = Field(default=None, sa_column=Column(Text))
    changes: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    at: datetime | None = Field(default=None, sa_column=_moment(nullable=False))


class Invitation(SQLModel, table=True):
    __tablename__ = "invitations"

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    account_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=False, index=True))
    token_digest: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    created_by: str = Field(sa_column=Column(Text, nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=_moment())
    created_at: datetime | None = Field(default=None, sa_column=_moment(nullable=False))


class AccountSession(SQLModel, table=True):
    __tablename__ = "account_sessions"

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    account_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=False, index=True))
    token_digest: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    client_address: str | None = Field(default=None, sa_column=Column(Text))
    user_agent: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=_moment())
    end_reason: str | None = Field(default=None, sa_column=Column(Text))


class AttemptCounter(SQLModel, table=True):
    """Failed sign-ins or password-reset requests of one subject (an e-mail address or a
    client address, kept as a SHA-256 digest) in the current window, and until when it is
    refused.  In Postgres, so every worker counts the same."""

    __tablename__ = "attempt_counters"

    scope: str = Field(sa_column=Column(Text, primary_key=True))
    subject_digest: str = Field(sa_column=Column(Text, primary_key=True))
    count: int = Field(sa_column=Column(Integer, nullable=False))
    window_started_at: datetime = Field(sa_column=Column(DateTime(timezone=True),
                                                         nullable=False))
    blocked_until: datetime | None = Field(default=None, sa_column=_moment())


class PasswordReset(SQLModel, table=True):
    __tablename__ = "password_resets"

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    account_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=False, index=True))
    token_digest: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    client_address: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=_moment())
