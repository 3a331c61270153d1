"""Shapes of the search API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class MatchedField(BaseModel):
    field: str = Field(description="Where the query matched: name.<lang>, acronym, "
                                   "parent.<lang>, address.locality, country, "
                                   "designations.type")
    highlight: str = Field(description="The matched text with <em>…</em> around the "
                                       "matched words (HTML-escaped)")


class SearchHit(BaseModel):
    record: dict[str, Any] = Field(description="The full record in the caller's view "
                                               "(interchange format v1)")
    matches: list[MatchedField]


class SearchFacets(BaseModel):
    country: dict[str, int]
    type: dict[str, int]
    instrument: dict[str, int]
    language: dict[str, int]


class SearchPage(BaseModel):
    hits: list[SearchHit]
    total: int = Field(description="Matching records, over every page")
    facets: SearchFacets = Field(description="Counts over the whole filtered result")
    engine: str = Field(description="postgres, meilisearch, or postgres-fallback when "
                                    "Meilisearch is configured but could not answer")
    limit: int
    offset: int
    next_cursor: str | None
