"""The second factor of an account: its TOTP seed and its recovery codes.

The seed must be read back to check codes, so it is stored encrypted (app/core/crypto.py).
Recovery codes carry 80 random bits each, so a plain SHA-256 digest is stored, as for
tokens: a slow hash adds nothing against guessing 2^80 values, and a digest is found by
an index lookup without a hash computation per stored code.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel


class AccountTotp(SQLModel, table=True):
    """One per account: pending until ``confirmed_at``, then required at sign-in."""

    __tablename__ = "account_totp"

    account_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("accounts.id"), primary_key=True))
    secret_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True), nullable=False, server_default=func.now()))
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True)))
    # The RFC 6238 time step of the last code accepted: a code of that step or an earlier
    # one is refused, so a code works once.
    last_used_step: int | None = Field(default=None, sa_column=Column(BigInteger))


class RecoveryCode(SQLModel, table=True):
    __tablename__ = "account_recovery_codes"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True,
                                                          autoincrement=True))
    account_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=False, index=True))
    code_digest: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    created_at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True), nullable=False, server_default=func.now()))
    used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
