"""search documents and engine state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:10:00

- ``search_documents``: the derived search document of each authority (Postgres engine),
  and ``search_terms``: the vocabulary that typos and prefixes are resolved against.
- relay state on ``changes`` (``mirrored_at``, ``mirror_attempts``, ``mirror_error``).

Existing records get their search documents from ``cna reindex --postgres-only`` (the
derived documents are built in Python); ``cna reindex`` does it too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "search_documents",
        sa.Column("authority_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("country", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("types", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("instruments", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("languages", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("dkeys", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("terms", postgresql.TSVECTOR(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authorities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("authority_id"),
    )
    op.create_index("ix_search_documents_terms", "search_documents", ["terms"],
                    postgresql_using="gin")
    op.create_index("ix_search_documents_dkeys", "search_documents", ["dkeys"],
                    postgresql_using="gin")
    op.create_index("ix_search_documents_country", "search_documents", ["country"])
    op.create_table(
        "search_terms",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("lexeme", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_search_terms_trgm", "search_terms", ["term"], postgresql_using="gin",
                    postgresql_ops={"term": "gin_trgm_ops"})
    op.create_index("ix_search_terms_prefix", "search_terms", ["term", "lexeme"],
                    postgresql_ops={"term": "text_pattern_ops"})
    op.add_column("changes", sa.Column("mirrored_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("changes", sa.Column("mirror_attempts", sa.Integer(), server_default="0",
                                       nullable=False))
    op.add_column("changes", sa.Column("mirror_error", sa.Text(), nullable=True))
    op.create_index("ix_changes_unmirrored", "changes", ["seq"],
                    postgresql_where=sa.text("mirrored_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_changes_unmirrored", table_name="changes")
    op.drop_column("changes", "mirror_error")
    op.drop_column("changes", "mirror_attempts")
    op.drop_column("changes", "mirrored_at")
    op.drop_index("ix_search_terms_prefix", table_name="search_terms")
    op.drop_index("ix_search_terms_trgm", table_name="search_terms")
    op.drop_table("search_terms")
    op.drop_index("ix_search_documents_country", table_name="search_documents")
    op.drop_index("ix_search_documents_dkeys", table_name="search_documents")
    op.drop_index("ix_search_documents_terms", table_name="search_documents")
    op.drop_table("search_documents")
