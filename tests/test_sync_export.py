"""The snapshot export: NDJSON and CSV, filters, views, the feed cursor it carries, ETag/304."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.reference.data import ReferenceData
from tests.conftest import make_record, store
from tests.test_sync_feed import demo_records, feed, key_for


def export(client: TestClient, headers: dict[str, str] | None = None,
           **params: Any) -> tuple[list[dict[str, Any]], str]:
    response = client.get("/v1/export", params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in response.text.splitlines()]
    return records, response.headers["cna-feed-cursor"]


def test_export_streams_every_record_with_the_feed_cursor(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    for record in demo_records(12):
        store(session, reference, record)
    store(session, reference, {**demo_records(1)[0], "status": "withdrawn"})
    official = key_for(Role.official)
    records, cursor = export(client, official)
    assert len(records) == 12
    assert [(r["country"], r["id"]) for r in records] == sorted(
        (r["country"], r["id"]) for r in records)
    assert sum(r["status"] == "withdrawn" for r in records) == 1
    assert cursor == feed(client, headers=official, limit=1000)["next_cursor"]
    assert list(records[0])[:4] == ["id", "ref", "country", "kind"]
    # The same documents as the read API.
    one = client.get(f"/v1/authorities/{records[0]['id']}", headers=official).json()
    assert one == records[0]


def test_export_filters_by_country_and_updated_since(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    records = demo_records(12)
    for record in records:
        store(session, reference, record)
    country = records[0]["country"]
    by_country, _ = export(client, country=country)
    assert by_country and {r["country"] for r in by_country} == {country}
    assert len(by_country) == sum(r["country"] == country for r in records)
    moment = datetime.now(UTC)
    store(session, reference, {**records[3], "notes": {"en": "touched"}})
    recent, _ = export(client, updated_since=moment.isoformat())
    assert [r["id"] for r in recent] == [records[3]["id"]]
    bad = client.get("/v1/export", params={"country": "XXX"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/query/country/0"


def test_export_views_and_network_scope(client: TestClient, session: Session,
                                        reference: ReferenceData) -> None:
    store(session, reference, make_record())
    for record in demo_records(12):
        store(session, reference, record)
    public, _ = export(client, country="BRA")
    assert all("contacts" not in r for r in public)
    assert "internal@drci.example.org" not in json.dumps(public)
    full, _ = export(client, key_for(Role.official), country="BRA")
    assert any(r.get("contacts") for r in full)
    scoped, _ = export(client, key_for(Role.network, countries=["BRA"]))
    assert scoped and {r["country"] for r in scoped} == {"BRA"}
    outside, _ = export(client, key_for(Role.network, countries=["BRA"]), country="FRA")
    assert outside == []


def test_csv_export_has_one_row_per_designation(client: TestClient, session: Session,
                                                reference: ReferenceData) -> None:
    records = demo_records(6)
    for record in records:
        store(session, reference, record)
    response = client.get("/v1/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cna-feed-cursor"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == sum(max(1, len(r["designations"])) for r in records)


def test_export_etag_gives_304_until_something_changes(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    store(session, reference, make_record())
    first = client.get("/v1/export")
    etag = first.headers["etag"]
    cached = client.get("/v1/export", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    other_filter = client.get("/v1/export", params={"country": "BRA"},
                              headers={"If-None-Match": etag})
    assert other_filter.status_code == 200
    store(session, reference, make_record(notes={"en": "changed"}))
    after = client.get("/v1/export", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag


def test_cli_export_reads_one_snapshot_and_reports_its_cursor(
        client: TestClient, session: Session, reference: ReferenceData, db_url: str,
        tmp_path: Any) -> None:
    from tests.test_import_export import _cli

    for record in demo_records(12):
        store(session, reference, record)
    api_records, api_cursor = export(client, key_for(Role.official), country="BRA")
    cursor_file = tmp_path / "cursor"
    result = _cli(["export", "--country", "BR", "--cursor-file", str(cursor_file)], db_url)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == api_records
    assert cursor_file.read_text().strip() == api_cursor
    assert f"Feed cursor: {api_cursor}" in result.stderr
    unknown = _cli(["export", "--country", "XX"], db_url)
    assert unknown.returncode == 2 and "XX" in unknown.stderr
