"""reminder digests: one row per digest mail to a focal point

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 12:40:00

``reminder_digests``: who got a digest of their State's unverified records, when, why
(the weekly job, the command line or the secretariat's button), listing which records,
and the outbox row of the mail.  Nobody gets more than one in 7 days.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_digests",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("account_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("accounts.id"),
                  nullable=False),
        sa.Column("countries", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("authority_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)),
                  nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("mail_id", sa.BigInteger(), sa.ForeignKey("mail_outbox.id")),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reminder_digests_account_sent", "reminder_digests",
                    ["account_id", "sent_at"])


def downgrade() -> None:
    op.drop_table("reminder_digests")
