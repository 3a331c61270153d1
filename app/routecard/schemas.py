"""Shapes of the route card (for the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.networks.schemas import NetworkSummary


class Named(BaseModel):
    code: str
    name: str | None


class LanguagesOut(BaseModel):
    accepted: list[Named]
    requesting_state_official: list[Named] = Field(
        description="Official languages of the requesting State (CLDR)")
    official_accepted: list[Named] = Field(
        description="Those of them the requested authority accepts")
    translation_needed: bool
    translate_into: list[Named] = Field(description="When a translation is needed: the "
                                                    "languages it may be made into")


class MeansOut(BaseModel):
    channels: list[str]
    means: list[str]


class UrgentOut(MeansOut):
    notes: str | None


class ChannelsOut(BaseModel):
    normal: MeansOut
    urgent: UrgentOut | None


class RequirementsOut(BaseModel):
    legal_basis_convention: bool | None
    dual_criminality: str | None
    interpol_requests: list[str] | None = Field(description="Requests that may go through "
                                                            "INTERPOL; null when not stated")
    notes: str | None


class InstrumentRef(BaseModel):
    code: str
    name: str | None
    short_name: str | None


class DesignationCard(BaseModel):
    type: Named
    instrument: InstrumentRef
    article: str
    territory: list[str]
    scope: str | None
    since: str | None
    languages: LanguagesOut
    channels: ChannelsOut
    requirements: RequirementsOut


class OfficeStatus(BaseModel):
    time_zone: str | None
    hours: list[dict[str, Any]]
    local_time: str | None = Field(description="Local time at the office at `at`")
    open_now: bool | None = Field(description="None when hours or zone are unknown")
    closes_at: str | None
    next_opening: str | None


class AuthorityCard(BaseModel):
    id: str
    name: str | None
    name_lang: str | None
    acronym: str | None
    kind: str
    parent: str | None
    country: str
    address: dict[str, Any] | None
    phones: list[dict[str, Any]]
    emails: list[dict[str, Any]]
    website: str | None
    contacts: list[dict[str, Any]] | None = Field(
        default=None, description="Named contacts: key holders only")
    notes: str | None
    verified_on: str | None
    office_hours: OfficeStatus
    designations: list[DesignationCard]


class CountryRefOut(BaseModel):
    code: str
    name: str | None
    name_lang: str | None
    official_languages: list[Named] | None = None


class RouteCard(BaseModel):
    from_: CountryRefOut = Field(alias="from")
    to: CountryRefOut
    type: Named
    instrument: str | None
    region: str | None
    at: str
    authorities: list[AuthorityCard]
    shared_networks: list[NetworkSummary] = Field(
        description="Networks both States belong to: their contact points or secure "
                    "channel may be the faster route")
