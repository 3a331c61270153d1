"""API keys: who may call the API, with which role, for which countries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlmodel import Field, SQLModel


class ApiKey(SQLModel, table=True):
    """A key is shown once; only its SHA-256 digest is stored (keys are 256-bit random)."""

    __tablename__ = "api_keys"

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    prefix: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    digest: str = Field(sa_column=Column(Text, nullable=False))
    role: str = Field(sa_column=Column(Text, nullable=False))
    countries: list[str] | None = Field(default=None, sa_column=Column(ARRAY(Text)))
    label: str | None = Field(default=None, sa_column=Column(Text))
    expires_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_used_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    created_by: str | None = Field(default=None, sa_column=Column(Text))
    # A personal key: it works only while this account may act (app/accounts).
    account_id: uuid.UUID | None = Field(default=None, sa_column=Column(
        UUID(as_uuid=True), ForeignKey("accounts.id"), index=True))
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
