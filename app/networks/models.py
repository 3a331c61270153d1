"""Regional networks and their member States."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class Network(SQLModel, table=True):
    __tablename__ = "networks"

    code: str = Field(primary_key=True, max_length=48)
    acronym: str = Field(max_length=64)
    name: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))
    website: str | None = None
    region: dict[str, str] | None = Field(default=None, sa_column=Column(JSONB))
    secure_channel: bool = False
    members_as_of: date | None = None
    source: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    notes: dict[str, str] | None = Field(default=None, sa_column=Column(JSONB))


class NetworkMember(SQLModel, table=True):
    __tablename__ = "network_members"
    __table_args__ = (Index("ix_network_members_country", "country"),)

    network_code: str = Field(
        sa_column=Column(Text, ForeignKey("networks.code", ondelete="CASCADE"),
                         primary_key=True)
    )
    country: str = Field(
        sa_column=Column(Text, ForeignKey("countries.alpha3"), primary_key=True)
    )
