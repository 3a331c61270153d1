"""Reference data as the validator needs it, independent of where it was loaded from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"
REFERENCE_DIR = SEED_DIR / "reference"

#: Version of the interchange format (docs/interchange.md, "Changes").  1.1 added
#: resolutions as a basis, ``requirements.interpol_requests`` and cited sources.
FORMAT_VERSION = "1.1"


@dataclass(frozen=True)
class CountryRef:
    alpha3: str
    alpha2: str
    time_zones: tuple[str, ...]


@dataclass
class ReferenceData:
    countries: dict[str, CountryRef] = field(default_factory=dict)
    instruments: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    # (instrument, article) -> designation type
    articles: dict[tuple[str, str], str] = field(default_factory=dict)

    def country_by_any_code(self, code: str) -> CountryRef | None:
        code = code.strip().upper()
        if len(code) == 3:
            return self.countries.get(code)
        if len(code) == 2:
            return next((c for c in self.countries.values() if c.alpha2 == code), None)
        return None


def read_json(name: str) -> Any:
    return json.loads((REFERENCE_DIR / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ArticleCitation:
    """Where a designation's basis is written: the clause, a URL and a quotation."""

    kind: str  # of the instrument: convention, protocol or resolution
    source: dict[str, str]
    interpol: dict[str, Any] | None


@cache
def article_citations() -> dict[tuple[str, str], ArticleCitation]:
    """(instrument, article) -> its citation, from the shipped instruments.json.

    The citations document the reference table; the database keeps only what records
    are checked and joined against, so they are read from the file (once)."""
    return {
        (i["code"], a["article"]): ArticleCitation(i.get("kind", "convention"), a["source"],
                                                   a.get("interpol"))
        for i in read_json("instruments.json") for a in i["articles"]
    }


@cache
def instrument_kinds() -> dict[str, str]:
    return {i["code"]: i.get("kind", "convention") for i in read_json("instruments.json")}


def reference_from_files() -> ReferenceData:
    """Reference data straight from seed_data/ (used before the database is seeded)."""
    ref = ReferenceData()
    for c in read_json("countries.json"):
        ref.countries[c["alpha3"]] = CountryRef(c["alpha3"], c["alpha2"], tuple(c["time_zones"]))
    for t in read_json("designation_types.json"):
        ref.types.add(t["code"])
    for i in read_json("instruments.json"):
        ref.instruments.add(i["code"])
        for a in i["articles"]:
            ref.articles[(i["code"], a["article"])] = a["type"]
    return ref
