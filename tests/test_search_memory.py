"""The in-process index (search/memory.py): it keeps in step with the change rows, a new
process builds it from scratch, and its typo lookup finds exactly what the rule allows."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import ANONYMOUS, Role
from app.access.service import create_key
from app.core.problems import Problem
from app.db import engine as db_engine
from app.reference.service import load_reference_cached
from app.search import service
from app.search.indexing import vocabulary
from search import documents as search_documents
from search import memory
from search.engine import SearchQuery
from search.text import distance, typo_budget
from tests.conftest import make_record
from tests.search_support import crafted, demo_client, demo_url

__all__ = ["demo_client", "demo_url"]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    key, _ = create_key(session, Role.secretariat)
    session.commit()
    return {"Authorization": f"Bearer {key}"}


def _holder(client: TestClient) -> memory.Holder | None:
    """The index the app behind ``client`` holds of its database."""
    engine = client.app.state.search  # type: ignore[attr-defined]
    assert isinstance(engine, memory.MemoryEngine)
    return engine.holder_for(db_engine.get_engine())


def _refs(client: TestClient, q: str) -> list[str]:
    response = client.get("/v1/search", params={"q": q, "limit": 50})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["engine"] == "memory"
    return [h["record"]["ref"] for h in page["hits"]]


def test_a_write_an_update_and_a_withdrawal_are_visible_at_once(
        client: TestClient, admin: dict[str, str]) -> None:
    assert _refs(client, "Quorvalin") == []
    created = client.post("/v1/authorities", headers=admin, json=make_record(
        ref="MEM-1", name={"en": "Quorvalin Liaison Office"}))
    assert created.status_code == 201, created.text
    assert _refs(client, "Quorvalin") == ["MEM-1"]
    assert _refs(client, "Quorvalinn") == ["MEM-1"]  # typo, on a word added since the build
    url = f"/v1/authorities/{created.json()['id']}"
    changed = make_record(ref="MEM-1", name={"en": "Thessomir Liaison Office"})
    updated = client.put(url, headers={**admin, "If-Match": '"1-full"'}, json=changed)
    assert updated.status_code == 200, updated.text
    assert _refs(client, "Quorvalin") == []
    assert _refs(client, "Thessomir") == ["MEM-1"]
    page = client.get("/v1/search", params={"q": "Thessomir"}).json()
    assert page["hits"][0]["record"]["version"] == 2
    withdrawn = client.post(f"{url}/withdraw", headers=admin, json={"reason": "test"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert _refs(client, "Thessomir") == []
    assert client.get("/v1/search", params={"q": "Thessomir"}).json()["total"] == 0


def test_writes_of_another_process_arrive_through_the_poller(
        client: TestClient, admin: dict[str, str]) -> None:
    assert _refs(client, "Vindral") == []
    # A write this process does not hear about (as if another worker made it): only the
    # poller, reading the change rows, can bring it in.
    holder = _holder(client)
    assert holder is not None
    before = holder.writes
    created = client.post("/v1/authorities", headers=admin, json=make_record(
        ref="MEM-2", name={"en": "Vindral Office"}))
    assert created.status_code == 201
    assert holder.writes == before + 1  # the commit told the index
    holder.writes = before  # the commit's signal, taken back
    deadline = time.monotonic() + 5
    while _refs(client, "Vindral") != ["MEM-2"]:
        assert time.monotonic() < deadline, "the poller did not bring the write in"
        time.sleep(0.05)


def test_public_view_and_network_scope_hold(client: TestClient, admin: dict[str, str],
                                            session: Session) -> None:
    for record in (make_record(ref="MEM-BRA", name={"en": "Ostravel Bureau"}),
                   crafted("MEM-ISL", "Ostravel Bureau")):
        assert client.post("/v1/authorities", headers=admin, json=record).status_code == 201
    public = client.get("/v1/search", params={"q": "Ostravel"}).json()
    assert public["total"] == 2
    blob = json.dumps(public)
    assert "contacts" not in public["hits"][0]["record"]
    assert "internal@drci.example.org" not in blob and "(61) 2025-3009" not in blob
    key, _ = create_key(session, Role.network, countries=["BRA"])
    session.commit()
    scoped = client.get("/v1/search", params={"q": "Ostravel"},
                        headers={"Authorization": f"Bearer {key}"}).json()
    assert [h["record"]["ref"] for h in scoped["hits"]] == ["MEM-BRA"]
    assert scoped["facets"]["country"] == {"BRA": 1}
    assert "contacts" in scoped["hits"][0]["record"]  # key holders get the full view
    # the per-process cache of rendered records never serves one view to the other
    again = client.get("/v1/search", params={"q": "Ostravel"}).json()
    assert all("contacts" not in h["record"] for h in again["hits"])


def test_a_new_process_builds_the_index_from_scratch(
        client: TestClient, admin: dict[str, str], db_url: str) -> None:
    client.post("/v1/authorities", headers=admin, json=make_record(
        ref="MEM-3", name={"en": "Calyndor Service"}))
    script = (
        "import json, sys\n"
        "from app.db import engine as e\n"
        "from app.search.indexing import vocabulary\n"
        "from search import memory\n"
        "from search.engine import SearchQuery\n"
        "engine = e.make_engine(sys.argv[1])\n"
        "index = memory.build(engine, vocabulary())\n"
        "r = index.search(SearchQuery(q='Calyndr'))\n"
        "print(json.dumps({'ids': [str(i) for i in r.ids], 'total': r.total,\n"
        "                  'documents': len(index.active), 'head': index.head}))\n")
    out = subprocess.run([sys.executable, "-c", script, db_url], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=120)
    built = json.loads(out.stdout.strip().splitlines()[-1])
    live = client.get("/v1/search", params={"q": "Calyndr"}).json()
    assert built["total"] == live["total"] == 1
    assert built["ids"] == [h["record"]["id"] for h in live["hits"]]
    assert built["documents"] == 1 and built["head"] >= 1


def test_typo_lookup_is_exactly_the_budget(demo_client: Any) -> None:
    """The deletion index finds every vocabulary word within the budget, and no other."""
    holder = _holder(demo_client)
    assert holder is not None
    index = holder.current()
    assert index is not None
    rng = random.Random(5)
    vocab = sorted(index.terms)
    words = [w for w in vocab if len(w) >= 5]
    probes = []
    for w in rng.sample(words, 60):
        i = rng.randrange(len(w))
        probes += [w, w[:i] + w[i + 1:], w[:i] + "x" + w[i:], w[:i] + "q" + w[i + 1:],
                   w[:i] + w[i + 1:i + 2] + w[i:i + 1] + w[i + 2:]]
    for probe in probes:
        budget = typo_budget(probe)
        expected = {t: d for t in vocab if t != probe and budget
                    and (d := distance(probe, t, budget)) <= budget}
        assert index.typo_terms(probe) == expected, probe




def _synthetic_rows(count: int, seed: int) -> list[dict[str, Any]]:
    """Public search documents of ``count`` records spread over countries, types,
    instruments and languages (no database needed)."""
    rng = random.Random(seed)
    countries = ["BRA", "FRA", "DEU", "EGY", "RUS", "CHN", "JPN", "MEX", "KEN", "IND"]
    designations = [("mutual_legal_assistance", "untoc", "18(13)"),
                    ("extradition", "untoc", "16"),
                    ("mutual_legal_assistance", "vienna_1988", "7(8)")]
    rows = []
    for k in range(count):
        chosen = rng.sample(designations, rng.randint(1, 2))
        record = make_record(
            ref=f"SYN-{k}", country=rng.choice(countries),
            name={"en": f"Ministry of Justice {rng.choice(['North', 'South', 'East'])}"},
            designations=[{**make_record()["designations"][0], "type": t, "instrument": i,
                           "article": a, "languages": rng.sample(["en", "fr", "es", "ar"],
                                                                 rng.randint(1, 3))}
                          for t, i, a in chosen])
        record.update(id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), version=1,
                      status="active")
        rows.append({**search_documents.public_document(record), "status": "active"})
    return rows


def test_facets_of_many_candidates_count_exactly() -> None:
    """Over ``FEW_CANDIDATES`` candidates the facets are counted by numpy (countries)
    and by a matrix of 64-bit words (types, instruments, languages): the same counts as
    going through the documents one by one, also after changes and removals."""
    rows = _synthetic_rows(1200, seed=11)
    index = memory.MemoryIndex(vocabulary())
    index.apply(rows)
    index.apply([{**rows[0], "country": "KEN", "version": 2}],
                gone=[uuid.UUID(r["id"]) for r in rows[1:40]])
    alive = {uuid.UUID(r["id"]): r for r in rows[40:]}
    alive[uuid.UUID(rows[0]["id"])] = {**rows[0], "country": "KEN"}

    def expected(keep: Any) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {"country": {}, "types": {}, "instruments": {},
                                          "languages": {}}
        for row in alive.values():
            if keep(row):
                out["country"][row["country"]] = out["country"].get(row["country"], 0) + 1
                for name in ("types", "instruments", "languages"):
                    for value in row[name]:
                        out[name][value] = out[name].get(value, 0) + 1
        return out

    everything = index.search(SearchQuery(q="", limit=5))
    assert everything.total == len(alive) > memory.FEW_CANDIDATES
    assert everything.facets == expected(lambda row: True)
    south = index.search(SearchQuery(q="south", limit=5))
    assert south.total > memory.FEW_CANDIDATES
    assert south.facets == expected(lambda row: "South" in row["name"]["en"])
    filtered = index.search(SearchQuery(q="justice", type="extradition", limit=5))
    assert filtered.facets == expected(lambda row: "extradition" in row["types"])


def test_bit_numbers_and_lowest_bits_of_sparse_and_dense_sets() -> None:
    rng = random.Random(3)
    for _ in range(400):
        size = rng.choice([1, 60, 5000, 100_000])
        members = set(rng.sample(range(size), rng.randint(0, min(size, rng.choice(
            [3, 40, 3000])))))
        bits = memory.to_bits(members)
        assert memory.bit_numbers(bits) == sorted(members)
        k = rng.randint(1, 40)
        assert memory.lowest_bits(bits, k) == sorted(members)[:k]


def test_searches_wait_while_changes_are_applied_and_the_event_loop_never_does() -> None:
    index = memory.MemoryIndex(vocabulary())
    index.apply(_synthetic_rows(20, seed=2))
    query = SearchQuery(q="ministry", limit=5)
    finished = threading.Event()

    def search_in_a_worker() -> None:
        index.search(query)
        finished.set()

    with index.lock.writing():
        assert index.try_search(query) is None  # the event loop falls back at once
        worker = threading.Thread(target=search_in_a_worker)
        worker.start()
        assert not finished.wait(0.3)  # a worker waits for the change to be applied
    worker.join(5)
    assert finished.is_set()
    # readers do not exclude each other: a search runs while another holds the index
    index.lock.acquire_read()
    try:
        result = index.try_search(query)
        assert result is not None and result.total == 20
    finally:
        index.lock.release_read()


def test_the_event_loop_answer_equals_the_worker_answer_and_reads_no_database(
        demo_client: TestClient) -> None:
    """Once the reference data and the hits' records are cached, the event-loop path
    answers without the database (an unbound session: any query would raise) and gives
    the very page the worker-thread path gives."""
    asked = [service.SearchRequest(q=q, countries=c, type=t, instrument=None,
                                   language=None, channel=None, kind=None, limit=10,
                                   offset=o, cursor=None)
             for q, c, t, o in [("ministry", (), None, None), ("Brasil", (), None, 0),
                                ("extradtion", ("fr", "BRA"), None, None),
                                ("Minis", (), "mutual_legal_assistance", 5),
                                ("", ("DEU",), None, None)]]
    engine = demo_client.app.state.search  # type: ignore[attr-defined]
    with Session(db_engine.get_engine()) as session:
        in_worker = [service.answer(session, ANONYMOUS, a, ["en"], engine) for a in asked]
    offline = Session()  # bound to no database
    on_loop = [asyncio.run(service.answer_at_once(offline, ANONYMOUS, a, ["en"], engine))
               for a in asked]
    assert all(page is not None and page["engine"] == "memory" for page in on_loop)
    assert [service.page_json(p) for p in on_loop if p is not None] == [
        service.page_json(p) for p in in_worker]
    assert any(p["total"] > 1 for p in in_worker)
    with pytest.raises(Problem):  # bad filters are refused the same way
        asyncio.run(service.answer_at_once(offline, ANONYMOUS, service.SearchRequest(
            q="x", countries=("XXX",), type=None, instrument=None, language=None,
            channel=None, kind=None, limit=10, offset=None, cursor=None), ["en"], engine))


def test_the_render_cache_is_warmed_at_start_so_first_searches_read_no_database(
        demo_client: TestClient) -> None:
    holder = _holder(demo_client)
    assert holder is not None and holder.warm_with is not None
    assert holder.warmed.wait(30)  # the application's start-up warmed it
    view, render = holder.warm_with
    assert view.value == "public"  # public reading is on: anonymous searches dominate
    index = holder.current()
    assert index is not None
    holder._clear_render_cache()
    assert holder.warm(view, render) == len(index.active) > 100
    asked = service.SearchRequest(q="Procuradoria", countries=(), type=None,
                                  instrument=None, language=None, channel=None, kind=None,
                                  limit=50, offset=None, cursor=None)
    with Session(db_engine.get_engine()) as session:
        load_reference_cached(session)  # read once a minute by any request
    engine = demo_client.app.state.search  # type: ignore[attr-defined]
    page = asyncio.run(service.answer_at_once(Session(), ANONYMOUS, asked, ["en"], engine))
    assert page is not None and page["hits"]
    assert all("contacts" not in json.loads(h["record_json"]) for h in page["hits"])


def test_no_warm_up_when_the_records_do_not_all_fit_in_the_render_cache(
        demo_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    holder = _holder(demo_client)
    assert holder is not None and holder.warm_with is not None
    assert holder.warmed.wait(30)
    monkeypatch.setattr(holder, "config", replace(
        holder.config, render_cache=100))  # fewer than the demo records
    holder._clear_render_cache()
    assert holder.warm(*holder.warm_with) == 0
    assert not holder.render_cache


def test_prefix_postings_are_kept_for_short_prefixes_and_follow_changes() -> None:
    def row(k: int, name: str) -> dict[str, Any]:
        record = make_record(ref=f"PFX-{k}", name={"en": name}, parent=None, acronym=None)
        record.update(id=str(uuid.UUID(int=k + 1, version=4)), version=1, status="active")
        return {**search_documents.public_document(record), "status": "active"}

    index = memory.MemoryIndex(vocabulary())
    index.apply([row(k, f"Zo{k}x Office") for k in range(70)])
    assert index.search(SearchQuery(q="zo", limit=100)).total == 70
    assert "zo" in index._prefixes  # 70 words: kept
    index.apply([row(500, "Zoltarin Office")])
    assert "zo" not in index._prefixes  # dropped with the change
    assert index.search(SearchQuery(q="zo", limit=100)).total == 71
    index.apply([], gone=[uuid.UUID(int=1, version=4)])
    result = index.search(SearchQuery(q="zo", limit=100))
    assert result.total == 70 and uuid.UUID(int=1, version=4) not in result.ids
    assert index.search(SearchQuery(q="zolt", limit=5)).total == 1


def _three_records(session: Session) -> None:
    from app.reference.data import reference_from_files
    from tests.conftest import store

    reference = reference_from_files()
    for n in range(3):
        store(session, reference, make_record(ref=f"BLD-{n}", name={"en": f"Brennic {n}"}))


def test_a_build_outlasting_the_sessions_idle_limit_still_completes(
        session: Session, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between fetches a build works in Python; a busy machine can make that longer than
    the idle-in-transaction limit of request sessions, which must not kill the build."""
    from sqlalchemy import create_engine

    _three_records(session)
    tight = create_engine(db_engine.normalise_url(db_url), connect_args={
        "options": "-c idle_in_transaction_session_timeout=200"})
    apply = memory.MemoryIndex.apply

    def slow_apply(self: memory.MemoryIndex, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)  # the work between two fetches, on a loaded machine
        return apply(self, *args, **kwargs)

    monkeypatch.setattr(memory, "LOAD_BATCH", 1)
    monkeypatch.setattr(memory.MemoryIndex, "apply", slow_apply)
    try:
        index = memory.build(tight, vocabulary())
    finally:
        tight.dispose()
    assert len(index.active) == 3


def test_a_failed_build_is_tried_again(session: Session, db_url: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.settings import get_settings
    from app.search.indexing import index_config

    _three_records(session)
    real_build = memory.build
    attempts: list[int] = []

    def flaky_build(engine: Any, vocab: Any) -> memory.MemoryIndex:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("the database went away")
        return real_build(engine, vocab)

    monkeypatch.setattr(memory, "build", flaky_build)
    monkeypatch.setattr(memory, "BUILD_RETRY_SECONDS", 0.05)
    config = replace(index_config(get_settings()), poll_seconds=0.05)
    engine = memory.MemoryEngine(db_engine.get_engine, config)
    holder = engine.start(db_engine.get_engine())
    try:
        assert holder.ready.wait(30)
        deadline = time.monotonic() + 30
        while holder.index is None:
            assert time.monotonic() < deadline, "the build was not tried again"
            time.sleep(0.02)
        assert len(attempts) == 2 and holder.error is None
        result = engine.search(SearchQuery(q="Brennic"))
        assert result.engine == "memory" and result.total == 3
    finally:
        engine.stop_all()
