"""The derived search document of an authority (filled in by the search work)."""

from __future__ import annotations

from sqlmodel import Session

from app.authorities.models import Authority


def refresh_search_document(session: Session, authority: Authority) -> None:
    """Called inside every write transaction, after the record's rows are flushed."""
    return None
