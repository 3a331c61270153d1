"""The official Meilisearch client as the engine and the mirror use it: each of the
double's failure modes, reached over a socket, becomes the engine's error; the MEILI_*
settings are fields of the one Settings class; the app builds one client at startup."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.settings import Settings
from app.reference.data import ReferenceData
from app.search.meili_access import meili_client
from search.engine import EngineUnavailable, FallbackEngine, SearchQuery
from search.meili import IndexNotFound, MeiliClient, MeiliEngine, MeiliError, TaskFailed
from tests.conftest import make_record, settings_env, store
from tests.meili_server import MeiliServer, meili_server

__all__ = ["meili_server"]

INDEX = "authorities"


@pytest.fixture
def prepared(meili_server: MeiliServer) -> MeiliClient:
    client = MeiliClient(meili_server.url, task_timeout=5)
    client.ensure_index(INDEX)
    client.apply_settings(INDEX)
    return client


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_a_server_that_went_away_is_unavailable(prepared: MeiliClient,
                                                meili_server: MeiliServer) -> None:
    meili_server.double.down = True
    with pytest.raises(EngineUnavailable) as caught:
        MeiliEngine(prepared, INDEX).search(SearchQuery(q="office"))
    assert not isinstance(caught.value, IndexNotFound)
    assert "unreachable" in str(caught.value)
    assert prepared.health() is False


def test_a_refused_connection_is_unavailable() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(EngineUnavailable):
        MeiliClient(f"http://127.0.0.1:{port}").search(INDEX, "office", {})


def test_a_5xx_answer_is_unavailable(prepared: MeiliClient, meili_server: MeiliServer) -> None:
    meili_server.double.status_5xx = True
    with pytest.raises(EngineUnavailable, match="503"):
        MeiliEngine(prepared, INDEX).search(SearchQuery(q="office"))
    with pytest.raises(EngineUnavailable):
        prepared.add_documents(INDEX, [{"id": "a", "version": 1}])


def test_a_request_timeout_is_unavailable(silent_port: int) -> None:
    client = MeiliClient(f"http://127.0.0.1:{silent_port}", timeout=0.2)
    with pytest.raises(EngineUnavailable, match="MeilisearchTimeoutError"):
        client.search(INDEX, "office", {})


def test_a_task_that_does_not_finish_in_time_is_unavailable(
        prepared: MeiliClient, meili_server: MeiliServer) -> None:
    meili_server.double.slow_steps = 1000
    task = prepared.add_documents(INDEX, [{"id": "a", "version": 1}])
    with pytest.raises(EngineUnavailable, match="MeilisearchTimeoutError"):
        prepared.wait_task(task, timeout=0.1)


def test_a_missing_index_is_index_not_found(meili_server: MeiliServer) -> None:
    client = MeiliClient(meili_server.url)
    with pytest.raises(IndexNotFound):
        MeiliEngine(client, "nowhere").search(SearchQuery(q="office"))
    assert client.get_index("nowhere") is None


def test_another_refusal_is_a_meili_error_not_an_outage(prepared: MeiliClient) -> None:
    with pytest.raises(MeiliError) as caught:
        prepared.search(INDEX, "", {"filter": "name = x"})  # name is not filterable
    assert not isinstance(caught.value, EngineUnavailable)
    assert "invalid_search_filter" in str(caught.value)


def test_a_failed_task_is_task_failed(prepared: MeiliClient,
                                      meili_server: MeiliServer) -> None:
    meili_server.double.fail_next = 1
    with pytest.raises(TaskFailed, match="simulated failure"):
        prepared.wait_task(prepared.add_documents(INDEX, [{"id": "a", "version": 1}]))


def test_documents_go_in_come_out_and_are_deleted(prepared: MeiliClient) -> None:
    prepared.wait_task(prepared.add_documents(INDEX, [
        {"id": f"d{i}", "version": i, "status": "active"} for i in range(5)]))
    assert sorted(prepared.iter_documents(INDEX, ["id", "version"], batch=2),
                  key=lambda d: d["id"]) == [{"id": f"d{i}", "version": i} for i in range(5)]
    prepared.wait_task(prepared.delete_documents(INDEX, ["d1", "d3"]))
    assert {d["id"] for d in prepared.iter_documents(INDEX, ["id"])} == {"d0", "d2", "d4"}


def test_the_meili_settings_are_fields_of_the_one_settings_class() -> None:
    with settings_env(MEILI_URL="http://search.internal:7700", MEILI_MASTER_KEY="k" * 20,
                      MEILI_INDEX="cna", MEILI_SEARCH_TIMEOUT="0.5", MEILI_TASK_TIMEOUT="9"):
        settings = Settings()
    assert settings.meili_api_key is not None
    assert settings.meili_api_key.get_secret_value() == "k" * 20
    assert "k" * 20 not in repr(settings)
    assert (settings.meili_index, settings.meili_search_timeout,
            settings.meili_task_timeout) == ("cna", 0.5, 9.0)
    client = meili_client(settings)
    assert client is not None
    assert client.client.config.url == "http://search.internal:7700"
    assert client.client.config.timeout == 0.5 and client.task_timeout == 9.0
    patient = meili_client(settings, request_timeout=30)
    assert patient is not None and patient.client.config.timeout == 30
    with settings_env(MEILI_SEARCH_TIMEOUT="0"), pytest.raises(ValueError):
        Settings()


def test_the_app_builds_one_client_at_startup_and_searches_through_it(
        db_url: str, meili_server: MeiliServer, session: Session,
        reference: ReferenceData) -> None:
    from app.main import create_app
    from app.search.indexing import vocabulary
    from search.mirror import Relay

    record = store(session, reference, make_record(name={"en": "Quendal Liaison Office"}))
    with settings_env(MEILI_URL=meili_server.url, MEILI_INDEX="cna_test"):
        from app.db import engine as db_engine

        Relay(db_engine.get_engine(), MeiliClient(meili_server.url, task_timeout=5),
              "cna_test", vocabulary()).run(once=True)
        meili_server.double.drain()
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            engine = client.app.state.search  # type: ignore[attr-defined]
            assert isinstance(engine, FallbackEngine)
            assert isinstance(engine.primary, MeiliEngine)
            assert engine.primary.index == "cna_test"
            pages = [client.get("/v1/search", params={"q": "quendal"}).json()
                     for _ in range(3)]
            assert client.app.state.search is engine  # type: ignore[attr-defined]
    assert all(p["engine"] == "meilisearch" for p in pages)
    assert [h["record"]["id"] for h in pages[0]["hits"]] == [str(record.authority.id)]
    searched = [path for method, path in meili_server.double.requests
                if path.endswith("/search")]
    assert searched == ["/indexes/cna_test/search"] * 3



def test_each_thread_has_its_own_official_client_object(prepared: MeiliClient) -> None:
    """The official client keeps one headers dict per client object and sets or drops its
    Content-Type on every call, so threads sharing one object could send a search without
    it, which Meilisearch refuses (415).  A MeiliClient gives each thread its own object,
    and the same one on every call in that thread."""
    seen: dict[str, object] = {}  # the objects themselves: an id could be reused

    def note(name: str) -> None:
        first = prepared.client
        assert prepared.client is first
        seen[name] = first
        assert prepared.get_index(INDEX) is not None

    threads = [threading.Thread(target=note, args=(f"t{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    note("main")
    assert len({id(c) for c in seen.values()}) == 4
