"""search documents rebuilt: Chinese and Japanese indexed as bigrams

The tokenizer (search/text.py) now cuts runs of Han and kana into overlapping bigrams.
``search_documents`` and ``search_terms`` are derived from the revisions, so they are
rebuilt here with the tokenizer of the code being installed (what
``cna reindex --postgres-only`` does).  No schema change.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 11:50:00
"""

from collections.abc import Sequence

from alembic import op
from sqlmodel import Session

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from search.documents import rebuild_search_documents

    op.execute("DELETE FROM search_terms")
    session = Session(bind=op.get_bind())
    rebuild_search_documents(session)
    session.flush()


def downgrade() -> None:
    # Derived data only: an older version rebuilds it with `cna reindex --postgres-only`.
    pass
