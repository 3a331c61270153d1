"""The interchange record (docs/interchange.md), as accepted on input.

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
from datetime import datetime
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

from app.core.inputs import INT32_MAX, NUL_MESSAGE, Day, nul_locations
from app.core.problems import FieldError
from app.reference.data import ReferenceData

Kind = Literal["central_authority", "competent_authority", "focal_point"]
Status = Literal["active", "withdrawn"]
PhoneKind = Literal["voice", "fax", "mobile"]
Channel = Literal["central_authority", "diplomatic", "direct_judicial", "interpol"]
Means = Literal["post", "email", "fax", "secure_platform", "courier"]
DualCriminality = Literal["required", "not_required", "coercive_measures_only"]
# Which requests may go through INTERPOL (the UNCAC directory's question): every request,
# urgent ones, an advance copy ahead of the original, or a request for provisional arrest.
InterpolRequest = Literal["all", "urgent", "advance_copy", "provisional_arrest"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")

# Unicode Cc (C0, DEL, C1) and the line and paragraph separators: any of them can end a
# line for some reader of a vCard, a CSV file or a log.  Format characters (Cf: bidi
# marks, joiners) are kept: Arabic, Hebrew, Persian and Indic names need them, and they
# end no line.
_BREAKS_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BREAKS_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")  # LF, TAB kept
_CR_LF = re.compile(r"\r\n?")


def _control_character(found: re.Match[str], what: str) -> ValueError:
    return ValueError(f"control character U+{ord(found.group()):04X} is not allowed in {what}")


def _single_line(value: str) -> str:
    """One line of text: no control character (TAB, CR and LF included)."""
    found = _BREAKS_LINE.search(value)
    if found:
        raise _control_character(found, "a single-line field")
    return value


def _multi_line(value: str) -> str:
    """Free text: line feeds and tabs kept, CRLF and CR read as LF, no other control."""
    value = _CR_LF.sub("\n", value)
    found = _BREAKS_TEXT.search(value)
    if found:
        raise _control_character(found, "text")
    return value


# Length limits go inside these types, before the check: a pydantic ``Field(max_length=)``
# put beside them would run after it and report a generic "too_long".
Line200 = Annotated[str, StringConstraints(max_length=200), AfterValidator(_single_line)]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1),
                     AfterValidator(_single_line)]
NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1),
                         AfterValidator(_multi_line)]


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


LineMap = Annotated[dict[str, NonEmpty], AfterValidator(_text_map)]
TextMap = Annotated[dict[str, NonEmptyText], AfterValidator(_text_map)]


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
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
                      AfterValidator(_single_line)]
    kind: PhoneKind = "voice"
    label: Line200 | None = None
    restricted: bool = False


class EmailIn(_Strict):
    address: Annotated[str, Field(max_length=320), AfterValidator(_single_line),
                       AfterValidator(_email_syntax)]
    label: Line200 | None = None
    restricted: bool = False


class AddressIn(_Strict):
    lines: list[NonEmpty] = Field(default_factory=list, max_length=4)
    locality: Line200 | None = None
    region: Line200 | None = None
    postal_code: Annotated[str, StringConstraints(max_length=32),
                           AfterValidator(_single_line)] | None = None


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
    # None: not stated; []: no request goes through INTERPOL.
    interpol_requests: Annotated[list[InterpolRequest], AfterValidator(_unique)] | None = None
    notes: TextMap | None = None


class DesignationIn(_Strict):
    type: NonEmpty
    instrument: NonEmpty
    article: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=16), AfterValidator(_single_line)]
    territory: Annotated[list[NonEmpty], AfterValidator(_unique)] = Field(default_factory=list)
    scope: TextMap | None = None
    since: Day | None = None
    until: Day | None = None
    notification: Line200 | None = None
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
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                    AfterValidator(_single_line)]
    title: LineMap | None = None
    phones: list[ContactPhoneIn] = Field(default_factory=list)
    emails: list[EmailIn] = Field(default_factory=list)
    languages: Annotated[list[LanguageTag], AfterValidator(_unique)] = Field(
        default_factory=list
    )


class AuthorityIn(_Strict):
    """One authority record as submitted (import, POST, PUT)."""

    id: uuid.UUID | None = None
    ref: Annotated[str, StringConstraints(min_length=1, max_length=64),
                   AfterValidator(_single_line)] | None = None
    country: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                              pattern=r"^[A-Za-z]{3}$")]
    kind: Kind
    name: Annotated[LineMap, Field(min_length=1)]
    acronym: Annotated[str, StringConstraints(max_length=32),
                       AfterValidator(_single_line)] | None = None
    parent: LineMap | None = None
    address: AddressIn | None = None
    phones: list[PhoneIn] = Field(default_factory=list)
    emails: list[EmailIn] = Field(default_factory=list)
    website: Annotated[str, Field(max_length=2000), AfterValidator(_single_line),
                       AfterValidator(_website)] | None = None
    time_zone: Annotated[str, AfterValidator(_time_zone)] | None = None
    office_hours: list[OfficeHoursIn] = Field(default_factory=list)
    designations: list[DesignationIn] = Field(default_factory=list)
    contacts: list[ContactIn] = Field(default_factory=list)
    notes: TextMap | None = None
    verified_on: Day | None = None
    status: Status = "active"
    # Output-only fields: accepted so that an export can be imported again, then ignored.
    version: int | None = Field(default=None, ge=1, le=INT32_MAX, exclude=True)
    updated_at: datetime | None = Field(default=None, exclude=True)


def _pydantic_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        errors.append(FieldError(loc=loc, message=message, type=err["type"]))
    return errors


def _parse_phone(number: Any, alpha2: str) -> tuple[str | None, str | None]:
    """(E.164 number, None) or (None, why it is not a phone number of that country)."""
    if not isinstance(number, str):
        return None, None  # a type error, already reported by the first pass
    try:
        parsed = phonenumbers.parse(number, alpha2)
    except phonenumbers.NumberParseException as exc:
        return None, f"cannot read {number!r} as a phone number: {exc}"
    if not phonenumbers.is_valid_number(parsed):
        return None, f"{number!r} is not a valid phone number (read in {alpha2})"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The object elements of a list, with their indexes; anything else yields nothing."""
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _reference_errors(data: dict[str, Any], reference: ReferenceData) -> list[FieldError]:
    """Rules that need the country or reference tables, checked on the raw document.

    Working on the raw input (not the parsed model) lets these errors be reported together
    with structural ones, so a record is never fixed one error class at a time.
    """
    errors: list[FieldError] = []
    status = data.get("status", "active")
    designations = data.get("designations")
    if status == "active" and not designations:
        errors.append(FieldError(("designations",), "an active record needs at least one "
                                                    "designation", "required"))
    code = data.get("country")
    code = code.strip().upper() if isinstance(code, str) else None
    country = reference.countries.get(code) if code else None
    if code is not None and (country is None or pycountry.countries.get(alpha_3=code) is None):
        errors.append(FieldError(("country",), f"{code!r} is not a current ISO 3166-1 "
                                               "alpha-3 code", "country"))
        country = None

    if country is not None:
        phone_lists: list[tuple[tuple[str | int, ...], Any]] = [(("phones",), data.get("phones"))]
        phone_lists += [(("contacts", c, "phones"), contact.get("phones"))
                        for c, contact in _items(data.get("contacts"))]
        for loc, phones in phone_lists:
            for i, phone in _items(phones):
                _, problem = _parse_phone(phone.get("number"), country.alpha2)
                if problem:
                    errors.append(FieldError((*loc, i, "number"), problem, "phone_number"))

    for d, designation in _items(designations):
        at: tuple[str | int, ...] = ("designations", d)
        type_ = designation.get("type")
        instrument = designation.get("instrument")
        article = designation.get("article")
        known_type = isinstance(type_, str) and type_ in reference.types
        if isinstance(type_, str) and not known_type:
            errors.append(FieldError((*at, "type"), f"unknown designation type {type_!r}",
                                     "enum"))
        if isinstance(instrument, str) and instrument not in reference.instruments:
            errors.append(FieldError((*at, "instrument"), f"unknown instrument or "
                                                           f"resolution {instrument!r}",
                                     "enum"))
        elif isinstance(instrument, str) and isinstance(article, str):
            expected = reference.articles.get((instrument, article.strip()))
            if expected is None:
                errors.append(FieldError((*at, "article"), f"article {article!r} of "
                                         f"{instrument} designates no authority", "article"))
            elif known_type and expected != type_:
                errors.append(FieldError((*at, "type"), f"article {article} of {instrument} "
                                         f"is for {expected}, not {type_}", "article_type"))
        territory = designation.get("territory")
        if country is not None and isinstance(territory, list):
            for t, sub_code in enumerate(territory):
                if not isinstance(sub_code, str):
                    continue
                sub = pycountry.subdivisions.get(code=sub_code.strip().upper())
                if sub is None or sub.country_code != country.alpha2:
                    errors.append(FieldError((*at, "territory", t), f"{sub_code!r} is not an "
                                             f"ISO 3166-2 subdivision of {code}",
                                             "subdivision"))
    return errors


