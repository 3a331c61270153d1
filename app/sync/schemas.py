"""Shapes of the change feed (for OpenAPI; the routes serialise plain dicts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class FeedEntry(BaseModel):
    cursor: str = Field(description="Opaque; pass it as `after` to continue after this entry")
    op: Literal["upsert", "withdraw"] = Field(
        description="`withdraw` is a tombstone: the record is kept, with status `withdrawn`")
    id: str
    version: int
    at: datetime = Field(description="When the change was written")
    record: dict[str, Any] = Field(
        description="The record at this version, in the caller's view (interchange format v1)")


class FeedPage(BaseModel):
    items: list[FeedEntry]
    next_cursor: str = Field(
        description="Pass as `after` for the next page; equals `after` when nothing is new")
    has_more: bool = Field(description="More entries are available right now")
