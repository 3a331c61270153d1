"""The feed's guarantee under concurrent writers: 8 writer threads commit continuously while
3 consumers follow the feed from different starting points (the beginning, an export taken
before the writes, an export taken during them).  Each mirror ends equal to a fresh export,
with every change seen exactly once and in order."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.db import engine as db_engine
from app.reference.data import ReferenceData
from tests.conftest import store
from tests.test_sync_export import export
from tests.test_sync_feed import demo_records, key_for

WRITERS = 8
WRITES_EACH = 25


class Consumer:
    def __init__(self, name: str, mirror: dict[str, dict[str, Any]], cursor: str) -> None:
        self.name = name
        self.mirror = dict(mirror)
        self.start_versions = {i: r["version"] for i, r in mirror.items()}
        self.cursor = cursor
        self.cursors: list[int] = []
        self.versions: dict[str, list[int]] = {}
        self.error: BaseException | None = None

    def poll(self, client: TestClient, headers: dict[str, str]) -> int:
        response = client.get("/v1/changes", params={"after": self.cursor, "limit": 37},
                              headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        for item in page["items"]:
            self.cursors.append(int(item["cursor"]))
            self.versions.setdefault(item["id"], []).append(item["version"])
            self.mirror[item["id"]] = item["record"]
        self.cursor = page["next_cursor"]
        return len(page["items"])

    def run(self, client: TestClient, headers: dict[str, str], done: threading.Event) -> None:
        try:
            while True:
                writers_done = done.is_set()
                if self.poll(client, headers) == 0:
                    if writers_done:
                        return
                    time.sleep(0.02)
        except BaseException as exc:
            self.error = exc


def _writer(index: int, reference: ReferenceData, pool: list[dict[str, Any]],
            errors: list[BaseException]) -> None:
    try:
        with Session(db_engine.get_engine()) as session:
            for n in range(WRITES_EACH):
                base = pool[(index * 5 + n * 3) % len(pool)]
                if n % 6 == 5:  # a new record
                    data = {**base, "ref": f"W{index}-{n}", "notes": {"en": f"new {index}/{n}"}}
                    data.pop("id")
                elif n % 7 == 3:
                    data = {**base, "status": "withdrawn", "notes": {"en": f"w {index}/{n}"}}
                else:
                    data = {**base, "status": "active", "notes": {"en": f"u {index}/{n}"}}
                store(session, reference, data)
    except BaseException as exc:
        errors.append(exc)


def test_consumers_mirror_the_directory_exactly_under_concurrent_writers(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    pool = demo_records(40)
    for record in pool:
        store(session, reference, record)
    headers = key_for(Role.official)

    before, before_cursor = export(client, headers)
    consumers = [Consumer("from the beginning", {}, "0"),
                 Consumer("from an export before the writes",
                          {r["id"]: r for r in before}, before_cursor)]
    done = threading.Event()
    errors: list[BaseException] = []
    writers = [threading.Thread(target=_writer, args=(i, reference, pool, errors))
               for i in range(WRITERS)]
    for w in writers:
        w.start()
    threads = [threading.Thread(target=c.run, args=(client, headers, done)) for c in consumers]
    for t in threads:
        t.start()

    time.sleep(0.3)  # let the writers get going, then export in the middle of the writes
    during, during_cursor = export(client, headers)
    late = Consumer("from an export during the writes", {r["id"]: r for r in during},
                    during_cursor)
    consumers.append(late)
    late_thread = threading.Thread(target=late.run, args=(client, headers, done))
    late_thread.start()

    for w in writers:
        w.join(timeout=120)
    done.set()
    for t in [*threads, late_thread]:
        t.join(timeout=60)
    assert not errors, errors
    assert int(during_cursor) > int(before_cursor), "the export ran during the writes"

    final, final_cursor = export(client, headers)
    expected = {r["id"]: r for r in final}
    changes = WRITERS * WRITES_EACH
    assert len(expected) == len(pool) + WRITERS * (WRITES_EACH // 6)
    for consumer in consumers:
        assert consumer.error is None, (consumer.name, consumer.error)
        assert consumer.cursor == final_cursor, consumer.name
        assert consumer.cursors == sorted(set(consumer.cursors)), \
            f"{consumer.name}: a change came twice or out of order"
        assert consumer.mirror == expected, consumer.name
        for authority_id, versions in consumer.versions.items():
            first = consumer.start_versions.get(authority_id, 0) + 1
            assert versions == list(range(first, expected[authority_id]["version"] + 1)), \
                f"{consumer.name}: {authority_id} missed or repeated a version"
    assert len(consumers[0].cursors) == len(pool) + changes
    assert len(consumers[1].cursors) == changes
