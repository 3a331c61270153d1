"""The mirror: relay faults, a relay killed mid-batch, two relays at once, reindex with
swap-indexes, the drift check, and the search document kept in the write transaction."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.db import engine as db_engine
from app.reference.data import ReferenceData
from app.search.indexing import vocabulary
from search.meili import MeiliClient
from search.mirror import Relay, backlog, check, reindex, relay_batch
from tests.conftest import make_record, store
from tests.meili_double import KilledRelay, MeiliDouble
from tests.meili_server import MeiliServer, meili_server
from tests.search_support import INDEX

__all__ = ["meili_server"]


@pytest.fixture
def double(db_url: str, meili_server: MeiliServer) -> Iterator[MeiliDouble]:
    yield meili_server.double


@pytest.fixture
def meili_url(meili_server: MeiliServer) -> str:
    return meili_server.url


def _client(url: str) -> MeiliClient:
    return MeiliClient(url=url, task_timeout=5)


def _index_state(double: MeiliDouble) -> dict[str, int]:
    return {k: d["version"] for k, d in double.indexes[INDEX].documents.items()}


def _pg_state(session: Session) -> dict[str, int]:
    return {str(a): v for a, v in session.execute(text(
        "SELECT authority_id, version FROM search_documents")).all()}


_written = [0]


def _writes(session: Session, reference: ReferenceData, n: int) -> None:
    """n writes over 30 records (several versions each); every write is a change."""
    for _ in range(n):
        i = _written[0]
        _written[0] += 1
        ref = f"W-{i % 30}"
        store(session, reference, make_record(ref=ref, name={"en": f"Office {i % 30} v{i}"}))


def _drain(double: MeiliDouble, url: str) -> None:
    relay = Relay(db_engine.get_engine(), _client(url), INDEX, vocabulary(), batch_size=25)
    relay.run(once=True)
    double.drain()


def _monotonic(double: MeiliDouble) -> None:
    last: dict[str, int] = {}
    for index, key, version in double.applied:
        if index != INDEX:
            continue
        assert version >= last.get(key, 0), f"{key}: v{version} applied after v{last[key]}"
        last[key] = version


@pytest.mark.parametrize("fault", ["down", "status_5xx", "fail_tasks", "slow"])
def test_writes_succeed_while_meilisearch_fails_and_the_index_catches_up(
        fault: str, double: MeiliDouble, meili_url: str, session: Session,
        reference: ReferenceData) -> None:
    if fault == "slow":
        double.slow_steps = 1000  # tasks never finish within the client's patience
    else:
        setattr(double, fault, True)
    _writes(session, reference, 50)
    client = MeiliClient(url=meili_url, task_timeout=0.05)
    outcome = relay_batch(db_engine.get_engine(), client, INDEX, vocabulary())
    _writes(session, reference, 50)  # 100 writes in all, none waited on Meilisearch
    assert outcome.status == "failed" and outcome.error
    with Session(db_engine.get_engine()) as s:
        state = backlog(s)
        assert state["pending"] == 100
        assert state["max_attempts"] == 1 and state["last_error"]
    double.down = double.status_5xx = double.fail_tasks = False
    double.slow_steps = 0
    double.drain()  # a slow server finishes its queue in the end
    _drain(double, meili_url)
    with Session(db_engine.get_engine()) as s:
        assert backlog(s)["pending"] == 0
        assert _index_state(double) == _pg_state(s)
    _monotonic(double)


def test_rows_are_marked_only_when_the_task_succeeded(
        double: MeiliDouble, meili_url: str, session: Session,
        reference: ReferenceData) -> None:
    from search.mirror import prepare_index

    store(session, reference, make_record())
    prepare_index(_client(meili_url), INDEX)
    double.fail_next = 1  # the document task will end "failed"
    outcome = relay_batch(db_engine.get_engine(), _client(meili_url), INDEX, vocabulary())
    assert outcome.status == "failed" and "simulated failure" in (outcome.error or "")
    assert double.indexes[INDEX].documents == {}
    with Session(db_engine.get_engine()) as s:
        assert backlog(s)["pending"] == 1
        assert "simulated failure" in s.scalar(text("SELECT mirror_error FROM changes"))
    _drain(double, meili_url)
    with Session(db_engine.get_engine()) as s:
        assert backlog(s)["pending"] == 0
        assert s.scalar(text("SELECT mirror_error FROM changes")) is None


def test_a_relay_killed_mid_batch_loses_nothing_and_applies_nothing_out_of_order(
        double: MeiliDouble, meili_url: str, session: Session, reference: ReferenceData) -> None:
    _writes(session, reference, 40)

    class DiesAfterSending(MeiliClient):
        def add_documents(self, uid: str, documents: list[dict[str, Any]]) -> int:
            super().add_documents(uid, documents)  # Meilisearch has the task ...
            raise KilledRelay("the relay process died here")  # ... the relay is gone

    with pytest.raises(KilledRelay):
        Relay(db_engine.get_engine(), DiesAfterSending(meili_url, task_timeout=5), INDEX,
              vocabulary(), batch_size=25).run(once=True)
    assert any(t.type == "documentAdditionOrUpdate" for t in double.tasks)
    with Session(db_engine.get_engine()) as s:
        assert backlog(s)["pending"] == 40  # the batch rolled back: nothing marked
    _writes(session, reference, 20)
    _drain(double, meili_url)
    with Session(db_engine.get_engine()) as s:
        assert backlog(s)["pending"] == 0
        assert _index_state(double) == _pg_state(s)
    _monotonic(double)


def test_two_relays_at_once_never_apply_out_of_order(
        double: MeiliDouble, meili_url: str, session: Session,
        reference: ReferenceData) -> None:
    from search.mirror import prepare_index

    prepare_index(_client(meili_url), INDEX)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        relay = Relay(db_engine.get_engine(), _client(meili_url), INDEX, vocabulary(), batch_size=7,
                      poll_interval=0.01, stop=stop)
        try:
            relay.run()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    _writes(session, reference, 60)
    for _ in range(500):
        with Session(db_engine.get_engine()) as s:
            if backlog(s)["pending"] == 0:
                break
        stop.wait(0.02)
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    double.drain()
    with Session(db_engine.get_engine()) as s:
        assert backlog(s)["pending"] == 0
        assert _index_state(double) == _pg_state(s)
    _monotonic(double)


def test_reindex_swaps_a_fresh_index_in_and_replays_later_changes(
        double: MeiliDouble, meili_url: str, session: Session, reference: ReferenceData) -> None:
    _writes(session, reference, 30)
    _drain(double, meili_url)
    double.indexes[INDEX].documents.pop(next(iter(double.indexes[INDEX].documents)))
    double.indexes[INDEX].documents["stale-ghost"] = {"id": "stale-ghost", "version": 1}
    report = reindex(db_engine.get_engine(), _client(meili_url), INDEX, vocabulary(), batch=7)
    assert report.documents == 30
    assert any(t.type == "indexSwap" and t.status == "succeeded" for t in double.tasks)
    assert set(double.indexes) == {INDEX}  # the old index was dropped after the swap
    with Session(db_engine.get_engine()) as s:
        assert _index_state(double) == _pg_state(s)
        assert backlog(s)["pending"] == 0


def test_search_keeps_answering_during_reindex(double: MeiliDouble, meili_url: str, client: Any,
                                               session: Session,
                                               reference: ReferenceData) -> None:
    _writes(session, reference, 10)
    _drain(double, meili_url)
    answers: list[str] = []
    original = double._apply

    def apply_and_search(task: Any) -> None:
        original(task)
        if task.type == "documentAdditionOrUpdate" and task.index_uid != INDEX:
            # mid-reindex: the live index still answers
            live = double._search(double.indexes[INDEX], {"q": "office"})
            answers.append(str(live["estimatedTotalHits"]))

    double._apply = apply_and_search  # type: ignore[method-assign]
    reindex(db_engine.get_engine(), _client(meili_url), INDEX, vocabulary(), batch=3)
    assert answers and all(a == "10" for a in answers)


def test_search_check_finds_drift_and_requeues_it(
        double: MeiliDouble, meili_url: str, session: Session,
        reference: ReferenceData) -> None:
    _writes(session, reference, 12)
    _drain(double, meili_url)
    docs = double.indexes[INDEX].documents
    gone = next(iter(docs))
    docs.pop(gone)
    stale = next(iter(docs))
    docs[stale] = {**docs[stale], "version": 0}
    docs["ghost"] = {"id": "ghost", "version": 3}
    report = check(db_engine.get_engine(), _client(meili_url), INDEX)
    assert (report.missing, report.stale, report.extra) == ([gone], [stale], ["ghost"])
    assert report.requeued == 2
    _drain(double, meili_url)
    again = check(db_engine.get_engine(), _client(meili_url), INDEX)
    assert again.drift == 0


def test_the_search_document_is_written_in_the_same_transaction(
        session: Session, reference: ReferenceData) -> None:
    from app.authorities.schemas import validate_record
    from app.authorities.service import save_record
    from tests.conftest import TEST_ACTOR

    save_record(session, validate_record(make_record(), reference), TEST_ACTOR)
    session.rollback()
    assert _pg_state(session) == {}
    result = store(session, reference, make_record())
    assert _pg_state(session) == {str(result.authority.id): 1}
    store(session, reference, make_record(name={"en": "Renamed"}))
    assert _pg_state(session) == {str(result.authority.id): 2}
    row = session.execute(text("SELECT terms::text, document FROM search_documents")).one()
    assert "'renamed':1A" in row[0] and "'~c~BRA':1C" in row[0]
    assert "contacts" not in row[1] and "phones" not in row[1]
