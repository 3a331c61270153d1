"""The search contract: the engine built from Settings, and the fallback's back-off."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.authorities.schemas import validate_record
from app.authorities.service import save_record
from app.core.settings import Settings, get_settings
from app.db import engine as db_engine
from app.reference.data import ReferenceData
from app.search.engines import engine_from_settings
from app.search.indexing import index_config, install_search_listener, telling
from search.engine import EngineResult, EngineUnavailable, FallbackEngine, SearchQuery
from search.meili import MeiliEngine
from search.memory import MemoryEngine
from search.postgres import PostgresEngine
from tests.conftest import TEST_ACTOR as ACTOR
from tests.conftest import make_record, store

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


def test_every_live_index_hears_of_a_commit_that_wrote_search_documents_and_only_then(
        session: Session, reference: ReferenceData) -> None:
    """One listener per application, none consuming the flag: two apps alive in one
    process (as in the tests) are both told; a rollback or a commit that wrote nothing
    tells no one; once an app's block ends, it is no longer told."""
    install_search_listener()
    database = db_engine.get_engine()
    first, second = (MemoryEngine(db_engine.get_engine, index_config(get_settings()))
                     for _ in range(2))
    holders = [engine.holder_for(database, build=True) for engine in (first, second)]
    assert all(holder is not None for holder in holders)

    def writes() -> list[int]:
        return [holder.writes for holder in holders if holder is not None]

    with telling(first), telling(second):
        store(session, reference, make_record(ref="TELL-1"))
        assert writes() == [1, 1]
        session.execute(text("SELECT 1"))
        session.commit()  # wrote no search document
        assert writes() == [1, 1]
        save_record(session, validate_record(make_record(ref="TELL-2"), reference), ACTOR)
        session.rollback()
        session.execute(text("SELECT 1"))
        session.commit()  # the rolled-back write's flag ended with its transaction
        assert writes() == [1, 1]
        with telling(first):
            pass
        store(session, reference, make_record(ref="TELL-3"))
        assert writes() == [2, 2]
    store(session, reference, make_record(ref="TELL-4"))
    assert writes() == [2, 2]
    first.stop_all()
    second.stop_all()
