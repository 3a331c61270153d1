#!/usr/bin/env python3
"""Build (and check) the fictional DEMO data set of the CNA Directory.

Writes ``seed_data/demo/authorities.ndjson`` (interchange format, one record a line) and
``seed_data/demo/README.md`` from the tables in ``seed_data/demo/source/``:

* ``countries.json``: the States, their ministry, address, people and fictional bodies;
* ``roles.json``: what each role (``intl``, ``mla``, ``sea``…) designates, and its mailbox;
* ``texts.json``: the stock notes, contact titles and "demo data" notes by language;
* ``phones.json``: local fixed-line patterns and the number ranges set aside for fiction;
* ``instruments.json``: entry into force and treaty chapter of each instrument;
* ``coverage.json``: what the data set must cover (regions, countries, scripts);
* ``README.md.in``: the folder's README, with the record and country counts left open.

The vocabularies (channels, means, days, the article table, the core types) and the key
order of every object come from the app (``app/authorities/schemas.py`` and the reference
data in ``seed_data/reference``), and ``--check`` runs the app's own validator on every
record before the demo-only checks: the ``DEMO-`` ref and ``DEMO DATA`` marker, reserved
example domains (RFC 2606 / RFC 6761), and coverage of regions, countries, scripts and types.

The output is deterministic: the same sources always give the same bytes.

Usage::

    .venv/bin/python seed_data/build_demo.py            # (re)write seed_data/demo/
    .venv/bin/python seed_data/build_demo.py --check    # validate what is on disk
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import random
import re
import sys
import types
import typing
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import langcodes
import phonenumbers
import pycountry
from babel import Locale
from pydantic import BaseModel

from app.authorities.schemas import (
    WEEKDAYS,
    AuthorityIn,
    Channel,
    Means,
    RecordInvalid,
    validate_record,
)
from app.reference.data import ReferenceData, read_json, reference_from_files

TextMap = dict[str, str]
Json = dict[str, Any]

DEFAULT_OUT: Final = Path(__file__).resolve().parent / "demo"
SOURCE_DIR: Final = DEFAULT_OUT / "source"
NDJSON_NAME: Final = "authorities.ndjson"
README_NAME: Final = "README.md"

DEMO_MARKER: Final = "DEMO DATA — fictional record."
DEMO_NOTE_EN: Final = DEMO_MARKER + " Not a real designation; for testing and demonstrations only."
CHANNELS: Final = typing.get_args(Channel)
MEANS: Final = typing.get_args(Means)
#: The latest "since" of a current designation, and the window of "verified_on".
LATEST_SINCE: Final = dt.date(2024, 12, 31)
VERIFIED_FROM: Final = dt.date(2025, 1, 6)
VERIFIED_TO: Final = dt.date(2026, 11, 20)
RESERVED_DOMAIN_RE: Final = re.compile(
    r"(^|\.)(example\.(org|com|net)|[a-z0-9-]+\.example|example)$"
)
#: First word of a Unicode character name -> ISO 15924 script (for the name-script check).
SCRIPT_OF_CHAR_NAME: Final[dict[str, str]] = {
    "LATIN": "Latn", "CYRILLIC": "Cyrl", "ARABIC": "Arab", "CJK": "Hani", "HIRAGANA": "Hira",
    "KATAKANA": "Kana", "HANGUL": "Hang", "GREEK": "Grek", "HEBREW": "Hebr", "THAI": "Thai",
    "GEORGIAN": "Geor", "ARMENIAN": "Armn", "DEVANAGARI": "Deva", "BENGALI": "Beng",
    "SINHALA": "Sinh", "TAMIL": "Taml", "ETHIOPIC": "Ethi",
}  # fmt: skip
#: Scripts a text may mix when its language's script (CLDR likely subtags) is one of these.
SCRIPT_ALLOWED: Final[dict[str, frozenset[str]]] = {
    "Hans": frozenset({"Hani"}),
    "Hant": frozenset({"Hani"}),
    "Jpan": frozenset({"Hani", "Hira", "Kana"}),
    "Kore": frozenset({"Hang", "Hani"}),
}


# --------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Body:
    """One fictional authority; becomes one record (``countries.json`` ``bodies[]``)."""

    key: str
    roles: tuple[str, ...]
    name: TextMap
    acronym: str | None = None
    parent: TextMap | None = None
    inherit_parent: bool = True  # False when the source says "parent": null
    address: Json | None = None
    zone: str | None = None
    territory: tuple[str, ...] = ()
    scope: TextMap | None = None
    kind: str | None = None
    langs: tuple[str, ...] | None = None
    withdrawn: dt.date | None = None
    superseded: bool = False

    @classmethod
    def from_json(cls, data: Json) -> Body:
        fields = dict(data)
        for name in ("roles", "territory", "langs"):
            if name in fields:
                fields[name] = tuple(fields[name])
        if "parent" in fields and fields["parent"] is None:
            fields["inherit_parent"] = False
        if "withdrawn" in fields:
            fields["withdrawn"] = dt.date.fromisoformat(fields["withdrawn"])
        return cls(**fields)


@dataclasses.dataclass(frozen=True)
class Country:
    """A State, its usual parent ministry and its fictional bodies (``countries.json``)."""

    code: str
    langs: tuple[str, ...]
    ministry: TextMap
    address: Json
    zone: str | None
    people: tuple[str, ...]
    bodies: tuple[Body, ...]
    week: str = "mon-fri"
    lunch_break: bool = False

    @classmethod
    def from_json(cls, data: Json) -> Country:
        fields = dict(data)
        fields["langs"] = tuple(fields["langs"])
        fields["people"] = tuple(fields["people"])
        fields["bodies"] = tuple(Body.from_json(b) for b in fields["bodies"])
        return cls(**fields)


@dataclasses.dataclass(frozen=True)
class Sources:
    """The demo tables of ``seed_data/demo/source`` and the app's reference data."""

    countries: tuple[Country, ...]
    roles: dict[str, Json]
    texts: dict[str, Any]
    phones: dict[str, Any]
    instruments: dict[str, Json]
    coverage: dict[str, Any]
    reference: ReferenceData
    core_types: tuple[str, ...]
    #: alpha-3 -> (UN M49 region, subregion), from the reference countries
    m49: dict[str, tuple[str | None, str | None]]
    readme_template: str  # README.md with {records} and {countries}

    @classmethod
    def load(cls, folder: Path = SOURCE_DIR) -> Sources:
        def read(name: str) -> Any:
            return json.loads((folder / name).read_text(encoding="utf-8"))

        return cls(
            countries=tuple(Country.from_json(c) for c in read("countries.json")),
            roles=read("roles.json"),
            texts=read("texts.json"),
            phones=read("phones.json"),
            instruments=read("instruments.json"),
            coverage=read("coverage.json"),
            reference=reference_from_files(),
            core_types=tuple(t["code"] for t in read_json("designation_types.json") if t["core"]),
            m49={c["alpha3"]: (c["region"], c["subregion"]) for c in read_json("countries.json")},
            readme_template=(folder / "README.md.in").read_text(encoding="utf-8"),
        )

    def article_type(self, instrument: str, article: str) -> str:
        return self.reference.articles[(instrument, article)]

    def entry_into_force(self, instrument: str) -> dt.date:
        return dt.date.fromisoformat(self.instruments[instrument]["entry_into_force"])

    def fixed_pattern(self, c: Country, b: Body) -> str | None:
        patterns: dict[str, str] = self.phones["fixed_patterns"]
        return patterns.get(f"{c.code}-{b.key}", patterns.get(c.code))

    def generated_types(self) -> set[str]:
        """Designation types the roles can produce."""
        return {self.article_type(i, a) for r in self.roles.values() for i, a, _ in r["rows"]}


