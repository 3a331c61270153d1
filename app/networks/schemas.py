"""Response shapes of the network routes."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SourceOut(BaseModel):
    url: str
    description: str = Field(description="What the cited source is")
    quote: str | None = Field(default=None, description="The passage of the source the "
                                                        "membership rests on")


class NetworkSummary(BaseModel):
    code: str
    acronym: str
    purpose: str = Field(description="judicial_cooperation (central authorities, judges, "
                                     "prosecutors) or asset_recovery (an ARIN)")
    name: str | None
    name_lang: str | None
    names: dict[str, str]
    website: str | None
    region: str | None
    secure_channel: bool = Field(description="The network runs a secure channel between "
                                             "its contact points")
    members_as_of: str | None
    source: SourceOut
    notes: str | None = Field(description="Caveats: membership date or uncertainty")


class NetworkOut(NetworkSummary):
    members: list[str] = Field(description="Member States, ISO 3166-1 alpha-3")


class NetworkList(BaseModel):
    items: list[NetworkOut]
