"""The mail outbox: one row per message, written in the transaction of the action that
causes it, and sent by `cna worker` (see app/mail/outbox.py and app/mail/worker.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Index, Integer, Text, func
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel


class MailStatus(StrEnum):
    pending = "pending"  # queued, or waiting for its next attempt after a failure
    sending = "sending"  # claimed by a worker until lease_until
    sent = "sent"
    failed = "failed"  # gave up after the last attempt (or refused for good by the server)


class MailMessage(SQLModel, table=True):
    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')",
                        name="ck_mail_outbox_status"),
        # The worker's claim: the due rows, oldest first.
        Index("ix_mail_outbox_due", "next_attempt_at",
              postgresql_where=sql_text("status IN ('pending', 'sending')")),
        Index("ix_mail_outbox_status_created", "status", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    # The Message-ID header, kept across retries so a receiver can recognise a resend.
    message_id: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    recipient: str = Field(sa_column=Column(Text, nullable=False))
    language: str = Field(sa_column=Column(Text, nullable=False))
    template: str = Field(sa_column=Column(Text, nullable=False))
    # What caused the mail (e.g. "invitation:<uuid>"), for the secretariat's view.
    cause: str | None = Field(default=None, sa_column=Column(Text))
    subject: str = Field(sa_column=Column(Text, nullable=False))
    # The rendered bodies hold tokens: never logged, never shown by the API.
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(
        default=MailStatus.pending.value,
        sa_column=Column(Text, nullable=False, server_default=MailStatus.pending.value),
    )
    attempts: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=sql_text("0"))
    )
    next_attempt_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    # While status is sending: the worker holding the row, and until when.
    lease_owner: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    lease_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