# --------------------------------------------------------------------------
# Key order: the interchange order is the field order of the app's models
# --------------------------------------------------------------------------


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X``, ``list[X]``, ``X | None`` or ``Annotated[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return None
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def in_model_order(value: Any, model: type[BaseModel] = AuthorityIn) -> Any:
    """``value`` with the keys of every object in the field order of ``model``."""
    if isinstance(value, list):
        return [in_model_order(item, model) for item in value]
    if not isinstance(value, dict):
        return value
    fields = model.model_fields
    out = {}
    for name in sorted(value, key=lambda key: list(fields).index(key) if key in fields else -1):
        nested = _nested_model(fields[name].annotation) if name in fields else None
        out[name] = in_model_order(value[name], nested) if nested else value[name]
    return out


def order_problems(where: str, value: Any, model: type[BaseModel] = AuthorityIn) -> list[str]:
    """Objects whose keys are not in interchange order (or unknown to the model)."""
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in order_problems(f"{where}/{i}", item,
                                                                           model)]
    if not isinstance(value, dict):
        return []
    fields = model.model_fields
    problems = [f"{where}: unknown key {key!r}" for key in value if key not in fields]
    if not problems and list(value) != list(in_model_order(value, model)):
        problems.append(f"{where}: keys out of interchange order: {list(value)}")
    for key, item in value.items():
        nested = _nested_model(fields[key].annotation) if key in fields else None
        if nested is not None:
            problems += order_problems(f"{where}/{key}", item, nested)
    return problems


# --------------------------------------------------------------------------
# Telephone numbers
# --------------------------------------------------------------------------

