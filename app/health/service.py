"""The SQL of the health routes: cheap enough to be asked every few seconds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

# /readyz counts pending change rows up to this many (an index range scan, never the whole
# log); /metrics has the exact figure.
BACKLOG_COUNT_CAP = 1000

_BACKLOG = text("""
    WITH pending AS (
        SELECT seq, created_at, mirror_attempts, mirror_error FROM changes
        WHERE mirrored_at IS NULL ORDER BY seq LIMIT :cap)
    SELECT count(*), extract(epoch FROM now() - min(created_at)), max(mirror_attempts),
           (SELECT mirror_error FROM pending WHERE mirror_error IS NOT NULL
            ORDER BY seq LIMIT 1)
    FROM pending
""")


def database_answers(session: Session) -> None:
    session.execute(text("SELECT 1"))


def search_backlog(session: Session) -> dict[str, Any]:
    """The oldest pending change rows, at most ``BACKLOG_COUNT_CAP`` of them: how many
    (``pending_capped`` when there may be more), the age of the oldest, the most attempts
    and the first error."""
    pending, oldest, attempts, error = session.execute(
        _BACKLOG, {"cap": BACKLOG_COUNT_CAP}).one()
    return {"pending": int(pending), "pending_capped": pending >= BACKLOG_COUNT_CAP,
            "oldest_pending_age_seconds": round(float(oldest), 3) if oldest is not None
            else 0.0,
            "max_attempts": int(attempts or 0), "last_error": error}
