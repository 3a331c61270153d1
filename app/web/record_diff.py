"""A readable, field-by-field comparison of two versions of a record, for people.

``readable_diff(before, after, lang, labels)`` takes two interchange documents (either may
be None: a new record, or nothing yet) and returns one ``DiffRow`` per changed field, its
label in the reader's language and both values as people read them: country, language,
type and instrument names from the reference data (``labels``, as
``app.web.service.labels`` builds it), dates and lists in the reader's locale, phone
numbers in international form.  Never a JSON Pointer.

Text maps (names, notes…) give one row per language that changed; lists of phones,
e-mails and office hours one row per entry; designations and contacts one row per changed
part of an entry.  The output-only fields (``id``, ``version``, ``updated_at``) are never
compared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers
import pycountry
from babel.dates import format_date, get_day_names
from babel.lists import format_list

from app.web import i18n

Labels = Mapping[str, Mapping[str, str]]
EMPTY = "—"
WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True)
class DiffRow:
    """One changed field: ``field`` is a stable name (``designations.0.languages``) for
    styling and tests, ``label`` what the reader sees."""

    field: str
    label: str
    before: str
    after: str


class _Reader:
    """Turns stored values into the words of one reader."""

    def __init__(self, lang: str, labels: Labels) -> None:
        self.lang = lang
        self.t = i18n.strings(lang)
        self.labels = labels

    def name(self, table: str, code: str) -> str:
        return self.labels.get(table, {}).get(code) or code

    def word(self, key: str) -> str:
        return self.t.get(key) or key

    def join(self, items: list[str]) -> str:
        return format_list(items, locale=self.lang) if items else EMPTY

    def day(self, value: str | None) -> str:
        if not value:
            return EMPTY
        try:
            return format_date(date.fromisoformat(value), format="long", locale=self.lang)
        except ValueError:
            return value

    def boolean(self, value: bool | None) -> str:
        if value is None:
            return self.word("unknown")
        return self.word("yes" if value else "no")

    def phone(self, phone: Mapping[str, Any]) -> str:
        number = str(phone.get("number") or "")
        with suppress(phonenumbers.NumberParseException):
            number = phonenumbers.format_number(
                phonenumbers.parse(number, None),
                phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        kind = phone.get("kind") or "voice"
        return self._contact_point(number, self.word(f"bo_phone_{kind}"), phone)

    def email(self, email: Mapping[str, Any]) -> str:
        return self._contact_point(str(email.get("address") or ""), None, email)

    def _contact_point(self, value: str, kind: str | None, item: Mapping[str, Any]) -> str:
        details = [d for d in (kind, item.get("label")) if d]
        if item.get("restricted"):
            details.append(self.word("bo_restricted"))
        return f"{value} ({', '.join(details)})" if details else value

    def hours(self, hours: Mapping[str, Any]) -> str:
        names = get_day_names("abbreviated", locale=self.lang)
        days = [names[WEEKDAY_INDEX[d]] for d in hours.get("days") or [] if d in WEEKDAY_INDEX]
        return f"{self.join(days)} {hours.get('opens')}–{hours.get('closes')}"

    def address(self, address: Mapping[str, Any] | None) -> str:
        if not address:
            return EMPTY
        parts = [*(address.get("lines") or []), address.get("postal_code"),
                 address.get("locality"), address.get("region")]
        return ", ".join(str(p) for p in parts if p) or EMPTY

    def subdivision(self, code: str) -> str:
        found = pycountry.subdivisions.get(code=code)
        return f"{found.name} ({code})" if found is not None else code

    def words(self, codes: list[str] | None) -> str:
        return self.join([self.word(c) for c in codes or []])

    def languages(self, codes: list[str] | None) -> str:
        return self.join([self.name("language", c) for c in codes or []])

    def plain(self, value: Any) -> str:
        return EMPTY if value in (None, "") else str(value)


def _text_map_rows(field: str, label: str, before: Mapping[str, str] | None,
                   after: Mapping[str, str] | None, reader: _Reader) -> list[DiffRow]:
    before, after = before or {}, after or {}
    rows = []
    for tag in [*before, *(k for k in after if k not in before)]:
        if before.get(tag) != after.get(tag):
            rows.append(DiffRow(f"{field}.{tag}",
                                f"{label} ({reader.name('language', tag)})",
                                before.get(tag) or EMPTY, after.get(tag) or EMPTY))
    return rows


def _value_row(field: str, label: str, before: Any, after: Any,
               show: Callable[[Any], str]) -> list[DiffRow]:
    if before == after:
        return []
    return [DiffRow(field, label, show(before) if before is not None else EMPTY,
                    show(after) if after is not None else EMPTY)]


def _list_rows(field: str, label_key: str, before: list[Any] | None,
               after: list[Any] | None, show: Callable[[Any], str],
               reader: _Reader) -> list[DiffRow]:
    before, after = before or [], after or []
    rows = []
    for index in range(max(len(before), len(after))):
        old = before[index] if index < len(before) else None
        new = after[index] if index < len(after) else None
        label = reader.word(label_key).replace("{n}", str(index + 1))
        rows += _value_row(f"{field}.{index}", label, old, new, show)
    return rows


def _designation_name(designation: Mapping[str, Any], reader: _Reader) -> str:
    return (f"{reader.name('type', designation.get('type') or '')}, "
            f"{reader.name('instrument', designation.get('instrument') or '')} "
            f"{reader.word('article').lower()} {designation.get('article')}")


def _designation_rows(index: int, before: Mapping[str, Any] | None,
                      after: Mapping[str, Any] | None, reader: _Reader) -> list[DiffRow]:
    field = f"designations.{index}"
    heading = reader.word("bo_designation_n").replace("{n}", str(index + 1))
    if before is None or after is None:
        return [DiffRow(field, heading,
                        _designation_name(before, reader) if before else EMPTY,
                        _designation_name(after, reader) if after else EMPTY)]
    rows: list[DiffRow] = []

    def part(key: str, label_key: str, show: Callable[[Any], str],
             old: Any = None, new: Any = None, sub: str | None = None) -> None:
        old = before.get(key) if sub is None else old
        new = after.get(key) if sub is None else new
        rows.extend(_value_row(f"{field}.{sub or key}",
                               f"{heading}: {reader.word(label_key)}", old, new, show))

    part("type", "type", lambda v: reader.name("type", v))
    part("instrument", "instrument", lambda v: reader.name("instrument", v))
    part("article", "article", reader.plain)
    part("territory", "territory",
         lambda v: reader.join([reader.subdivision(c) for c in v]) if v
         else reader.word("whole_state"))
    rows += _text_map_rows(f"{field}.scope", f"{heading}: {reader.word('bo_scope')}",
                           before.get("scope"), after.get("scope"), reader)
    part("since", "bo_since", reader.day)
    part("until", "bo_until", reader.day)
    part("notification", "bo_notification", reader.plain)
    part("languages", "languages", reader.languages)
    part("channels", "channels", reader.words)
    part("means", "means", reader.words)
    old_urgent, new_urgent = before.get("urgent") or {}, after.get("urgent") or {}
    part("", "bo_urgent_channels", reader.words, old_urgent.get("channels") or [],
         new_urgent.get("channels") or [], "urgent.channels")
    part("", "bo_urgent_means", reader.words, old_urgent.get("means") or [],
         new_urgent.get("means") or [], "urgent.means")
    rows += _text_map_rows(f"{field}.urgent.notes",
                           f"{heading}: {reader.word('bo_urgent_notes')}",
                           old_urgent.get("notes"), new_urgent.get("notes"), reader)
    old_req, new_req = before.get("requirements") or {}, after.get("requirements") or {}
    part("", "legal_basis", reader.boolean, old_req.get("legal_basis_convention"),
         new_req.get("legal_basis_convention"), "requirements.legal_basis_convention")
    part("", "dual_criminality",
         lambda v: reader.word(v) if v else reader.word("unknown"),
         old_req.get("dual_criminality"), new_req.get("dual_criminality"),
         "requirements.dual_criminality")
    rows += _text_map_rows(f"{field}.requirements.notes",
                           f"{heading}: {reader.word('bo_requirement_notes')}",
                           old_req.get("notes"), new_req.get("notes"), reader)
    return rows


def _contact_summary(contact: Mapping[str, Any], reader: _Reader) -> str:
    points = [reader.phone(p) for p in contact.get("phones") or []]
    points += [reader.email(e) for e in contact.get("emails") or []]
    return " · ".join([str(contact.get("name") or ""), *points])


def _contact_rows(index: int, before: Mapping[str, Any] | None,
                  after: Mapping[str, Any] | None, reader: _Reader) -> list[DiffRow]:
    field = f"contacts.{index}"
    heading = reader.word("bo_contact_n").replace("{n}", str(index + 1))
    if before is None or after is None:
        return [DiffRow(field, heading,
                        _contact_summary(before, reader) if before else EMPTY,
                        _contact_summary(after, reader) if after else EMPTY)]
    rows = _value_row(f"{field}.name", f"{heading}: {reader.word('bo_contact_name')}",
                      before.get("name"), after.get("name"), reader.plain)
    rows += _text_map_rows(f"{field}.title", f"{heading}: {reader.word('bo_contact_title')}",
                           before.get("title"), after.get("title"), reader)
    rows += _value_row(f"{field}.phones", f"{heading}: {reader.word('phones')}",
                       before.get("phones") or [], after.get("phones") or [],
                       lambda items: reader.join([reader.phone(i) for i in items]))
    rows += _value_row(f"{field}.emails", f"{heading}: {reader.word('emails')}",
                       before.get("emails") or [], after.get("emails") or [],
                       lambda items: reader.join([reader.email(i) for i in items]))
    rows += _value_row(f"{field}.languages", f"{heading}: {reader.word('languages')}",
                       before.get("languages") or [], after.get("languages") or [],
                       reader.languages)
    return rows


def _paired(before: list[Any] | None, after: list[Any] | None) -> list[tuple[Any, Any]]:
    before, after = before or [], after or []
    return [(before[i] if i < len(before) else None, after[i] if i < len(after) else None)
            for i in range(max(len(before), len(after)))]


def readable_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                  lang: str, labels: Labels) -> list[DiffRow]:
    """The fields that differ between two documents, in interchange order."""
    reader = _Reader(lang, labels)
    old: Mapping[str, Any] = before or {}
    new: Mapping[str, Any] = after or {}
    word = reader.word
    rows: list[DiffRow] = []
    rows += _value_row("ref", word("bo_ref"), old.get("ref"), new.get("ref"), reader.plain)
    rows += _value_row("country", word("country"), old.get("country"), new.get("country"),
                       lambda v: reader.name("country", v))
    rows += _value_row("kind", word("bo_kind"), old.get("kind"), new.get("kind"), word)
    rows += _text_map_rows("name", word("bo_name"), old.get("name"), new.get("name"), reader)
    rows += _value_row("acronym", word("bo_acronym"), old.get("acronym"), new.get("acronym"),
                       reader.plain)
    rows += _text_map_rows("parent", word("bo_parent"), old.get("parent"), new.get("parent"),
                           reader)
    rows += _value_row("address", word("address"), old.get("address"), new.get("address"),
                       reader.address)
    rows += _list_rows("phones", "bo_phone_n", old.get("phones"), new.get("phones"),
                       reader.phone, reader)
    rows += _list_rows("emails", "bo_email_n", old.get("emails"), new.get("emails"),
                       reader.email, reader)
    rows += _value_row("website", word("website"), old.get("website"), new.get("website"),
                       reader.plain)
    rows += _value_row("time_zone", word("bo_time_zone"), old.get("time_zone"),
                       new.get("time_zone"), reader.plain)
    rows += _list_rows("office_hours", "bo_hours_n", old.get("office_hours"),
                       new.get("office_hours"), reader.hours, reader)
    for index, (a, b) in enumerate(_paired(old.get("designations"), new.get("designations"))):
        rows += _designation_rows(index, a, b, reader)
    for index, (a, b) in enumerate(_paired(old.get("contacts"), new.get("contacts"))):
        rows += _contact_rows(index, a, b, reader)
    rows += _text_map_rows("notes", word("notes"), old.get("notes"), new.get("notes"), reader)
    rows += _value_row("verified_on", word("verified_on"), old.get("verified_on"),
                       new.get("verified_on"), reader.day)
    rows += _value_row("status", word("bo_status"), old.get("status"), new.get("status"),
                       lambda v: word(f"bo_status_{v}"))
    return rows
