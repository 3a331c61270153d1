"""What every search engine takes and returns."""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from search.text import fold

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger(__name__)

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
    engine: str = ""  # who answered, as the API reports it


class SearchEngine(Protocol):
    """What the service searches through: the in-process index, Postgres, Meilisearch,
    or one of them falling back to another."""

    name: str

    def search(self, query: SearchQuery, session: Session | None = None) -> EngineResult:
        """The result of ``query``; ``session`` is the request's, for engines that read
        the database."""
        ...

    def try_search(self, query: SearchQuery) -> EngineResult | None:
        """The result at once, without the database or any waiting; None when the
        engine cannot answer that way (then ``search`` does, in a worker thread)."""
        ...


class EngineUnavailable(Exception):
    """The engine could not answer (unreachable, 5xx, timeout, missing index)."""


# After the primary engine failed, do not try it again for this long: searches answer
# from the fallback at once instead of each waiting for a timeout.
RETRY_AFTER_SECONDS = 5.0


class FallbackEngine:
    """``primary`` when it answers; else ``fallback``, reported as ``fallback_name``, and
    for ``retry_after`` seconds after a failure without asking ``primary`` again."""

    def __init__(self, primary: SearchEngine, fallback: SearchEngine, *,
                 retry_after: float = RETRY_AFTER_SECONDS,
                 fallback_name: str = "postgres-fallback") -> None:
        self.primary = primary
        self.fallback = fallback
        self.retry_after = retry_after
        self.fallback_name = fallback_name
        self.name = primary.name
        self.down_until = 0.0

    def search(self, query: SearchQuery, session: Session | None = None) -> EngineResult:
        if time.monotonic() >= self.down_until:
            try:
                return self.primary.search(query, session)
            except EngineUnavailable as e:
                if time.monotonic() >= self.down_until:
                    log.warning("search falls back", extra={
                        "engine": self.primary.name, "reason": str(e)})
                    self.down_until = time.monotonic() + self.retry_after
        return replace(self.fallback.search(query, session), engine=self.fallback_name)

    def try_search(self, query: SearchQuery) -> EngineResult | None:
        if time.monotonic() < self.down_until:
            return None
        return self.primary.try_search(query)

    def reset_backoff(self) -> None:
        self.down_until = 0.0
