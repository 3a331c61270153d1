"""api key expiries Python can read

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:30:00

Before this release ``POST /v1/keys`` took any ``expires_at``.  One written with an offset
at the edge of the calendar (``0001-01-01T00:00:00+14:00``, ``9999-12-31T23:59:59-14:00``)
is stored as a UTC time before year 1 or after year 9999, which psycopg cannot read back:
from then on listing and revoking keys failed.  Such an expiry moves to the nearest time
readable in any session time zone: the key stays expired, or keeps an expiry thousands of
years away.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE api_keys SET expires_at = '1900-01-01 00:00:00+00' "
               "WHERE expires_at < '0002-01-01 00:00:00+00'")
    op.execute("UPDATE api_keys SET expires_at = '9999-12-30 00:00:00+00' "
               "WHERE expires_at > '9999-12-30 00:00:00+00'")


def downgrade() -> None:
    """The old values were unreadable; nothing to restore."""
