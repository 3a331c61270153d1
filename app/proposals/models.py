"""Changes proposed by a State's focal point, awaiting the secretariat's decision."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel


class Proposal(SQLModel, table=True):
    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_status_created", "status", "created_at"),)

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    action: str = Field(sa_column=Column(Text, nullable=False))  # create, update, withdraw
    country: str = Field(sa_column=Column(Text, nullable=False, index=True))
    authority_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(UUID(as_uuid=True), index=True)
    )
    base_version: int | None = Field(default=None, sa_column=Column(Integer))
    document: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    # pending, approved, rejected, or closed unapplied: stale, conflict (see service.py)
    status: str = Field(sa_column=Column(Text, nullable=False))
    proposed_by: str = Field(sa_column=Column(Text, nullable=False))
    decided_by: str | None = Field(default=None, sa_column=Column(Text))
    decision_comment: str | None = Field(default=None, sa_column=Column(Text))
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    result_version: int | None = Field(default=None, sa_column=Column(Integer))
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
