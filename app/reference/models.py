"""Reference tables: countries, languages, instruments, articles and designation types."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Column, ForeignKey, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel


class Country(SQLModel, table=True):
    __tablename__ = "countries"

    alpha3: str = Field(primary_key=True, max_length=3)
    alpha2: str = Field(unique=True, max_length=2)
    numeric: str = Field(max_length=3)
    region: str | None = Field(default=None, max_length=3)
    subregion: str | None = Field(default=None, max_length=3)
    names: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))
    official_languages: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    time_zones: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))


class Language(SQLModel, table=True):
    __tablename__ = "languages"

    code: str = Field(primary_key=True, max_length=35)
    names: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))


class Instrument(SQLModel, table=True):
    __tablename__ = "instruments"

    code: str = Field(primary_key=True, max_length=32)
    names: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))
    short_names: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))
    adopted: date | None = None


class DesignationType(SQLModel, table=True):
    __tablename__ = "designation_types"

    code: str = Field(primary_key=True, max_length=48)
    core: bool = False
    names: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))
    synonyms: dict[str, list[str]] = Field(sa_column=Column(JSONB, nullable=False))


class Article(SQLModel, table=True):
    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("instrument_code", "article"),)

    id: int | None = Field(default=None, primary_key=True)
    instrument_code: str = Field(
        sa_column=Column(Text, ForeignKey("instruments.code"), nullable=False)
    )
    article: str = Field(max_length=16)
    type_code: str = Field(
        sa_column=Column(Text, ForeignKey("designation_types.code"), nullable=False)
    )
    title: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
