"""History and the change log.

Every committed write adds one ``revisions`` row (the full record at that version, who,
when, why) and one ``changes`` row, in the same transaction.  The change rows are the
outbox that the search mirror, the sync feed and webhooks read.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel


class Revision(SQLModel, table=True):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("authority_id", "version"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    authority_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    document: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    actor: str = Field(sa_column=Column(Text, nullable=False))
    actor_role: str = Field(sa_column=Column(Text, nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )


class Change(SQLModel, table=True):
    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_authority", "authority_id", "version"),
        Index("ix_changes_unmirrored", "seq", postgresql_where=text("mirrored_at IS NULL")),
    )

    seq: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    authority_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    op: str = Field(sa_column=Column(Text, nullable=False))
    country: str = Field(sa_column=Column(Text, nullable=False))
    # The writing transaction's id: lets the feed withhold cursors past changes whose
    # transaction is still in flight (sequence values commit out of order).
    tx_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger,
            nullable=False,
            server_default=text("(pg_current_xact_id()::text)::bigint"),
        )
    )
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
    # Search mirror (relay) state: set only once Meilisearch reported the task succeeded.
    mirrored_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    mirror_attempts: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    mirror_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
