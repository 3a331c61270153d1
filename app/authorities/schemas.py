"""The interchange record (shared/docs/interchange.md), as accepted on input.

Validation happens in two passes that report errors in one shape (``FieldError`` with
a path into the document):

1. structure and self-contained rules (pydantic): types, enums, e-mail syntax, IANA
   zones, language tags, office hours, URL schemes;
2. rules that need the record's country or the reference tables
   (``validate_record``): country codes, subdivisions, phone numbers read in the
   country, instrument/article/type agreement, the default time zone.

Import and the write API both go through ``validate_record``, so the same bad input
always gets the same errors.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import langcodes
import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from app.core.problems import FieldError
from app.reference.data import ReferenceData

Kind = Literal["central_authority", "competent_authority", "focal_point"]
Status = Literal["active", "withdrawn"]
PhoneKind = Literal["voice", "fax", "mobile"]
Channel = Literal["central_authority", "diplomatic", "direct_judicial", "interpol"]
Means = Literal["post", "email", "fax", "secure_platform", "courier"]
DualCriminality = Literal["required", "not_required", "coercive_measures_only"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


@lru_cache(maxsize=1)
def iana_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _language_tag(tag: str) -> str:
    if not isinstance(tag, str) or not langcodes.tag_is_valid(tag):
        raise ValueError(f"{tag!r} is not a valid BCP 47 language tag")
    return tag


LanguageTag = Annotated[str, AfterValidator(_language_tag)]


def _text_map(value: dict[str, str]) -> dict[str, str]:
    for tag in value:
        _language_tag(tag)
    return value


TextMap = Annotated[dict[str, NonEmpty], AfterValidator(_text_map)]


def _unique(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


def _website(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http or https URL")
    return value


def _email_syntax(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid e-mail address: {exc}") from None


def _time_zone(value: str) -> str:
    if value not in iana_zones():
        raise ValueError(f"{value!r} is not an IANA time zone name")
    return value


def _hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("must be a time of day as HH:MM")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PhoneIn(_Strict):
    number: NonEmpty = Field(max_length=40)
    kind: PhoneKind = "voice"
    label: str | None = Field(default=None, max_length=200)
    restricted: bool = False


class EmailIn(_Strict):
    address: Annotated[str, Field(max_length=320), AfterValidator(_email_syntax)]
    label: str | None = Field(default=None, max_length=200)
    restricted: bool = False


class AddressIn(_Strict):
    lines: list[NonEmpty] = Field(default_factory=list, max_length=4)
    locality: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=32)


class OfficeHoursIn(_Strict):
    days: Annotated[list[Weekday], Field(min_length=1), AfterValidator(_unique)]
    opens: Annotated[str, AfterValidator(_hhmm)]
    closes: Annotated[str, AfterValidator(_hhmm)]

    @model_validator(mode="after")
    def _opens_before_closes(self) -> OfficeHoursIn:
        if self.opens >= self.closes:
            raise ValueError("opens must be earlier than closes")
        return self


class UrgentIn(_Strict):
    channels: Annotated[list[Channel], AfterValidator(_unique)] = Field(default_factory=list)
    means: Annotated[list[Means], AfterValidator(_unique)] = Field(default_factory=list)
    notes: TextMap | None = None


class RequirementsIn(_Strict):
    legal_basis_convention: bool | None = None
    dual_criminality: DualCriminality | None = None
    notes: TextMap | None = None


class DesignationIn(_Strict):
    type: NonEmpty
    instrument: NonEmpty
    article: NonEmpty = Field(max_length=16)
    territory: Annotated[list[NonEmpty], AfterValidator(_unique)] = Field(default_factory=list)
    scope: TextMap | None = None
    since: date | None = None
    until: date | None = None
    notification: str | None = Field(default=None, max_length=200)
    languages: Annotated[list[LanguageTag], AfterValidator(_unique)] = Field(
        default_factory=list
    )
    channels: Annotated[list[Channel], AfterValidator(_unique)] = Field(default_factory=list)
    means: Annotated[list[Means], AfterValidator(_unique)] = Field(default_factory=list)
    urgent: UrgentIn | None = None
    requirements: RequirementsIn = Field(default_factory=RequirementsIn)

    @model_validator(mode="after")
    def _since_before_until(self) -> DesignationIn:
        if self.since and self.until and self.until < self.since:
            raise ValueError("until must not be earlier than since")
        return self


class ContactPhoneIn(PhoneIn):
    pass


class ContactIn(_Strict):
    name: NonEmpty = Field(max_length=200)
    title: TextMap | None = None
    phones: list[ContactPhoneIn] = Field(default_factory=list)
    emails: list[EmailIn] = Field(default_factory=list)
    languages: Annotated[list[LanguageTag], AfterValidator(_unique)] = Field(
        default_factory=list
    )


class AuthorityIn(_Strict):
    """One authority record as submitted (import, POST, PUT)."""

    id: uuid.UUID | None = None
    ref: str | None = Field(default=None, min_length=1, max_length=64)
    country: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                              pattern=r"^[A-Za-z]{3}$")]
    kind: Kind
    name: Annotated[TextMap, Field(min_length=1)]
    acronym: str | None = Field(default=None, max_length=32)
    parent: TextMap | None = None
    address: AddressIn | None = None
    phones: list[PhoneIn] = Field(default_factory=list)
    emails: list[EmailIn] = Field(default_factory=list)
    website: Annotated[str, Field(max_length=2000), AfterValidator(_website)] | None = None
    time_zone: Annotated[str, AfterValidator(_time_zone)] | None = None
    office_hours: list[OfficeHoursIn] = Field(default_factory=list)
    designations: list[DesignationIn] = Field(default_factory=list)
    contacts: list[ContactIn] = Field(default_factory=list)
    notes: TextMap | None = None
    verified_on: date | None = None
    status: Status = "active"
    # Output-only fields: accepted so that an export can be imported again, then ignored.
    version: int | None = Field(default=None, exclude=True)
    updated_at: datetime | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _active_needs_designation(self) -> AuthorityIn:
        if self.status == "active" and not self.designations:
            raise ValueError("an active record needs at least one designation")
        return self


def _pydantic_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        errors.append(FieldError(loc=loc, message=message, type=err["type"]))
    return errors


def _normalise_phone(
    phone: PhoneIn, alpha2: str, loc: tuple[str | int, ...], errors: list[FieldError]
) -> None:
    try:
        parsed = phonenumbers.parse(phone.number, alpha2)
    except phonenumbers.NumberParseException as exc:
        errors.append(FieldError(loc, f"cannot read {phone.number!r} as a phone number: {exc}",
                                 "phone_number"))
        return
    if not phonenumbers.is_valid_number(parsed):
        errors.append(FieldError(loc, f"{phone.number!r} is not a valid phone number "
                                      f"(read in {alpha2})", "phone_number"))
        return
    phone.number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _check_reference_rules(record: AuthorityIn, reference: ReferenceData) -> list[FieldError]:
    errors: list[FieldError] = []
    country = reference.countries.get(record.country)
    if country is None or pycountry.countries.get(alpha_3=record.country) is None:
        errors.append(FieldError(("country",), f"{record.country!r} is not a current "
                                               "ISO 3166-1 alpha-3 code", "country"))
        return errors

    for i, phone in enumerate(record.phones):
        _normalise_phone(phone, country.alpha2, ("phones", i, "number"), errors)
    for c, contact in enumerate(record.contacts):
        for i, phone in enumerate(contact.phones):
            _normalise_phone(phone, country.alpha2, ("contacts", c, "phones", i, "number"),
                             errors)

    if record.time_zone is None and len(country.time_zones) == 1:
        record.time_zone = country.time_zones[0]

    for d, designation in enumerate(record.designations):
        loc: tuple[str | int, ...] = ("designations", d)
        if designation.type not in reference.types:
            errors.append(FieldError((*loc, "type"), f"unknown designation type "
                                                     f"{designation.type!r}", "enum"))
        if designation.instrument not in reference.instruments:
            errors.append(FieldError((*loc, "instrument"), f"unknown instrument "
                                                           f"{designation.instrument!r}", "enum"))
        else:
            expected = reference.articles.get((designation.instrument, designation.article))
            if expected is None:
                errors.append(FieldError((*loc, "article"), f"article {designation.article!r} "
                                         f"of {designation.instrument} designates no authority",
                                         "article"))
            elif expected != designation.type:
                errors.append(FieldError((*loc, "type"), f"article {designation.article} of "
                                         f"{designation.instrument} is for {expected}, "
                                         f"not {designation.type}", "article_type"))
        for t, code in enumerate(designation.territory):
            sub = pycountry.subdivisions.get(code=code.upper())
            if sub is None or sub.country_code != country.alpha2:
                errors.append(FieldError((*loc, "territory", t), f"{code!r} is not an ISO "
                                         f"3166-2 subdivision of {record.country}",
                                         "subdivision"))
            else:
                designation.territory[t] = sub.code
    return errors


def validate_record(data: Any, reference: ReferenceData) -> AuthorityIn:
    """Validate and normalise one record, or raise ``RecordInvalid`` with every error."""
    if not isinstance(data, dict):
        raise RecordInvalid([FieldError((), "a record must be a JSON object", "type")])
    try:
        record = AuthorityIn.model_validate(data)
    except ValidationError as exc:
        raise RecordInvalid(_pydantic_errors(exc)) from None
    errors = _check_reference_rules(record, reference)
    if errors:
        raise RecordInvalid(errors)
    return record


class RecordInvalid(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors


class AuthorityOut(AuthorityIn):
    """A record as emitted.  ``contacts`` is absent from the public view."""

    id: uuid.UUID  # type: ignore[assignment]
    contacts: list[ContactIn] | None = None  # type: ignore[assignment]
    version: int  # type: ignore[assignment]
    updated_at: datetime  # type: ignore[assignment]


class AuthorityPage(BaseModel):
    items: list[AuthorityOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; "
                                                "null on the last page")
    limit: int
