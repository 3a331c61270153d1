"""Reference data as the validator needs it, independent of where it was loaded from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"
REFERENCE_DIR = SEED_DIR / "reference"


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
