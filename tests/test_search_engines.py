"""The search contract: the engine built from Settings, and the fallback's back-off."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlmodel import Session

from app.core.settings import Settings
from app.search.engines import engine_from_settings
from search.engine import EngineResult, EngineUnavailable, FallbackEngine, SearchQuery
from search.meili import MeiliEngine
from search.memory import MemoryEngine
from search.postgres import PostgresEngine

ONE = uuid.uuid4()


class Scripted:
    """An engine that answers, or fails, as told; and counts what it was asked."""

    def __init__(self, name: str, *, failing: bool = False) -> None:
        self.name = name
        self.failing = failing
        self.asked = 0

    def search(self, query: SearchQuery, session: Session | None = None) -> EngineResult:
        self.asked += 1
        if self.failing:
            raise EngineUnavailable("down")
        return EngineResult(ids=[ONE], total=1, engine=self.name)

    def try_search(self, query: SearchQuery) -> EngineResult | None:
        return None if self.failing else self.search(query)


def test_the_fallback_answers_while_the_primary_is_down_and_retries_after_the_backoff(
        monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("search.engine.time.monotonic", lambda: now[0])
    primary, fallback = Scripted("meilisearch", failing=True), Scripted("postgres")
    engine = FallbackEngine(primary, fallback, retry_after=5.0)
    assert engine.name == "meilisearch"
    assert engine.search(SearchQuery()).engine == "postgres-fallback"
    assert engine.try_search(SearchQuery()) is None  # within the back-off: the worker path
    now[0] += 4.9
    primary.failing = False
    assert engine.search(SearchQuery()).engine == "postgres-fallback"
    assert primary.asked == 1  # not asked again within the 5 s
    now[0] += 0.2
    assert engine.search(SearchQuery()).engine == "meilisearch"
    assert primary.asked == 2 and fallback.asked == 2


def test_a_failure_of_the_fallback_is_not_hidden() -> None:
    engine = FallbackEngine(Scripted("a", failing=True), Scripted("b", failing=True))
    with pytest.raises(EngineUnavailable):
        engine.search(SearchQuery())


@pytest.mark.parametrize(("env", "kind"), [
    ({}, MemoryEngine),
    ({"search_engine": "postgres"}, PostgresEngine),
    ({"meili_url": "http://127.0.0.1:7700"}, FallbackEngine),
    ({"meili_url": "http://127.0.0.1:7700", "search_engine": "postgres"}, FallbackEngine),
])
def test_the_engine_is_built_from_settings(env: dict[str, Any], kind: type) -> None:
    defaults = {"meili_url": None, "search_engine": "memory"}
    engine = engine_from_settings(Settings().model_copy(update={**defaults, **env}))
    assert isinstance(engine, kind)
    if isinstance(engine, FallbackEngine):
        assert isinstance(engine.primary, MeiliEngine)
        assert isinstance(engine.fallback, PostgresEngine)
        assert engine.fallback_name == "postgres-fallback"
