"""One-time form nonces: a record form posted twice makes one proposal or edit."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel


class FormSubmission(SQLModel, table=True):
    """A record form that was acted upon: the SHA-256 digest of its nonce, who sent it,
    and the page its first post led to (a second post is sent there too)."""

    __tablename__ = "form_submissions"

    nonce_digest: str = Field(sa_column=Column(Text, primary_key=True))
    account_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True),
                                                   ForeignKey("accounts.id"), nullable=False))
    outcome: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
