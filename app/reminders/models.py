"""Reminder digests: one row per digest mail queued for a focal point, so that nobody gets
more than one a week and the secretariat sees when each went out."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlmodel import Field, SQLModel


class ReminderDigest(SQLModel, table=True):
    __tablename__ = "reminder_digests"
    __table_args__ = (Index("ix_reminder_digests_account_sent", "account_id", "sent_at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    account_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("accounts.id"), nullable=False))
    # The States whose stale records the digest lists, and those records.
    countries: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    authority_ids: list[uuid.UUID] = Field(sa_column=Column(ARRAY(UUID(as_uuid=True)),
                                                            nullable=False))
    # "schedule" (cna worker), "cli" (cna reminders send) or "account:<id>" (the
    # secretariat's button on /currency).
    trigger: str = Field(sa_column=Column(Text, nullable=False))
    mail_id: int | None = Field(default=None, sa_column=Column(
        BigInteger, ForeignKey("mail_outbox.id")))
    sent_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
