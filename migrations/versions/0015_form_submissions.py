"""form submissions: one-time nonces of the record forms

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 12:30:00

``form_submissions``: the SHA-256 digest of each record form's nonce once the form was
acted upon, with who sent it and where its first post led, so that a form posted twice
(a double click, back and resubmit) makes one proposal or edit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form_submissions",
        sa.Column("nonce_digest", sa.Text(), primary_key=True),
        sa.Column("account_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("accounts.id"),
                  nullable=False),
        sa.Column("outcome", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
    )


def downgrade() -> None:
    op.drop_table("form_submissions")
