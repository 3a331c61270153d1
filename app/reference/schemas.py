"""Response shapes of the reference routes (for the OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel, Field

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


class SourceOut(BaseModel):
    url: str
    clause: str = Field(description="The article or paragraph quoted, e.g. 18(13)")
    quote: str = Field(description="The clause, quoted from the text at `url`")
    description: str | None = None


class InterpolOut(BaseModel):
    requests: list[str] = Field(description="Request kinds the clause lets go through "
                                            "INTERPOL (interchange `interpol_requests` values)")
    quote: str


class ArticleOut(BaseModel):
    article: str
    type: str
    type_name: str | None
    title: str | None
    source: SourceOut | None = Field(description="Where the basis is written")
    interpol: InterpolOut | None = Field(description="The clause naming INTERPOL as a "
                                                     "channel, where there is one")


class InstrumentOut(BaseModel):
    code: str
    kind: str = Field(description="convention, protocol or resolution")
    name: str | None
    short_name: str | None
    name_lang: str | None
    adopted: str | None
    articles: list[ArticleOut]


class InstrumentList(BaseModel):
    format_version: str = Field(description="Version of the interchange format "
                                            "(docs/interchange.md)")
    items: list[InstrumentOut]