def _normalise(record: AuthorityIn, reference: ReferenceData) -> None:
    """Canonical forms, once every rule holds: E.164 phones, ISO-cased subdivisions,
    the country's only time zone as the default."""
    country = reference.countries[record.country]
    for phone in [*record.phones, *(p for c in record.contacts for p in c.phones)]:
        e164, _ = _parse_phone(phone.number, country.alpha2)
        if e164:
            phone.number = e164
    for designation in record.designations:
        designation.territory = [code.upper() for code in designation.territory]
    if record.time_zone is None and len(country.time_zones) == 1:
        record.time_zone = country.time_zones[0]


def validate_record(data: Any, reference: ReferenceData) -> AuthorityIn:
    """Validate and normalise one record, or raise ``RecordInvalid`` with every error."""
    if not isinstance(data, dict):
        raise RecordInvalid([FieldError((), "a record must be a JSON object", "type")])
    structural: list[FieldError] = []
    record: AuthorityIn | None = None
    try:
        record = AuthorityIn.model_validate(data)
    except ValidationError as exc:
        structural = _pydantic_errors(exc)
    seen = {e.loc for e in structural}
    errors = structural + [e for e in _reference_errors(data, reference) if e.loc not in seen]
    # Any string or key, also those no field rule looks at (PostgreSQL cannot store NUL).
    seen = {e.loc for e in errors}
    errors += [FieldError(loc, NUL_MESSAGE, "nul_character") for loc in nul_locations(data)
               if loc not in seen]
    if errors or record is None:
        raise RecordInvalid(errors)
    _normalise(record, reference)
    return record


class RecordInvalid(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors


class AuthorityOut(AuthorityIn):
    """A record as emitted.  ``contacts`` is absent from the public view.

    Its fields, and those of the models inside it, in declaration order are the shape of
    every record the service emits (app/authorities/shape.py): keep them in interchange
    order."""

    id: uuid.UUID
    contacts: list[ContactIn] | None = None  # type: ignore[assignment]
    version: int
    updated_at: datetime


class AuthorityPage(BaseModel):
    items: list[AuthorityOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; "
                                                "null on the last page")
    limit: int


class FieldChange(BaseModel):
    path: str = Field(description="JSON Pointer of the changed field")
    old: Any = None
    new: Any = None


class VersionEntry(BaseModel):
    version: int
    at: datetime | None
    actor: str | None = Field(description="key:<prefix> of the API key, or the import/seed "
                                          "source; null in the public view")
    role: str | None = Field(description="the actor's role; null in the public view")
    reason: str | None = Field(description="why, as given with the write; null in the "
                                           "public view")
    changes: list[FieldChange]


class HistoryOut(BaseModel):
    id: uuid.UUID
    versions: list[VersionEntry]
