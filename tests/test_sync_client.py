"""The reference sync client: snapshot, then the feed into a local mirror; it resumes."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.reference.data import ReferenceData
from app.sync.client import Mirror, sync
from tests.conftest import store
from tests.test_sync_export import export
from tests.test_sync_feed import demo_records, key_for


def test_sync_takes_a_snapshot_then_follows_and_resumes(
        client: TestClient, session: Session, reference: ReferenceData,
        tmp_path: Path) -> None:
    records = demo_records(20)
    for record in records[:12]:
        store(session, reference, record)
    headers = key_for(Role.network, countries=[records[0]["country"], records[5]["country"]])
    client.headers.update(headers)
    first = sync(client, tmp_path)
    assert first.exported > 0 and first.changes == 0

    for record in records[12:]:
        store(session, reference, record)
    for record in records[:6]:
        store(session, reference, {**record, "status": "withdrawn"})
    second = sync(client, tmp_path)
    assert second.exported == 0, "resumed from the stored cursor, no new export"
    expected, cursor = export(client, headers)
    assert second.cursor == cursor
    mirror = Mirror(tmp_path)
    try:
        assert mirror.documents() == {r["id"]: r for r in expected}
        assert mirror.get("cursor") == cursor
    finally:
        mirror.close()
    third = sync(client, tmp_path)
    assert (third.exported, third.changes, third.cursor) == (0, 0, cursor)
