"""The change feed: entries, cursors, views and scopes, long polls, ETag/304, and the
commit-order guarantee when sequence values are taken out of commit order."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.authorities.schemas import validate_record
from app.authorities.service import save_record
from app.db import engine as db_engine
from app.reference.data import ReferenceData
from tests.conftest import TEST_ACTOR, make_record, settings_env, store

DEMO_FILE = Path(__file__).resolve().parents[1] / "seed_data" / "demo" / "authorities.ndjson"


def demo_records(count: int) -> list[dict[str, Any]]:
    """The first ``count`` fictional demo records (several countries)."""
    lines = DEMO_FILE.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines[:count]]


def key_for(role: Role, countries: list[str] | None = None) -> dict[str, str]:
    with Session(db_engine.get_engine()) as s:
        key, _ = create_key(s, role, countries=countries)
        s.commit()
    return {"Authorization": f"Bearer {key}"}


def feed(client: TestClient, after: str | None = None, headers: dict[str, str] | None = None,
         **params: Any) -> dict[str, Any]:
    query = dict(params)
    if after is not None:
        query["after"] = after
    response = client.get("/v1/changes", params=query, headers=headers or {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_entries_carry_cursor_op_id_version_time_and_record(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    first = store(session, reference, make_record()).authority
    store(session, reference, make_record(notes={"en": "changed"}))
    store(session, reference, make_record(ref="BRA-OTHER", acronym="OTH"))
    store(session, reference, make_record(status="withdrawn"))

    page = feed(client, headers=key_for(Role.official))
    items = page["items"]
    assert [(i["id"] == str(first.id), i["version"], i["op"]) for i in items] == [
        (True, 1, "upsert"), (True, 2, "upsert"), (False, 1, "upsert"), (True, 3, "withdraw")]
    assert [int(i["cursor"]) for i in items] == sorted(int(i["cursor"]) for i in items)
    assert page["next_cursor"] == items[-1]["cursor"] and page["has_more"] is False
    assert items[1]["record"]["notes"] == {"en": "changed"}
    assert items[1]["record"]["version"] == 2
    tombstone = items[3]["record"]
    assert tombstone["status"] == "withdrawn" and tombstone["id"] == str(first.id)
    assert list(items[0]["record"])[:4] == ["id", "ref", "country", "kind"]
    assert items[0]["at"].endswith("Z")


def test_paging_and_an_empty_page_returns_the_same_cursor(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    for i in range(5):
        store(session, reference, make_record(ref=f"BRA-{i}"))
    first = feed(client, limit=2)
    assert len(first["items"]) == 2 and first["has_more"] is True
    second = feed(client, first["next_cursor"], limit=2)
    third = feed(client, second["next_cursor"], limit=2)
    assert third["has_more"] is False and len(third["items"]) == 1
    refs = [i["record"]["ref"] for p in (first, second, third) for i in p["items"]]
    assert refs == [f"BRA-{i}" for i in range(5)]
    empty = feed(client, third["next_cursor"])
    assert empty == {"items": [], "next_cursor": third["next_cursor"], "has_more": False}


def test_anonymous_callers_get_the_public_view(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    store(session, reference, make_record())
    public = feed(client)["items"][0]["record"]
    assert "contacts" not in public
    assert all(not p["restricted"] for p in public["phones"])
    assert "internal@drci.example.org" not in json.dumps(public)
    full = feed(client, headers=key_for(Role.official))["items"][0]["record"]
    assert full["contacts"][0]["name"] == "Duty officer"
    assert any(p["restricted"] for p in full["phones"])


def test_anonymous_callers_are_refused_when_public_reading_is_off(
        client: TestClient, monkeypatch: Any) -> None:
    from app.core.settings import get_settings
    monkeypatch.setenv("CNA_PUBLIC_READ", "false")
    get_settings.cache_clear()
    try:
        response = client.get("/v1/changes")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
    finally:
        monkeypatch.delenv("CNA_PUBLIC_READ")
        get_settings.cache_clear()


def test_a_network_key_scoped_to_countries_gets_only_those(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    records = demo_records(30)
    countries = sorted({r["country"] for r in records})
    assert len(countries) >= 3
    for record in records:
        store(session, reference, record)
    scope = countries[:2]
    scoped = key_for(Role.network, countries=scope)
    page = feed(client, headers=scoped, limit=1000)
    assert {i["record"]["country"] for i in page["items"]} == set(scope)
    expected = sum(1 for r in records if r["country"] in scope)
    assert len(page["items"]) == expected
    # Changes outside the scope move the cursor on without showing anything.
    head = feed(client, headers=key_for(Role.official), limit=1000)["next_cursor"]
    assert page["next_cursor"] == head
    outside = next(r for r in records if r["country"] not in scope)
    store(session, reference, {**outside, "notes": {"en": "out of scope"}})
    later = feed(client, page["next_cursor"], headers=scoped)
    assert later["items"] == [] and int(later["next_cursor"]) > int(head)


def test_bad_and_future_cursors_are_problems(client: TestClient, session: Session,
                                             reference: ReferenceData) -> None:
    store(session, reference, make_record())
    for bad in ("abc", "-1", "1.5", "９"):
        response = client.get("/v1/changes", params={"after": bad})
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["pointer"] == "/query/after"
    ahead = client.get("/v1/changes", params={"after": "999999"})
    assert ahead.status_code == 422
    assert "ahead" in ahead.json()["detail"]


def test_etag_and_304_on_the_feed(client: TestClient, session: Session,
                                  reference: ReferenceData) -> None:
    store(session, reference, make_record())
    first = client.get("/v1/changes")
    etag = first.headers["etag"]
    again = client.get("/v1/changes", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    store(session, reference, make_record(notes={"en": "new"}))
    changed = client.get("/v1/changes", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and len(changed.json()["items"]) == 2


def test_long_poll_answers_when_a_change_commits(client: TestClient, session: Session,
                                                 reference: ReferenceData) -> None:
    store(session, reference, make_record())
    cursor = feed(client)["next_cursor"]

    def write_later() -> None:
        time.sleep(0.6)
        with Session(db_engine.get_engine()) as s:
            store(s, reference, make_record(notes={"en": "while waiting"}))

    writer = threading.Thread(target=write_later)
    started = time.monotonic()
    writer.start()
    page = feed(client, cursor, wait=10)
    elapsed = time.monotonic() - started
    writer.join()
    assert [i["record"]["notes"] for i in page["items"]] == [{"en": "while waiting"}]
    assert 0.5 < elapsed < 5

    started = time.monotonic()
    idle = feed(client, page["next_cursor"], wait=0.5)
    assert idle["items"] == [] and idle["next_cursor"] == page["next_cursor"]
    assert time.monotonic() - started >= 0.45


def test_a_change_whose_sequence_value_is_older_is_not_skipped(
        client: TestClient, reference: ReferenceData) -> None:
    """Transaction A takes its sequence value first but commits after B.  A reader that saw
    B must still get A after B's cursor: the feed is in commit order."""
    engine = db_engine.get_engine()
    with Session(engine) as a, Session(engine) as b:
        save_record(a, validate_record(make_record(ref="BRA-A", acronym="A"), reference),
                    TEST_ACTOR)  # flushed: its change row holds a sequence value, uncommitted
        save_record(b, validate_record(make_record(ref="BRA-B", acronym="B"), reference),
                    TEST_ACTOR)
        b.commit()
        seen = feed(client)
        assert [i["record"]["ref"] for i in seen["items"]] == ["BRA-B"]
        a.commit()
    after = feed(client, seen["next_cursor"])
    assert [i["record"]["ref"] for i in after["items"]] == ["BRA-A"]
    everything = feed(client)
    assert [i["record"]["ref"] for i in everything["items"]] == ["BRA-B", "BRA-A"]


