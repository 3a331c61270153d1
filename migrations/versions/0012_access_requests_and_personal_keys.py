"""access requests; personal API keys linked to their account

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:10:00

``access_requests``: a visitor's request for an account (pending, approved, rejected, or
``existing_account`` when the address has one: kept only for the per-address budget).
``api_keys.account_id``: a personal key works only while its account may act.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_requests",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("authority_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("authorities.id"), nullable=False),
        sa.Column("position", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("client_address", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
        sa.Column("decided_by", sa.Text()),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decided_from", sa.Text()),
        sa.Column("account_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("accounts.id")),
    )
    op.create_index("ix_access_requests_email_lower_created", "access_requests",
                    [sa.text("lower(email)"), "created_at"])
    op.create_index("ix_access_requests_status", "access_requests", ["status"])
    op.add_column("api_keys", sa.Column("account_id", postgresql.UUID(as_uuid=True),
                                        sa.ForeignKey("accounts.id")))
    op.create_index("ix_api_keys_account_id", "api_keys", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_api_keys_account_id", table_name="api_keys")
    op.drop_column("api_keys", "account_id")
    op.drop_table("access_requests")
