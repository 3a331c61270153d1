"""regional networks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "networks",
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("acronym", sa.String(length=64), nullable=False),
        sa.Column("name", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("website", sa.String(), nullable=True),
        sa.Column("region", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("secure_channel", sa.Boolean(), nullable=False),
        sa.Column("members_as_of", sa.Date(), nullable=True),
        sa.Column("source", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("notes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "network_members",
        sa.Column("network_code", sa.Text(), nullable=False),
        sa.Column("country", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["network_code"], ["networks.code"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["country"], ["countries.alpha3"]),
        sa.PrimaryKeyConstraint("network_code", "country"),
    )
    op.create_index("ix_network_members_country", "network_members", ["country"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_network_members_country", table_name="network_members")
    op.drop_table("network_members")
    op.drop_table("networks")
