"""Tables of the search domain: derived search documents and the term vocabulary."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlmodel import Field, SQLModel


class SearchDocument(SQLModel, table=True):
    """One row per authority, rewritten in the authority's own write transaction.

    ``terms`` holds the folded words with a weight per field class (A: name, acronym and
    their transliterations; B: parent body, locality and theirs) plus one pseudo-lexeme
    for the country (``~c~BRA``, weight C) and one per designation type (``~t~…``,
    weight D).  ``document`` is the public search document sent to Meilisearch.
    """

    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_terms", "terms", postgresql_using="gin"),
        Index("ix_search_documents_dkeys", "dkeys", postgresql_using="gin"),
        Index("ix_search_documents_country", "country"),
    )

    authority_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("authorities.id", ondelete="CASCADE"),
                         primary_key=True)
    )
    version: int = Field(sa_column=Column(Integer, nullable=False))
    country: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(sa_column=Column(Text, nullable=False))
    kind: str = Field(sa_column=Column(Text, nullable=False))
    types: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    instruments: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    languages: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    dkeys: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    terms: Any = Field(sa_column=Column(TSVECTOR, nullable=False))
    document: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))


class SearchTerm(SQLModel, table=True):
    """The vocabulary: every indexed word, and the lexeme it stands for.

    A plain word stands for itself; a word of a country name (in any CLDR language) stands
    for that country's pseudo-lexeme, a word of a designation type's names or synonyms for
    the type's.  Typos and prefixes are resolved here (pg_trgm, text_pattern_ops), then
    the documents are found through ``search_documents.terms``.

    No unique key on purpose: writers only add words that are not there yet, and two
    concurrent writers adding the same new word must not wait for each other (a unique
    index would make them), so a word may be listed twice; readers take distinct rows.
    """

    __tablename__ = "search_terms"
    __table_args__ = (
        Index("ix_search_terms_trgm", "term", postgresql_using="gin",
              postgresql_ops={"term": "gin_trgm_ops"}),
        Index("ix_search_terms_prefix", "term", "lexeme",
              postgresql_ops={"term": "text_pattern_ops"}),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    term: str = Field(sa_column=Column(Text, nullable=False))
    lexeme: str = Field(sa_column=Column(Text, nullable=False))