def _statements_for_long_polls(waiters: int, wait: float) -> tuple[int, Any]:
    """Statements the service runs while ``waiters`` anonymous clients long-poll an idle
    feed for ``wait`` seconds, and the application's feed watcher."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import event

    from app.main import create_app

    count = 0

    def record(*args: Any) -> None:
        nonlocal count
        count += 1

    engine = db_engine.get_engine()
    # No in-process search index: its poller would run statements of its own.
    with settings_env(CNA_SEARCH_ENGINE="postgres"), TestClient(app := create_app()) as client:
        cursor = feed(client)["next_cursor"]
        event.listen(engine, "before_cursor_execute", record)
        try:
            with ThreadPoolExecutor(max_workers=waiters) as pool:
                pages = list(pool.map(lambda _: feed(client, cursor, wait=wait),
                                      range(waiters)))
        finally:
            event.remove(engine, "before_cursor_execute", record)
        watcher = getattr(app.state, "feed_watcher", None)
    assert all(page["items"] == [] and page["next_cursor"] == cursor for page in pages)
    return count, watcher


def _statements_for_one_page_read() -> int:
    """Statements of one read of the page at the head, as a long poll starts with (a
    request without ``wait`` at the head is answered from the head alone)."""
    from sqlalchemy import event

    from app.authorities.documents import View
    from app.sync.service import read_feed, read_head

    engine = db_engine.get_engine()
    head = read_head(engine)
    count = 0

    def record(*args: Any) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", record)
    try:
        read_feed(engine, head, 100, View.public, None)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return count


def test_waiting_clients_share_one_watcher(db_url: str, session: Session,
                                           reference: ReferenceData) -> None:
    """20 clients long-polling an idle feed cost about what one does: each reads its page
    once, then they all wait on one watcher of the process."""
    store(session, reference, make_record())
    one_read = _statements_for_one_page_read()
    one, _ = _statements_for_long_polls(1, wait=2)
    twenty, watcher = _statements_for_long_polls(20, wait=2)
    one -= one_read
    twenty -= 20 * one_read
    assert one > 0
    assert twenty <= 2 * one + 5, (one, twenty)
    assert watcher is not None and not watcher.running, "the watcher stops with the app"


def test_a_long_poll_with_a_key_holds_no_connection_while_it_waits(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    """The key is checked on the request's session; its connection goes back to the pool
    before the wait, not after it (waiting key holders would otherwise drain the pool)."""
    from sqlalchemy import text

    store(session, reference, make_record())
    key = create_key(session, Role.network)[0]
    session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    cursor = feed(client, headers=headers)["next_cursor"]
    watcher = client.app.state.feed_watcher  # type: ignore[attr-defined]
    polled: dict[str, Any] = {}
    poll = threading.Thread(target=lambda: polled.update(
        feed(client, cursor, headers=headers, wait=5)))
    poll.start()
    deadline = time.monotonic() + 10
    while watcher._waiting == 0:  # the request has reached its wait
        assert time.monotonic() < deadline, "the long poll never started waiting"
        time.sleep(0.01)
    idle_in_transaction = session.execute(text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state = 'idle in transaction' AND pid <> pg_backend_pid()")).scalar_one()
    session.rollback()
    store(session, reference, make_record(ref="WAKE"))  # wakes the poll
    poll.join(15)
    assert idle_in_transaction == 0
    assert [item["record"]["ref"] for item in polled["items"]] == ["WAKE"]
