"""Requests for an account, made by visitors and decided by the secretariat or a focal
point of the authority's State.  Nothing is deleted: a request is pending, approved or
rejected, and keeps who decided, when and from which address."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Index, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

# ``existing_account``: asked for an address that has an account already.  Such a row is
# never shown nor decided; it is kept only so that the per-address budget counts every
# request alike (the answer must not tell which addresses have accounts).
ACCESS_REQUEST_STATUSES = ("pending", "approved", "rejected", "existing_account")


class AccessRequest(SQLModel, table=True):
    __tablename__ = "access_requests"

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    email: str = Field(sa_column=Column(Text, nullable=False))
    name: str = Field(sa_column=Column(Text, nullable=False))
    language: str = Field(sa_column=Column(Text, nullable=False))
    authority_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("authorities.id"), nullable=False))
    position: str = Field(sa_column=Column(Text, nullable=False))
    justification: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(Text, nullable=False))
    client_address: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False,
                                                  server_default=func.now()))
    decided_by: str | None = Field(default=None, sa_column=Column(Text))
    decided_at: datetime | None = Field(default=None,
                                        sa_column=Column(DateTime(timezone=True)))
    decided_from: str | None = Field(default=None, sa_column=Column(Text))
    account_id: uuid.UUID | None = Field(default=None, sa_column=Column(
        UUID(as_uuid=True), ForeignKey("accounts.id")))


# The per-address budget counts recent requests of one address, whatever its case.
Index("ix_access_requests_email_lower_created",
      func.lower(AccessRequest.__table__.c.email),  # type: ignore[attr-defined]
      AccessRequest.__table__.c.created_at)  # type: ignore[attr-defined]
Index("ix_access_requests_status", AccessRequest.__table__.c.status)  # type: ignore[attr-defined]
