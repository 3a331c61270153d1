"""What every search engine takes and returns."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from search.text import fold

SETTINGS_FILE = Path(__file__).resolve().parent / "meili_settings.json"
FACETS = ("country", "types", "instruments", "languages")


@lru_cache(maxsize=1)
def index_settings() -> dict[str, Any]:
    """The Meilisearch index settings, declared as data (search/meili_settings.json)."""
    settings: dict[str, Any] = json.loads(SETTINGS_FILE.read_text(encoding="utf-8"))
    return settings


def synonyms() -> dict[str, list[str]]:
    """Word synonyms of the index settings, folded (both engines apply the same ones)."""
    out: dict[str, list[str]] = {}
    for word, alternatives in index_settings()["synonyms"].items():
        out.setdefault(fold(word), []).extend(fold(a) for a in alternatives)
    return out


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    countries: list[str] | None = None  # None: every country
    type: str | None = None
    instrument: str | None = None
    language: str | None = None
    channel: str | None = None
    kind: str | None = None
    offset: int = 0
    limit: int = 20


@dataclass
class EngineResult:
    ids: list[uuid.UUID]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class SearchEngine(Protocol):
    name: str

    def search(self, query: SearchQuery) -> EngineResult: ...


class EngineUnavailable(Exception):
    """The engine could not answer (unreachable, 5xx, timeout, missing index)."""
