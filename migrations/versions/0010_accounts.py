"""accounts, account events, invitations, sessions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:00:00

People sign in: ``accounts`` (one per e-mail address, compared case-insensitively),
``account_events`` (every change: who, when, from where, before and after),
``invitations`` and ``account_sessions`` (only SHA-256 digests of their tokens).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _moment(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=None if nullable else sa.text("now()"))


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("countries", postgresql.ARRAY(sa.Text())),
        sa.Column("authority_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True))),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text()),
        _moment("created_at", nullable=False),
        _moment("updated_at", nullable=False),
    )
    op.create_index("ux_accounts_email_lower", "accounts", [sa.text("lower(email)")],
                    unique=True)
    op.create_table(
        "account_events",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("account_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("accounts.id"),
                  nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("client_address", sa.Text()),
        sa.Column("changes", postgresql.JSONB(), nullable=False),
        _moment("at", nullable=False),
    )
    op.create_index("ix_account_events_account_id", "account_events", ["account_id"])
    op.create_table(
        "invitations",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("account_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("accounts.id"),
                  nullable=False),
        sa.Column("token_digest", sa.Text(), nullable=False, unique=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _moment("used_at"),
        _moment("created_at", nullable=False),
    )
    op.create_index("ix_invitations_account_id", "invitations", ["account_id"])
    op.create_table(
        "account_sessions",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("account_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("accounts.id"),
                  nullable=False),
        sa.Column("token_digest", sa.Text(), nullable=False, unique=True),
        sa.Column("client_address", sa.Text()),
        sa.Column("user_agent", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _moment("ended_at"),
        sa.Column("end_reason", sa.Text()),
    )
    op.create_index("ix_account_sessions_account_id", "account_sessions", ["account_id"])


def downgrade() -> None:
    op.drop_table("account_sessions")
    op.drop_table("invitations")
    op.drop_table("account_events")
    op.drop_table("accounts")