FIXED_TYPES: Final = frozenset(
    {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
MOBILE_TYPES: Final = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


class PhoneFactory:
    """Hands out unique, valid numbers for a region, deterministically."""

    def __init__(self, fiction_numbers: Mapping[str, Mapping[str, Sequence[str]]]) -> None:
        self._fiction = fiction_numbers
        self._used: set[str] = set()
        self.pattern_misses: list[str] = []

    @staticmethod
    def _acceptable(number: phonenumbers.PhoneNumber, region: str, line: str) -> bool:
        if not phonenumbers.is_valid_number(number):
            return False
        if phonenumbers.region_code_for_number(number) != region:
            return False
        wanted = MOBILE_TYPES if line == "mobile" else FIXED_TYPES
        return phonenumbers.number_type(number) in wanted

    def _candidates(
        self, region: str, line: str, rng: random.Random, pattern: str | None
    ) -> Iterator[str]:
        if pattern is not None:
            digits = pattern.replace(" ", "")
            for _ in range(120):
                yield "".join(rng.choice("0123456789") if ch == "x" else ch for ch in digits)
        ptype = (
            phonenumbers.PhoneNumberType.MOBILE
            if line == "mobile"
            else phonenumbers.PhoneNumberType.FIXED_LINE
        )
        example = phonenumbers.example_number_for_type(
            region, ptype
        ) or phonenumbers.example_number(region)
        if example is None:
            raise RuntimeError(f"phonenumbers has no example number for {region}")
        base = phonenumbers.national_significant_number(example)
        for prefix in self._fiction.get(region, {}).get(line, ()):
            for _ in range(40 if len(prefix) < len(base) else 1):
                fill = len(base) - len(prefix)
                yield prefix + "".join(rng.choice("0123456789") for _ in range(fill))
        for attempt in range(600):
            width = 2 if attempt < 150 else 3 if attempt < 350 else 4
            yield base[:-width] + "".join(rng.choice("0123456789") for _ in range(width))

    def make(
        self, region: str, line: str, rng: random.Random, pattern: str | None = None
    ) -> phonenumbers.PhoneNumber:
        """A new valid number of ``line`` ("fixed" or "mobile") for ``region``.

        A fixed line follows ``pattern`` when one of its numbers is valid; a miss is noted
        in ``pattern_misses`` and the number falls back to the fiction or example ranges.
        """
        code = phonenumbers.country_code_for_region(region)
        wanted = pattern.replace(" ", "") if pattern is not None and line == "fixed" else None
        for nsn in self._candidates(region, line, rng, wanted):
            number = phonenumbers.parse(f"+{code}{nsn}")
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in self._used and self._acceptable(number, region, line):
                self._used.add(e164)
                if wanted is not None and not re.fullmatch(wanted.replace("x", r"\d"), nsn):
                    self.pattern_misses.append(f"{region} {pattern}")
                return number
        raise RuntimeError(f"no valid {line} number found for {region}")


def format_phone(number: phonenumbers.PhoneNumber, national: bool) -> str:
    """INTERNATIONAL format, or NATIONAL (read in the record's country) when asked."""
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if national
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


# --------------------------------------------------------------------------
# Record generation
# --------------------------------------------------------------------------


def alpha2(alpha3: str) -> str:
    """ISO 3166-1 alpha-2 code of an alpha-3 code."""
    country = pycountry.countries.get(alpha_3=alpha3)
    if country is None:
        raise KeyError(alpha3)
    return str(country.alpha_2)


def rng_for(*parts: str) -> random.Random:
    """A random generator seeded from a string: stable across runs and Python versions."""
    return random.Random("|".join(("cna-demo", *parts)))


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A uniformly drawn date in [start, end]."""
    if end < start:
        raise ValueError(f"empty date range {start}..{end}")
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


_ASCII_FOLD: Final = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "ı": "i",
     "æ": "ae", "œ": "oe", "ð": "d", "þ": "th"}
)  # fmt: skip


def ascii_slug(text: str, sep: str = ".") -> str:
    """Lower-case ASCII form of a person's name for an e-mail local part."""
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    return sep.join(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", plain))


def local_langs(name: Mapping[str, str]) -> list[str]:
    """Non-English keys of a text map, in order."""
    return [tag for tag in name if tag != "en"]


def pick(rng: random.Random, probability: float) -> bool:
    """True with the given probability."""
    return rng.random() < probability


def ordered(values: Iterable[str], order: Sequence[str]) -> list[str]:
    """Distinct values sorted by their position in ``order``."""
    return sorted(set(values), key=order.index)


def make_channels(dtype: str, rng: random.Random) -> list[str]:
    """Channels through which requests of a type may be sent."""
    if dtype == "extradition":
        chosen = ["diplomatic"] + (["central_authority"] if pick(rng, 0.6) else [])
    elif dtype == "mutual_legal_assistance":
        chosen = ["central_authority"]
        chosen += ["diplomatic"] if pick(rng, 0.5) else []
        chosen += ["direct_judicial"] if pick(rng, 0.25) else []
    elif dtype == "firearms_focal_point":
        chosen = ["central_authority"] + (["interpol"] if pick(rng, 0.6) else [])
    else:
        chosen = ["central_authority"] + (["diplomatic"] if pick(rng, 0.4) else [])
    return ordered(chosen, CHANNELS)


def make_means(dtype: str, rng: random.Random) -> list[str]:
    """Means by which requests of a type may be sent."""
    if dtype in ("illicit_traffic_by_sea", "migrant_smuggling_by_sea"):
        chosen = (
            ["email"]
            + (["fax"] if pick(rng, 0.6) else [])
            + (["secure_platform"] if pick(rng, 0.3) else [])
        )
    elif dtype in ("firearms_focal_point", "corruption_prevention"):
        chosen = (
            ["email"]
            + (["post"] if pick(rng, 0.5) else [])
            + (["secure_platform"] if pick(rng, 0.4) else [])
        )
    else:
        chosen = ["post"]
        for means, probability in (
            ("email", 0.7),
            ("courier", 0.25),
            ("secure_platform", 0.3),
            ("fax", 0.15),
        ):
            if pick(rng, probability):
                chosen.append(means)
    return ordered(chosen, MEANS)


def email_domain(c: Country, b: Body, rng: random.Random) -> str:
    """A reserved example domain for a body (RFC 2606 / RFC 6761)."""
    key = re.sub(r"[^a-z0-9]+", "-", b.key.lower()).strip("-")
    cc = c.code.lower()
    return rng.choice(
        (
            f"{key}.{cc}.example",
            f"{key}-{cc}.example.org",
            f"{key}.gov-{cc}.example.org",
            f"{key}-{cc}.example.net",
            f"{key}-{cc}.example.com",
        )
    )


def office_hours(c: Country, b: Body, rng: random.Random) -> list[Json]:
    """Opening hours: 24/7 for operations rooms, otherwise the local working week."""
    if "sea" in b.roles:
        return [{"days": list(WEEKDAYS), "opens": "00:00", "closes": "23:59"}]
    if c.week == "uae":
        return [
            {"days": ["mon", "tue", "wed", "thu"], "opens": "07:30", "closes": "15:30"},
            {"days": ["fri"], "opens": "07:30", "closes": "12:00"},
        ]
    if c.week == "sun-fri":
        return [
            {"days": ["sun", "mon", "tue", "wed", "thu"], "opens": "10:00", "closes": "17:00"},
            {"days": ["fri"], "opens": "10:00", "closes": "15:00"},
        ]
    days = {
        "mon-fri": ["mon", "tue", "wed", "thu", "fri"],
        "sun-thu": ["sun", "mon", "tue", "wed", "thu"],
        "sat-wed": ["sat", "sun", "mon", "tue", "wed"],
    }[c.week]
    if c.lunch_break:
        return [
            {"days": days, "opens": "09:00", "closes": "12:30"},
            {"days": days, "opens": "14:00", "closes": "17:30"},
        ]
    opens, closes = rng.choice(
        [
            ("08:00", "16:00"),
            ("08:30", "17:00"),
            ("09:00", "17:00"),
            ("09:00", "18:00"),
            ("08:00", "15:00"),
            ("07:30", "15:30"),
        ]
    )
    return [{"days": days, "opens": opens, "closes": closes}]


class Builder:
    """Builds the records in order; holds the state shared across them."""

    def __init__(self, src: Sources) -> None:
        self.src = src
        self.phones = PhoneFactory(src.phones["fiction_numbers"])
        self.index = 0
        self.person_cursor: dict[str, int] = {}

    def localized(self, note: str, langs: Iterable[str], en_first: bool = True) -> TextMap:
        """A stock note in English plus whichever of ``langs`` it has."""
        texts: TextMap = self.src.texts["notes"][note]
        local = {tag: texts[tag] for tag in dict.fromkeys(langs) if tag != "en" and tag in texts}
        return {"en": texts["en"], **local} if en_first else {**local, "en": texts["en"]}

    def designation_rows(self, b: Body, rng: random.Random) -> list[tuple[str, str]]:
        """The (instrument, article) pairs a body holds, in role order, without duplicates."""
        rows: list[tuple[str, str]] = []
        for role in b.roles:
            for instrument, article, probability in self.src.roles[role]["rows"]:
                row = (instrument, article)
                if row not in rows and pick(rng, probability):
                    rows.append(row)
        return rows

    @staticmethod
    def request_languages(c: Country, b: Body, rng: random.Random) -> list[str]:
        """Languages in which a designation accepts requests."""
        langs = list(b.langs or c.langs)
        for extra, probability in (("en", 0.85), ("fr", 0.25), ("es", 0.25)):
            if extra not in langs and pick(rng, probability):
                langs.append(extra)
        return langs

    def make_urgent(self, dtype: str, langs: Sequence[str], rng: random.Random) -> Json | None:
        """Urgent-case arrangements, or None."""
        if dtype == "mutual_legal_assistance" and pick(rng, 0.45):
            channels = ["interpol"] + (["direct_judicial"] if pick(rng, 0.3) else [])
            means = ["email"] + (["fax"] if pick(rng, 0.3) else [])
            note = "mla_urgent"
        elif dtype == "extradition" and pick(rng, 0.5):
            channels, means, note = (
                ["interpol"],
                ["email"] + (["fax"] if pick(rng, 0.4) else []),
                "extr_urgent",
            )
        elif dtype in ("illicit_traffic_by_sea", "migrant_smuggling_by_sea") and pick(rng, 0.7):
            channels, means, note = ["central_authority"], ["email", "fax"], "sea_urgent"
        else:
            return None
        return {
            "channels": ordered(channels, CHANNELS),
            "means": ordered(means, MEANS),
            "notes": self.localized(note, langs),
        }

    def make_requirements(self, dtype: str, langs: Sequence[str], rng: random.Random) -> Json:
        """Legal requirements for requests of a type."""
        note: str | None = None
        basis: bool | None
        dual: str | None
        if dtype == "extradition":
            basis = rng.choice([True, True, False, None])
            dual = "required" if pick(rng, 0.85) else None
            note = "extr_req" if pick(rng, 0.5) else None
        elif dtype == "mutual_legal_assistance":
            basis = rng.choice([True, True, False, None])
            dual = rng.choice(
                ["coercive_measures_only", "coercive_measures_only", "not_required", "required",
                 None]
            )
            note = "mla_req" if pick(rng, 0.4) else None
        elif dtype == "transfer_of_sentenced_persons":
            basis = rng.choice([True, False, None])
            dual = "required" if pick(rng, 0.6) else None
            note = "tsp_req" if pick(rng, 0.4) else None
        elif dtype in ("illicit_traffic_by_sea", "migrant_smuggling_by_sea"):
            basis = rng.choice([True, None])
            dual = None
            note = "sea_req" if pick(rng, 0.3) else None
        else:
            basis, dual = None, None
        out: Json = {"legal_basis_convention": basis, "dual_criminality": dual}
        if note is not None:
            out["notes"] = self.localized(note, langs)
        return out

    def notification_ref(self, instrument: str, since: dt.date, rng: random.Random) -> str | None:
        """A depositary notification reference in the UN Treaty Collection style, or None."""
        if not pick(rng, 0.7):
            return None
        chapter = self.src.instruments[instrument]["treaty_chapter"]
        return f"C.N.{rng.randint(12, 968)}.{since.year}.TREATIES-{chapter}"

    def make_designation(
        self,
        c: Country,
        b: Body,
        row: tuple[str, str],
        since: dt.date,
        until: dt.date | None,
        rng: random.Random,
    ) -> Json:
        """One designation object."""
        instrument, article = row
        dtype = self.src.article_type(instrument, article)
        langs = self.request_languages(c, b, rng)
        own = b.langs or c.langs  # stock notes are translated into the body's own languages only
        scope: TextMap | None = b.scope
        if scope is None and pick(rng, 0.1):
            if dtype == "mutual_legal_assistance":
                note = rng.choice(["scope_no_treaty", "scope_proceeds"])
                scope = self.localized(note, own, en_first=False)
            elif dtype == "extradition":
                scope = self.localized("scope_no_treaty", own, en_first=False)
        return {
            "type": dtype,
            "instrument": instrument,
            "article": article,
            "territory": list(b.territory),
            "scope": scope,
            "since": since.isoformat(),
            "until": until.isoformat() if until else None,
            "notification": self.notification_ref(instrument, since, rng),
            "languages": langs,
            "channels": make_channels(dtype, rng),
            "means": make_means(dtype, rng),
            "urgent": self.make_urgent(dtype, own, rng),
            "requirements": self.make_requirements(dtype, own, rng),
        }

    def make_designations(self, c: Country, b: Body) -> list[Json]:
        """All designations of a body (with an older, superseded twin for ``superseded``)."""
        rng = rng_for(c.code, b.key, "designations")
        out: list[Json] = []
        for position, row in enumerate(self.designation_rows(b, rng)):
            start = self.src.entry_into_force(row[0])
            if b.withdrawn is not None:
                since = random_date(rng, start, b.withdrawn - dt.timedelta(days=400))
                out.append(self.make_designation(c, b, row, since, b.withdrawn, rng))
            elif b.superseded and position == 0:
                since = random_date(rng, start + dt.timedelta(days=1500), LATEST_SINCE)
                older = random_date(rng, start, since - dt.timedelta(days=700))
                out.append(self.make_designation(c, b, row, since, None, rng))
                out.append(
                    self.make_designation(c, b, row, older, since - dt.timedelta(days=1), rng)
                )
            else:
                since = random_date(rng, start, LATEST_SINCE)
                out.append(self.make_designation(c, b, row, since, None, rng))
        return out

    def title_map(self, name: Mapping[str, str], country_langs: Sequence[str],
                  which: int) -> TextMap:
        """A contact's title in the body's languages that have a translation, plus English."""
        titles: dict[str, list[str]] = self.src.texts["titles"]
        tags = [tag.split("-")[0] for tag in local_langs(name)] or [
            t for t in country_langs if t != "en"
        ]
        out = {tag: titles[tag][which] for tag in dict.fromkeys(tags)
               if tag in titles and tag != "en"}  # fmt: skip
        out["en"] = titles["en"][which]
        return out

    def make_contacts(self, c: Country, b: Body, domain: str, rng: random.Random) -> list[Json]:
        """Named (fictional) contact persons: restricted data in the service."""
        if not pick(rng, 0.85):
            return []
        count = 2 if pick(rng, 0.35) else 1
        region = alpha2(c.code)
        dial = self.src.fixed_pattern(c, b)
        contacts: list[Json] = []
        for which in range(count):
            cursor = self.person_cursor.get(c.code, 0)
            self.person_cursor[c.code] = cursor + 1
            person = c.people[cursor % len(c.people)]
            phones: list[Json] = []
            if pick(rng, 0.75):
                number = self.phones.make(region, "fixed", rng, dial)
                phones.append({"number": format_phone(number, False), "kind": "voice"})
            if not phones or pick(rng, 0.4):
                number = self.phones.make(region, "mobile", rng)
                phones.append({"number": format_phone(number, False), "kind": "mobile"})
            langs = [c.langs[0]] + (["en"] if c.langs[0] != "en" else [])
            langs += [extra for extra in ("fr", "es") if extra not in langs and pick(rng, 0.15)]
            contacts.append(
                {
                    "name": person,
                    "title": self.title_map(b.name, c.langs, which),
                    "phones": phones,
                    "emails": [{"address": f"{ascii_slug(person)}@{domain}"}],
                    "languages": langs,
                }
            )
        return contacts

    def make_record(self, c: Country, b: Body) -> Json:
        """One authority record, in interchange key order."""
        rng = rng_for(c.code, b.key, "record")
        region = alpha2(c.code)
        dial = self.src.fixed_pattern(c, b)
        index = self.index
        self.index += 1
        ref = f"DEMO-{c.code}-{b.key}"
        kind = b.kind or self.src.roles[b.roles[0]]["kind"]
        domain = email_domain(c, b, rng)
        address = b.address or c.address
        parent = b.parent if b.parent is not None else (c.ministry if b.inherit_parent else None)
        national_first = index % 9 == 4

        first = self.phones.make(region, "fixed", rng, dial)
        label = (
            "Operations room (24/7)"
            if "sea" in b.roles
            else rng.choice(["Switchboard", "Secretariat", "Requests desk"])
        )
        phones: list[Json] = [
            {"number": format_phone(first, national_first), "kind": "voice", "label": label,
             "restricted": False}
        ]  # fmt: skip
        if pick(rng, 0.55):
            fax = self.phones.make(region, "fixed", rng, dial)
            phones.append(
                {"number": format_phone(fax, False), "kind": "fax", "label": "Fax",
                 "restricted": False}
            )  # fmt: skip
        mailbox, mailbox_label = self.src.roles[b.roles[0]]["mailbox"]
        emails: list[Json] = [
            {"address": f"{mailbox}@{domain}", "label": mailbox_label, "restricted": False}
        ]
        if pick(rng, 0.4):
            emails.append(
                {"address": f"registry@{domain}", "label": "Registry", "restricted": False}
            )
        if index % 5 == 2:  # about one record in five has restricted data besides its contacts
            if (index // 5) % 2 == 0:
                mobile = self.phones.make(region, "mobile", rng)
                phones.append(
                    {"number": format_phone(mobile, False), "kind": "mobile",
                     "label": "Duty officer (mobile)", "restricted": True}
                )  # fmt: skip
            else:
                emails.append(
                    {"address": f"duty.officer@{domain}", "label": "Duty officer",
                     "restricted": True}
                )  # fmt: skip

        designations = self.make_designations(c, b)
        langs = designations[0]["languages"]
        notes_texts = self.src.texts["notes"]
        extra = []
        if "es" in langs and "es" not in c.langs and pick(rng, 0.6):
            extra.append(notes_texts["es_ok"]["en"])
        elif "fr" in langs and "fr" not in c.langs and pick(rng, 0.6):
            extra.append(notes_texts["fr_ok"]["en"])
        if pick(rng, 0.3):
            extra.append(notes_texts[rng.choice(["quote_ref", "copy_embassy"])]["en"])
        notes: TextMap = {"en": " ".join([DEMO_NOTE_EN, *extra])}
        demo_notes: TextMap = self.src.texts["demo_notes"]
        notes |= {tag: demo_notes[tag] for tag in local_langs(b.name) if tag in demo_notes}

        latest = max(dt.date.fromisoformat(d["until"] or d["since"]) for d in designations)
        verified = random_date(
            rng, max(VERIFIED_FROM, latest + dt.timedelta(days=1)), VERIFIED_TO
        )
        record: Json = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"cna-demo:{c.code}:{ref}")),
            "ref": ref,
            "country": c.code,
            "kind": kind,
            "name": dict(b.name),
            "acronym": b.acronym,
            "parent": dict(parent) if parent is not None else None,
            "address": dict(address),
            "phones": phones,
            "emails": emails,
            "website": f"https://{domain}",
            "time_zone": b.zone or c.zone,
            "office_hours": office_hours(c, b, rng),
            "designations": designations,
            "contacts": self.make_contacts(c, b, domain, rng),
            "notes": notes,
            "verified_on": verified.isoformat(),
            "status": "withdrawn" if b.withdrawn is not None else "active",
        }
        for optional in ("acronym", "parent", "time_zone"):  # omitted rather than null
            if not record[optional]:
                del record[optional]
        return dict(in_model_order(record))

    def build(self) -> list[Json]:
        """Every demo record, in the order of ``countries.json``."""
        records = [self.make_record(c, b) for c in self.src.countries for b in c.bodies]
        for miss in sorted(set(self.phones.pattern_misses)):
            print(
                f"warning: no valid number for pattern {miss}; used the example range",
                file=sys.stderr,
            )
        return records


def write_outputs(src: Sources, out_dir: Path) -> list[Json]:
    """Generate the records and write the NDJSON and README files."""
    records = Builder(src).build()
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) for record in records]
    (out_dir / NDJSON_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    countries = len({record["country"] for record in records})
    (out_dir / README_NAME).write_text(
        src.readme_template.format(records=len(records), countries=countries), encoding="utf-8"
    )
    return records


# --------------------------------------------------------------------------
# --check: the app's validator, then the demo-only rules
# --------------------------------------------------------------------------


def is_reserved_domain(domain: str) -> bool:
    """True for example.org/.com/.net (and their subdomains) and names under .example."""
    return RESERVED_DOMAIN_RE.search(domain.lower()) is not None


def letter_scripts(text: str) -> set[str]:
    """ISO 15924 scripts of the letters of ``text`` (unknown ones are skipped)."""
    found = set()
    for ch in text:
        if unicodedata.category(ch)[0] in "LM":
            script = SCRIPT_OF_CHAR_NAME.get(unicodedata.name(ch, "?").split(" ")[0].split("-")[0])
            if script is not None:
                found.add(script)
    return found


def text_maps(record: Json) -> Iterator[tuple[str, TextMap]]:
    """Every multilingual text of a (valid) record, with its JSON Pointer."""
    yield "/name", record["name"]
    yield from ((f"/{key}", record[key]) for key in ("parent", "notes") if record.get(key))
    for i, d in enumerate(record["designations"]):
        for key, text in (("scope", d.get("scope")),
                          ("urgent/notes", (d.get("urgent") or {}).get("notes")),
                          ("requirements/notes", (d.get("requirements") or {}).get("notes"))):
            if text:
                yield f"/designations/{i}/{key}", text
    for i, contact in enumerate(record["contacts"]):
        if contact.get("title"):
            yield f"/contacts/{i}/title", contact["title"]


def script_problems(where: str, record: Json) -> list[str]:
    """Texts written in a script their language tag does not use (a copy-paste slip)."""
    problems = []
    for pointer, texts in text_maps(record):
        for tag, text in texts.items():
            script = langcodes.Language.get(tag).maximize().script or "Latn"
            stray = letter_scripts(text) - SCRIPT_ALLOWED.get(script, frozenset({script}))
            if stray:
                problems.append(f"{where} {pointer}/{tag}: letters in {sorted(stray)} but {tag} "
                                f"is written in {script}: {text!r}")
    return problems


def validator_problems(where: str, record: Json, reference: ReferenceData) -> list[str]:
    """What the app's validator (import and write API) says of the record."""
    try:
        validate_record(record, reference)
    except RecordInvalid as exc:
        return [f"{where} {error.pointer}: {error.message}" for error in exc.errors]
    return []


def demo_problems(where: str, record: Json, reference: ReferenceData) -> list[str]:
    """The rules of a demo record: key order, scripts, its marker and id, example domains,
    a time zone of its country."""
    problems = order_problems(where, record) + script_problems(where, record)
    ref, country = record.get("ref"), record.get("country")
    zones = reference.countries[country].time_zones if country in reference.countries else ()
    zone = record.get("time_zone")
    if zone not in zones if zone is not None else len(zones) != 1:
        problems.append(f"{where}: time_zone {zone!r} but {country} has the zones {zones}")
    if not isinstance(ref, str) or not ref.startswith("DEMO-"):
        problems.append(f"{where}: ref {ref!r} must start with DEMO-")
    if record.get("id") != str(uuid.uuid5(uuid.NAMESPACE_URL, f"cna-demo:{country}:{ref}")):
        problems.append(f"{where}: id is not uuid5(NAMESPACE_URL, 'cna-demo:{country}:{ref}')")
    notes = record.get("notes")
    if not isinstance(notes, dict) or not str(notes.get("en", "")).startswith(DEMO_MARKER):
        problems.append(f"{where}: notes.en must start with {DEMO_MARKER!r}")
    addresses = [e.get("address", "") for e in record.get("emails", [])]
    addresses += [e.get("address", "") for c in record.get("contacts", [])
                  for e in c.get("emails", [])]  # fmt: skip
    for address in addresses:
        if not is_reserved_domain(str(address).rpartition("@")[2]):
            problems.append(f"{where}: e-mail {address!r} is not on a reserved example domain")
    website = record.get("website")
    match = re.fullmatch(r"https://([a-z0-9.-]+)/?", website) if isinstance(website, str) else None
    if match is None or not is_reserved_domain(match.group(1)):
        problems.append(f"{where}: website {website!r} must be https on a reserved example domain")
    if "version" in record or "updated_at" in record:
        problems.append(f"{where}: version/updated_at are output only")
    return problems


def fixture_values(records: list[Json], fixture: Json) -> Iterator[str]:
    """The names, localities or name languages of a country's records."""
    for r in records:
        if r["country"] == fixture["country"]:
            if fixture["in"] == "locality":
                yield r["address"].get("locality", "")
            else:
                yield from (r["name"] if fixture["in"] == "name language" else r["name"].values())


def coverage_problems(
    src: Sources, records: list[Json]
) -> tuple[list[str], dict[str, Counter[str]]]:
    """What the whole set must cover (``coverage.json``), and the tallies to print."""
    coverage = src.coverage
    names = Locale("en").territories
    tallies: dict[str, Counter[str]] = {
        "kinds": Counter(r["kind"] for r in records),
        "status": Counter(r["status"] for r in records),
        "designation types": Counter(d["type"] for r in records for d in r["designations"]),
        "countries by M49 region": Counter(),
    }
    problems: list[str] = []
    by_country = Counter(r["country"] for r in records)
    for key, count in Counter((r["country"], r["ref"]) for r in records).items():
        if count > 1:
            problems.append(f"set: (country, ref) {key} appears {count} times")
    if not 120 <= len(records) <= 160:
        problems.append(f"set: {len(records)} records, expected 120-160")
    if len(by_country) < 60:
        problems.append(f"set: only {len(by_country)} countries, expected at least 60")
    missing = sorted(set(coverage["required_countries"]) - set(by_country))
    if missing:
        problems.append(f"set: required countries missing: {missing}")
    for code, count in by_country.items():
        if not 1 <= count <= 3:
            problems.append(f"set: {code} has {count} records, expected 1-3")
        region, subregion = src.m49.get(code, (None, None))
        if region is None or subregion is None:
            problems.append(f"set: {code} has no UN M49 region in the reference data")
        else:
            tallies["countries by M49 region"][f"{names[region]} / {names[subregion]}"] += 1
    covered = {area for code in by_country for area in src.m49.get(code, ()) if area}
    problems += [f"set: no country from {name} ({area})"
                 for area, name in coverage["required_areas"].items()
                 if area not in covered]  # fmt: skip
    types_seen = tallies["designation types"]
    for dtype in sorted(src.generated_types()):
        least = 10 if dtype in src.core_types else 2
        if types_seen[dtype] < least:
            problems.append(f"set: type {dtype} appears {types_seen[dtype]} times, not {least}+")
    problems += [f"set: core type {t} is never generated" for t in src.core_types
                 if t not in src.generated_types()]  # fmt: skip
    if not 3 <= tallies["status"]["withdrawn"] <= 4:
        problems.append(f"set: {tallies['status']['withdrawn']} withdrawn records, expected 3-4")
    territorial = sum(1 for r in records if any(d["territory"] for d in r["designations"]))
    if not 3 <= territorial <= 4:
        problems.append(f"set: {territorial} records with a territory, expected 3-4")
    restricted = sum(
        1 for r in records if any(x.get("restricted") for x in [*r["phones"], *r["emails"]])
    )
    if not 0.12 <= restricted / max(len(records), 1) <= 0.3:
        problems.append(f"set: {restricted} records with restricted phone/e-mail, not 1 in 5")
    if all(p["number"].startswith("+") for r in records for p in r["phones"]):
        problems.append("set: no phone in national format")
    if tallies["kinds"]["central_authority"] <= len(records) / 2:
        problems.append("set: central authorities should be the majority")
    for r in records:
        local = [text for tag, text in r["name"].items() if tag != "en"]
        if not local and r["country"] not in coverage["english_only"]:
            problems.append(f"{r['ref']}: name has no entry in the country's own language")
        wanted = coverage["required_name_script"].get(r["country"])
        if wanted is not None and not any(wanted in letter_scripts(text) for text in local):
            problems.append(f"{r['ref']}: name has no {wanted} text")
    for code in coverage["latin_diacritic_countries"]:
        texts = [v for r in records if r["country"] == code for t, v in r["name"].items()
                 if t != "en"]  # fmt: skip
        if not any(ord(ch) > 127 and ch.isalpha() for text in texts for ch in text):
            problems.append(f"set: {code} names have no Latin letter with a diacritic")
    for fixture in coverage["search_fixtures"]:  # what the search tests rely on
        if not any(fixture["text"] in value for value in fixture_values(records, fixture)):
            problems.append(f"fixtures: no {fixture['country']} {fixture['in']} with "
                            f"{fixture['text']!r}")
    return problems, tallies


def run_check(src: Sources, out_dir: Path) -> int:
    """Validate the NDJSON on disk; print a summary; return the exit status."""
    path = out_dir / NDJSON_NAME
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        print(f"{path} is not UTF-8: {exc}", file=sys.stderr)
        return 1
    problems: list[str] = [] if text.endswith("\n") else ["file: does not end with a newline"]
    records: list[Json] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        where = f"line {line_no}"
        if "\\u" in line:
            problems.append(f"{where}: escaped non-ASCII text (write with ensure_ascii=False)")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: invalid JSON: {exc}")
            continue
        if not isinstance(record, dict):
            problems.append(f"{where}: not a JSON object")
            continue
        where = f"{where} {record.get('ref')}"
        # The demo rules read the record's structure, which only the validator vouches for.
        found = validator_problems(where, record, src.reference) or demo_problems(
            where, record, src.reference
        )
        problems += found
        if not found:
            records.append(record)
    readme = out_dir / README_NAME
    if not readme.is_file() or "fictional" not in readme.read_text(encoding="utf-8").lower():
        problems.append(f"file: {README_NAME} is missing or does not say the data is fictional")
    set_problems, tallies = coverage_problems(src, records)
    problems += set_problems

    print(f"{path}: {len(records)} valid records, {len({r['country'] for r in records})} countries")
    for label, tally in tallies.items():
        print(f"  {label}:")
        for item, count in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"    {count:4d}  {item}")
    if problems:
        print(f"FAILED: {len(problems)} problem(s)", file=sys.stderr)
        for problem in problems[:200]:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print("OK: all checks passed")
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line interface."""
    parser = argparse.ArgumentParser(
        description="Write (or check) the fictional DEMO data set of the CNA Directory: "
        f"{NDJSON_NAME} (interchange format v1, one record a line) and {README_NAME}, "
        f"from the tables in {SOURCE_DIR.relative_to(DEFAULT_OUT.parent.parent)}/.",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT,
        help="output folder (default: seed_data/demo next to this script)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write: re-read the NDJSON, run the app's validator and the demo "
        "rules (marker, example domains, coverage), print a summary, exit 1 on any failure",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    src = Sources.load()
    if args.check:
        return run_check(src, args.out_dir)
    records = write_outputs(src, args.out_dir)
    countries = len({r["country"] for r in records})
    print(f"wrote {len(records)} records for {countries} countries to {args.out_dir / NDJSON_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
