"""The export's body (app/sync/export.py) against the path it replaced: the same bytes.

The previous path read each revision as JSONB parsed by the driver, shaped it with
``view_of`` and wrote it with ``json.dumps(ensure_ascii=False, separators=(",", ":"))``,
one chunk per record; the CSV through ``to_csv``.  These tests rebuild that output from
the database and compare it byte for byte with `GET /v1/export`, for the public and the
full view and a country-scoped key, withdrawn records and awkward strings included, with
blocks small enough that records straddle them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.access.principal import Role
from app.authorities.documents import View, view_of
from app.authorities.transfer import ndjson_lines, to_csv
from app.reference.data import ReferenceData
from app.sync import export, service
from tests.conftest import make_record, store
from tests.test_sync_feed import demo_records, key_for

AWKWARD = ("Quote \" backslash \\ slash / tab\t newline\n return\r bell\x07 del\x7f "
           "separators \u2028\u2029 emoji 😀 Arabic عربي Chinese 中文 nbsp\u00a0 bom\ufeff")


def previous_documents(session: Session, view: View,
                       countries: list[str] | None = None) -> list[dict[str, Any]]:
    """The records as the previous path read them: JSONB parsed by the driver."""
    where = "WHERE a.country = ANY(:countries)" if countries is not None else ""
    rows = session.execute(text(f"""
        SELECT r.document FROM authorities a
        JOIN revisions r ON r.authority_id = a.id AND r.version = a.version
        {where} ORDER BY a.country, a.id"""), {"countries": countries}).scalars()
    return [view_of(document, view) for document in rows]


def previous_ndjson(documents: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n"
                   for d in documents).encode("utf-8")


def previous_csv(documents: list[dict[str, Any]]) -> bytes:
    return "".join(to_csv(documents)).encode("utf-8")


@pytest.fixture
def directory(session: Session, reference: ReferenceData,
              monkeypatch: pytest.MonkeyPatch) -> None:
    """Demo records of several countries, one with contacts and restricted entries, one
    withdrawn (a tombstone), one full of awkward strings; blocks of about 2 KB."""
    store(session, reference, make_record())
    for record in demo_records(20):
        store(session, reference, record)
    store(session, reference, {**demo_records(1)[0], "status": "withdrawn"})
    store(session, reference, make_record(ref="BRA-AWKWARD"))
    # Strings validation would refuse (control characters), stored as if they got past it.
    session.execute(text("""
        UPDATE revisions SET document = document
            || jsonb_build_object('name', CAST(:name AS jsonb), 'notes', CAST(:notes AS jsonb))
        WHERE document->>'ref' = 'BRA-AWKWARD'"""),
        {"name": json.dumps({"en": AWKWARD, "pt": AWKWARD[::-1]}),
         "notes": json.dumps({"en": AWKWARD, "ar": "ملاحظة\u200f"})})
    session.commit()
    monkeypatch.setattr(export, "BLOCK_BYTES", 2048)


@pytest.mark.usefixtures("directory")
@pytest.mark.parametrize("who", ["public", "full", "scoped"])
def test_the_export_is_byte_for_byte_the_previous_path(
        client: TestClient, session: Session, who: str) -> None:
    headers = {"public": {}, "full": key_for(Role.official),
               "scoped": key_for(Role.network, countries=["BRA", "FRA"])}[who]
    view = View.public if who == "public" else View.full
    countries = ["BRA", "FRA"] if who == "scoped" else None
    expected = previous_documents(session, view, countries)
    assert len(expected) >= (2 if who == "scoped" else 22)
    assert any(d["status"] == "withdrawn" for d in expected) or who == "scoped"
    if who == "public":
        assert all("contacts" not in d for d in expected)

    ndjson = client.get("/v1/export", headers=headers)
    assert ndjson.status_code == 200
    assert ndjson.content == previous_ndjson(expected)
    assert AWKWARD.encode("utf-8") not in ndjson.content  # escaped as JSON, not raw
    assert json.loads(ndjson.content.splitlines()[0]) == expected[0]

    csv = client.get("/v1/export", params={"format": "csv"}, headers=headers)
    assert csv.status_code == 200
    assert csv.content == previous_csv(expected)


@pytest.mark.usefixtures("directory")
def test_a_filtered_export_is_the_previous_path_too(client: TestClient,
                                                    session: Session) -> None:
    expected = previous_documents(session, View.public, ["BRA"])
    response = client.get("/v1/export", params={"country": "BR"})
    assert response.content == previous_ndjson(expected)
    assert {d["ref"] for d in expected} >= {"BRA-DRCI", "BRA-AWKWARD"}


def test_lines_are_what_json_dumps_writes_even_where_orjson_refuses() -> None:
    documents: list[dict[str, Any]] = [
        {"id": "x", "text": AWKWARD, "nested": [{"b": None, "a": True}]},
        {"beyond_64_bits": 2**70, "negative": -(2**65), "text": "é"},
        {}]
    assert b"".join(ndjson_lines(documents)) == previous_ndjson(documents)


def test_blocks_keep_every_byte_in_order_and_hold_about_their_size() -> None:
    chunks = [bytes([65 + i % 26]) * (i % 7 + 1) for i in range(200)]
    out = list(export.blocks(iter(chunks), size=16))
    assert b"".join(out) == b"".join(chunks)
    assert all(16 <= len(block) < 16 + 7 for block in out[:-1])
    assert 0 < len(out[-1]) < 16 + 7
    assert list(export.blocks(iter([]), size=16)) == []


def test_a_304_takes_no_snapshot_and_ends_when_the_log_moves(
        client: TestClient, session: Session, reference: ReferenceData,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store(session, reference, make_record())
    official = key_for(Role.official)
    first = client.get("/v1/export", params={"country": "BRA"}, headers=official)
    etag = first.headers["etag"]

    def no_snapshot(*args: object) -> None:
        raise AssertionError("a 304 opened a snapshot")

    with monkeypatch.context() as patch:
        patch.setattr(service, "Snapshot", no_snapshot)
        cached = client.get("/v1/export", params={"country": "BRA"},
                            headers={**official, "If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["etag"] == etag
    assert cached.headers["cna-feed-cursor"] == first.headers["cna-feed-cursor"]
    # Another view or format of the same snapshot is another validator.
    assert client.get("/v1/export", params={"country": "BRA"},
                      headers={"If-None-Match": etag}).status_code == 200
    assert client.get("/v1/export", params={"country": "BRA", "format": "csv"},
                      headers={**official, "If-None-Match": etag}).status_code == 200
    store(session, reference, make_record(notes={"en": "changed"}))
    moved = client.get("/v1/export", params={"country": "BRA"},
                       headers={**official, "If-None-Match": etag})
    assert moved.status_code == 200 and moved.headers["etag"] != etag
    assert [json.loads(line)["notes"] for line in moved.text.splitlines()] == [
        {"en": "changed"}]
