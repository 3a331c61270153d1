"""second factor: TOTP seeds and recovery codes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:10:00

``account_totp``: one encrypted TOTP seed per account, pending until confirmed, with the
last time step accepted (a code works once); ``account_recovery_codes``: SHA-256 digests
of single-use recovery codes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_totp",
        sa.Column("account_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("accounts.id"),
                  primary_key=True),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_step", sa.BigInteger()),
    )
    op.create_table(
        "account_recovery_codes",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("account_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("accounts.id"),
                  nullable=False),
        sa.Column("code_digest", sa.Text(), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_account_recovery_codes_account_id", "account_recovery_codes",
                    ["account_id"])


def downgrade() -> None:
    op.drop_table("account_recovery_codes")
    op.drop_table("account_totp")
