"""Webhook subscriptions, their deliveries (one row per message) and delivery attempts.

Deliveries are derived from committed change rows: the worker copies each change an
endpoint subscribes to into a ``webhook_deliveries`` row (advancing the endpoint's
``cursor``), then sends the rows of each endpoint strictly in ``id`` order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlmodel import Field, SQLModel


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_owner", "owner_key_id"),)

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    url: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    event_types: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    # None: every country the owner may read.
    countries: list[str] | None = Field(default=None, sa_column=Column(ARRAY(Text)))
    # The whsec_ secret, encrypted with CNA_SECRET_KEY (it must be usable for signing).
    secret_ciphertext: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(
        default="active", sa_column=Column(Text, nullable=False, server_default="active")
    )
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text))
    disabled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # Start of the current run of failed attempts; None while deliveries succeed.
    failing_since: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    # The last change seq already turned into deliveries for this endpoint.
    cursor: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default=text("0"))
    )
    owner_key_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    owner_role: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class WebhookDelivery(SQLModel, table=True):
    """One message to one endpoint; ``msg_id`` (the webhook-id) is kept across retries and
    manual redeliveries so receivers can deduplicate."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint_status", "endpoint_id", "status", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    endpoint_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True),
                         ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False)
    )
    msg_id: str = Field(sa_column=Column(Text, nullable=False))
    event_type: str = Field(sa_column=Column(Text, nullable=False))
    change_seq: int | None = Field(default=None, sa_column=Column(BigInteger))
    payload: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    # pending (queued or retrying), succeeded, failed (a ping that failed: never retried)
    status: str = Field(sa_column=Column(Text, nullable=False))
    attempts: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default=text("0"))
    )
    next_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    last_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    last_status_code: int | None = Field(default=None, sa_column=Column(Integer))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempts"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    delivery_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
                         nullable=False, index=True)
    )
    attempted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    status_code: int | None = Field(default=None, sa_column=Column(Integer))
    error: str | None = Field(default=None, sa_column=Column(Text))
    duration_ms: int = Field(sa_column=Column(Integer, nullable=False))
