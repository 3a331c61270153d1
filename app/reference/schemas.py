"""Response shapes of the reference routes (for the OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel

from app.networks.schemas import NetworkSummary


class CountryOut(BaseModel):
    code: str
    alpha2: str
    numeric: str
    name: str
    name_lang: str | None
    region: str | None
    subregion: str | None
    official_languages: list[str]
    time_zones: list[str]


class AuthoritySummary(BaseModel):
    id: str
    name: str | None
    name_lang: str | None
    acronym: str | None
    kind: str
    types: list[str]


class CountryDetail(CountryOut):
    names: dict[str, str]
    authorities: list[AuthoritySummary]
    types_designated: dict[str, int]
    networks: list[NetworkSummary]


class CountryList(BaseModel):
    items: list[CountryOut]


class ArticleOut(BaseModel):
    article: str
    type: str
    type_name: str | None
    title: str | None


class InstrumentOut(BaseModel):
    code: str
    name: str | None
    short_name: str | None
    name_lang: str | None
    adopted: str | None
    articles: list[ArticleOut]


class InstrumentList(BaseModel):
    items: list[InstrumentOut]
