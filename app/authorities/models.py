"""Authority records, split into the tables the interchange format implies."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlmodel import Field, Relationship, SQLModel


def _authority_fk() -> Column[Any]:
    return Column(
        UUID(as_uuid=True),
        ForeignKey("authorities.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


class Authority(SQLModel, table=True):
    __tablename__ = "authorities"
    __table_args__ = (
        UniqueConstraint("country", "ref"),
        Index("ix_authorities_country_id", "country", "id"),
        Index("ix_authorities_updated_at", "updated_at"),
    )

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    country: str = Field(
        sa_column=Column(Text, ForeignKey("countries.alpha3"), nullable=False)
    )
    ref: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=32)
    name: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))
    acronym: str | None = Field(default=None, max_length=32)
    parent: dict[str, str] | None = Field(default=None, sa_column=Column(JSONB))
    address: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    website: str | None = None
    time_zone: str | None = None
    office_hours: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    notes: dict[str, str] | None = Field(default=None, sa_column=Column(JSONB))
    verified_on: date | None = None
    status: str = Field(max_length=16)
    version: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
    updated_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )

    designations: list["Designation"] = Relationship(
        sa_relationship_kwargs={
            "order_by": "Designation.position",
            "cascade": "all, delete-orphan",
            "lazy": "selectin",
        }
    )
    contacts: list["Contact"] = Relationship(
        sa_relationship_kwargs={
            "order_by": "Contact.position",
            "cascade": "all, delete-orphan",
            "lazy": "selectin",
        }
    )
    phones: list["Phone"] = Relationship(
        sa_relationship_kwargs={
            "primaryjoin": "and_(Phone.authority_id == Authority.id, Phone.contact_id == None)",
            "order_by": "Phone.position",
            "cascade": "all, delete-orphan",
            "lazy": "selectin",
            "overlaps": "phones",
        }
    )
    emails: list["Email"] = Relationship(
        sa_relationship_kwargs={
            "primaryjoin": "and_(Email.authority_id == Authority.id, Email.contact_id == None)",
            "order_by": "Email.position",
            "cascade": "all, delete-orphan",
            "lazy": "selectin",
            "overlaps": "emails",
        }
    )


class Designation(SQLModel, table=True):
    __tablename__ = "designations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["instrument", "article"], ["articles.instrument_code", "articles.article"]
        ),
        Index("ix_designations_type", "type"),
        Index("ix_designations_languages", "languages", postgresql_using="gin"),
        Index("ix_designations_channels", "channels", postgresql_using="gin"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    authority_id: uuid.UUID = Field(sa_column=_authority_fk())
    position: int
    type: str = Field(sa_column=Column(Text, ForeignKey("designation_types.code"), nullable=False))
    instrument: str = Field(sa_column=Column(Text, ForeignKey("instruments.code"), nullable=False))
    article: str = Field(max_length=16)
    territory: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    scope: dict[str, str] | None = Field(default=None, sa_column=Column(JSONB))
    since: date | None = None
    until: date | None = None
    notification: str | None = None
    languages: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    channels: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    means: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    urgent: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    requirements: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    authority_id: uuid.UUID = Field(sa_column=_authority_fk())
    position: int
    name: str
    title: dict[str, str] | None = Field(default=None, sa_column=Column(JSONB))
    languages: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))

    phones: list["Phone"] = Relationship(
        sa_relationship_kwargs={
            "order_by": "Phone.position",
            "cascade": "all, delete-orphan",
            "lazy": "selectin",
            "overlaps": "phones",
        }
    )
    emails: list["Email"] = Relationship(
        sa_relationship_kwargs={
            "order_by": "Email.position",
            "cascade": "all, delete-orphan",
            "lazy": "selectin",
            "overlaps": "emails",
        }
    )


class Phone(SQLModel, table=True):
    """A phone of the authority itself (contact_id null) or of one of its contacts."""

    __tablename__ = "phones"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    authority_id: uuid.UUID = Field(sa_column=_authority_fk())
    contact_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("contacts.id", ondelete="CASCADE"), index=True),
    )
    position: int
    number: str = Field(max_length=32)
    kind: str = Field(max_length=16)
    label: str | None = None
    restricted: bool = False


class Email(SQLModel, table=True):
    __tablename__ = "emails"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    authority_id: uuid.UUID = Field(sa_column=_authority_fk())
    contact_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("contacts.id", ondelete="CASCADE"), index=True),
    )
    position: int
    address: str = Field(max_length=320)
    label: str | None = None
    restricted: bool = False
