"""Validated writes, optimistic concurrency, history and proposals."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy import text as sqltext
from sqlmodel import Session, select

from app.access.principal import Role
from app.access.service import create_key
from app.authorities.transfer import import_records, parse_records
from app.changes.models import Change, Revision
from app.reference.data import ReferenceData
from tests.conftest import TEST_ACTOR, make_record


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    key, _ = create_key(session, Role.secretariat)
    session.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def focal_bra(session: Session) -> dict[str, str]:
    key, _ = create_key(session, Role.focal_point, countries=["BRA"])
    session.commit()
    return {"Authorization": f"Bearer {key}"}


def _create(client: TestClient, admin: dict[str, str], **overrides: Any) -> httpx.Response:
    response = client.post("/v1/authorities", headers=admin, json=make_record(**overrides))
    assert response.status_code == 201, response.text
    return response


def _changes(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Change)) or 0


def test_create_returns_the_record_with_etag_and_location(client: TestClient,
                                                          admin: dict[str, str]) -> None:
    response = _create(client, admin)
    body = response.json()
    assert response.headers["location"] == f"/v1/authorities/{body['id']}"
    assert response.headers["etag"] == '"1-full"'
    assert body["version"] == 1 and body["phones"][1]["number"] == "+556120253009"
    assert client.get(f"/v1/authorities/{body['id']}").json()["name"] == body["name"]


def test_create_twice_is_a_conflict(client: TestClient, admin: dict[str, str]) -> None:
    _create(client, admin)
    again = client.post("/v1/authorities", headers=admin, json=make_record())
    assert again.status_code == 409


def test_api_and_import_give_the_same_errors_for_the_same_input(
        client: TestClient, admin: dict[str, str], session: Session,
        reference: ReferenceData) -> None:
    bad = make_record(country="BRA", website="ftp://x.example.org")
    bad["phones"][0]["number"] = "12"
    bad["designations"][0]["article"] = "16"
    response = client.post("/v1/authorities", headers=admin, json=bad)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    api_errors = [(e["pointer"], e["detail"]) for e in response.json()["errors"]]
    report = import_records(session, parse_records(json.dumps(bad)), reference, TEST_ACTOR)
    session.rollback()
    import_errors = [(e.pointer, e.message) for e in report.errors[0].errors]
    assert api_errors == import_errors
    assert {p for p, _ in api_errors} == {"/website", "/phones/0/number",
                                          "/designations/0/type"}
    assert _changes(session) == 0


def test_invalid_json_body_is_a_400_problem(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/v1/authorities", headers={**admin,
                                                       "Content-Type": "application/json"},
                           content=b"{not json")
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_put_needs_if_match_and_refuses_a_stale_one(client: TestClient,
                                                    admin: dict[str, str],
                                                    session: Session) -> None:
    created = _create(client, admin).json()
    url = f"/v1/authorities/{created['id']}"
    changed = make_record(acronym="NEW")
    assert client.put(url, headers=admin, json=changed).status_code == 428
    ok = client.put(url, headers={**admin, "If-Match": '"1-full"'}, json=changed)
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 2 and ok.headers["etag"] == '"2-full"'
    stale = client.put(url, headers={**admin, "If-Match": '"1-full"'},
                       json=make_record(acronym="LOST"))
    assert stale.status_code == 412
    assert client.get(url).json()["acronym"] == "NEW"
    garbage = client.put(url, headers={**admin, "If-Match": "whatever"}, json=changed)
    assert garbage.status_code == 412
    assert _changes(session) == 2


def test_put_with_another_id_in_the_body_is_rejected(client: TestClient,
                                                     admin: dict[str, str]) -> None:
    created = _create(client, admin).json()
    other = make_record(id="5f0c2a8e-8a4b-4f7e-9a55-1d3c2b7e9f10")
    response = client.put(f"/v1/authorities/{created['id']}",
                          headers={**admin, "If-Match": '"1-full"'}, json=other)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/id"


def test_patch_is_a_json_merge_patch(client: TestClient, admin: dict[str, str]) -> None:
    created = _create(client, admin).json()
    url = f"/v1/authorities/{created['id']}"
    patch = {"acronym": None, "name": {"fr": "Département"}, "address": {"locality": "Rio"}}
    response = client.patch(url, headers={**admin, "If-Match": '"1-full"',
                                          "Content-Type": "application/merge-patch+json"},
                            content=json.dumps(patch))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["acronym"] is None
    assert body["name"]["fr"] == "Département" and "pt" in body["name"]
    assert body["address"]["locality"] == "Rio"
    assert body["address"]["lines"] == ["Esplanada dos Ministérios, Bloco T"]
    bad = client.patch(url, headers={**admin, "If-Match": '"2-full"'},
                       json={"designations": [{"type": "extradition", "instrument": "untoc",
                                               "article": "18(13)"}]})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/designations/0/type"
    assert client.get(url).json()["version"] == 2


def test_withdraw_keeps_a_tombstone_with_the_reason(client: TestClient,
                                                    admin: dict[str, str]) -> None:
    created = _create(client, admin).json()
    url = f"/v1/authorities/{created['id']}"
    response = client.post(f"{url}/withdraw", headers=admin,
                           json={"reason": "Notification C.N.1.2026"})
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert client.get(url).json()["status"] == "withdrawn"
    assert client.get("/v1/authorities").json()["items"] == []
    history = client.get(f"{url}/history", headers=admin).json()["versions"]
    assert history[-1]["reason"] == "Notification C.N.1.2026"
    assert {"path": "/status", "old": "active", "new": "withdrawn"} in history[-1]["changes"]
    public = client.get(f"{url}/history").json()["versions"]  # the change, not the reason
    assert (public[-1]["changes"], public[-1]["reason"]) == (history[-1]["changes"], None)
    assert client.post(f"{url}/withdraw", headers=admin, json={}).status_code == 422


def test_every_version_is_kept_exactly(client: TestClient, admin: dict[str, str]) -> None:
    created = _create(client, admin)
    url = f"/v1/authorities/{created.json()['id']}"
    returned = {1: created.json()}
    for n in range(2, 21):
        response = client.patch(url, headers={**admin, "If-Match": f'"{n - 1}-full"'},
                                json={"acronym": f"V{n}", "notes": {"en": f"change {n}"}},
                                params={"reason": f"write {n}"})
        assert response.status_code == 200, response.text
        returned[n] = response.json()
    for n, expected in returned.items():
        assert client.get(f"{url}/versions/{n}", headers=admin).json() == expected
    history = client.get(f"{url}/history", headers=admin).json()["versions"]
    assert [v["version"] for v in history] == list(range(1, 21))
    assert history[5]["reason"] == "write 6"
    assert history[5]["actor"].startswith("key:") and history[5]["role"] == "secretariat"
    assert {c["path"] for c in history[5]["changes"]} == {"/acronym", "/notes/en"}
    assert client.get(f"{url}/versions/21").status_code == 404


def test_history_and_versions_are_redacted_for_anonymous(client: TestClient,
                                                         admin: dict[str, str]) -> None:
    created = _create(client, admin).json()
    url = f"/v1/authorities/{created['id']}"
    client.patch(url, headers={**admin, "If-Match": '"1-full"'},
                 json={"contacts": [{"name": "Maria Secret", "phones": [],
                                     "emails": [{"address": "maria@drci.example.org"}]}]})
    for path in (f"{url}/history", f"{url}/versions/1", f"{url}/versions/2"):
        text = client.get(path).text
        assert "Maria Secret" not in text and "Duty officer" not in text, path
        assert "+556120253009" not in text and "internal@drci" not in text, path
    assert "Maria Secret" in client.get(f"{url}/history", headers=admin).text


# --------------------------------------------------------------------------- concurrency


@pytest.fixture
def live_server(db_url: str) -> Iterator[str]:
    """The app served by uvicorn on a loopback port, in a thread."""
    from app.main import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_ten_concurrent_puts_with_one_etag_make_exactly_one_version(
        live_server: str, admin: dict[str, str], session: Session) -> None:
    with httpx.Client(base_url=live_server, timeout=30) as http:
        created = http.post("/v1/authorities", headers=admin, json=make_record())
        assert created.status_code == 201
        url = f"/v1/authorities/{created.json()['id']}"
        barrier = threading.Barrier(10)

        def put(n: int) -> int:
            barrier.wait()
            return http.put(url, headers={**admin, "If-Match": '"1-full"'},
                            json=make_record(acronym=f"W{n}")).status_code

        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = sorted(pool.map(put, range(10)))
        assert statuses == [200] + [412] * 9
        versions = session.scalars(select(Revision.version)).all()
        assert sorted(versions) == [1, 2]
        assert http.get(url).json()["version"] == 2


# --------------------------------------------------------------------------- proposals


def test_focal_point_proposes_for_its_own_country_only(
        client: TestClient, admin: dict[str, str], focal_bra: dict[str, str]) -> None:
    mine = client.post("/v1/proposals", headers=focal_bra,
                       json={"action": "create", "record": make_record(ref="NEW-BRA"),
                             "reason": "new designation notified"})
    assert mine.status_code == 201, mine.text
    assert mine.json()["status"] == "pending" and mine.json()["country"] == "BRA"
    other = client.post("/v1/proposals", headers=focal_bra,
                        json={"action": "create", "record": make_record(
                            country="FRA", ref="X", phones=[], emails=[],
                            time_zone="Europe/Paris")})
    assert other.status_code == 403
    invalid = client.post("/v1/proposals", headers=focal_bra,
                          json={"action": "create", "record": make_record(country="XXX")})
    assert invalid.status_code == 422
    assert client.get("/v1/authorities").json()["items"] == []


def test_approval_applies_the_proposal(client: TestClient, admin: dict[str, str],
                                       focal_bra: dict[str, str]) -> None:
    created = _create(client, admin).json()
    proposal = client.post("/v1/proposals", headers=focal_bra, json={
        "action": "update", "authority_id": created["id"], "base_version": 1,
        "record": make_record(acronym="PROP")}).json()
    pending = client.get("/v1/proposals?status=pending", headers=admin).json()["items"]
    assert [p["id"] for p in pending] == [proposal["id"]]
    decided = client.post(f"/v1/proposals/{proposal['id']}/approve", headers=admin,
                          json={"comment": "confirmed by note verbale"})
    assert decided.status_code == 200
    assert decided.json()["status"] == "approved" and decided.json()["result_version"] == 2
    record = client.get(f"/v1/authorities/{created['id']}").json()
    assert (record["acronym"], record["version"]) == ("PROP", 2)
    again = client.post(f"/v1/proposals/{proposal['id']}/approve", headers=admin,
                        json={"comment": "twice"})
    assert again.status_code == 409
    mine = client.get(f"/v1/proposals/{proposal['id']}", headers=focal_bra).json()
    assert mine["status"] == "approved"


def test_a_proposal_on_a_moved_record_becomes_stale(client: TestClient, admin: dict[str, str],
                                                    focal_bra: dict[str, str]) -> None:
    created = _create(client, admin).json()
    url = f"/v1/authorities/{created['id']}"
    proposal = client.post("/v1/proposals", headers=focal_bra, json={
        "action": "withdraw", "authority_id": created["id"], "base_version": 1}).json()
    client.patch(url, headers={**admin, "If-Match": '"1-full"'}, json={"acronym": "MOVED"})
    decided = client.post(f"/v1/proposals/{proposal['id']}/approve", headers=admin,
                          json={"comment": "ok"})
    assert decided.status_code == 409
    assert decided.json()["proposal"]["status"] == "stale"
    assert client.get(f"/v1/proposals/{proposal['id']}", headers=admin).json()["status"] \
        == "stale"
    record = client.get(url).json()
    assert (record["status"], record["version"]) == ("active", 2)


def test_reject_and_visibility_of_proposals(client: TestClient, admin: dict[str, str],
                                            focal_bra: dict[str, str],
                                            session: Session) -> None:
    other_focal, _ = create_key(session, Role.focal_point, countries=["BRA"])
    session.commit()
    proposal = client.post("/v1/proposals", headers=focal_bra, json={
        "action": "create", "record": make_record(ref="R")}).json()
    rejected = client.post(f"/v1/proposals/{proposal['id']}/reject", headers=admin,
                           json={"comment": "duplicate of an existing designation"})
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_comment"] == "duplicate of an existing designation"
    theirs = {"Authorization": f"Bearer {other_focal}"}
    assert client.get("/v1/proposals", headers=theirs).json()["items"] == []
    assert client.get(f"/v1/proposals/{proposal['id']}", headers=theirs).status_code == 404
    assert len(client.get("/v1/proposals", headers=focal_bra).json()["items"]) == 1
    assert client.get("/v1/authorities").json()["items"] == []


# --------------------------------------------------------------------------- import API


def _ndjson(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def test_import_api_is_all_or_nothing_with_a_report(client: TestClient, admin: dict[str, str],
                                                    session: Session) -> None:
    records = [make_record(ref=f"I{i}", phones=[], emails=[]) for i in range(3)]
    records[1]["designations"][0]["means"] = ["pigeon"]
    headers = {**admin, "Content-Type": "application/x-ndjson"}
    bad = client.post("/v1/import", headers=headers, content=_ndjson(records))
    assert bad.status_code == 422
    report = bad.json()["report"]
    assert report["written"] is False and report["invalid"] == 1
    assert report["errors"][0]["line"] == 2
    assert report["errors"][0]["errors"][0]["pointer"] == "/designations/0/means/0"
    assert _changes(session) == 0

    records[1]["designations"][0]["means"] = ["post"]
    dry = client.post("/v1/import?dry_run=true", headers=headers, content=_ndjson(records))
    assert dry.status_code == 200 and dry.json()["created"] == 3
    assert dry.json()["written"] is False and _changes(session) == 0

    done = client.post("/v1/import", headers=headers, content=_ndjson(records))
    assert done.json()["created"] == 3 and done.json()["written"] is True
    again = client.post("/v1/import", headers={**admin, "Content-Type": "application/json"},
                        content=json.dumps(records).encode())
    assert again.json()["unchanged"] == 3 and _changes(session) == 3


def test_import_api_enforces_its_size_limit(db_url: str, session: Session) -> None:
    import os

    from app.core.settings import get_settings
    from app.main import create_app

    key, _ = create_key(session, Role.secretariat)
    session.commit()
    os.environ["CNA_IMPORT_MAX_BYTES"] = "2000"
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as small:
            body = _ndjson([make_record(ref=f"S{i}") for i in range(5)])
            assert len(body) > 2000

            def chunks() -> Iterator[bytes]:
                for i in range(0, len(body), 500):
                    yield body[i:i + 500]

            response = small.post("/v1/import", headers={"Authorization": f"Bearer {key}"},
                                  content=chunks())
            healthy = small.get("/healthz")
    finally:
        del os.environ["CNA_IMPORT_MAX_BYTES"]
        get_settings.cache_clear()
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert healthy.status_code == 200
    assert _changes(session) == 0


def _waiting_on_a_lock(session: Session) -> bool:
    waiting = session.execute(sqltext(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database()")).scalar()
    session.rollback()  # pg_stat_activity is read once per transaction
    return bool(waiting)


def test_a_create_racing_another_for_the_same_ref_is_a_409_and_writes_nothing(
        client: TestClient, admin: dict[str, str], session: Session,
        reference: ReferenceData) -> None:
    """Both creates pass the existence check; the second then waits on the unique index
    for the first to commit, and its unique violation must be a conflict, not a 500."""
    from app.authorities.schemas import validate_record
    from app.authorities.service import save_record
    from app.db import engine as db_engine

    with Session(db_engine.get_engine()) as first:
        save_record(first, validate_record(make_record(), reference), TEST_ACTOR)
        first.flush()  # inserted, not committed: the index entry holds the ref
        with ThreadPoolExecutor(1) as pool:
            racing = pool.submit(client.post, "/v1/authorities", headers=admin,
                                 json=make_record())
            deadline = time.monotonic() + 30
            while not _waiting_on_a_lock(session):
                assert time.monotonic() < deadline, "the racing create never reached the index"
                assert not racing.done(), racing.result().text
                time.sleep(0.02)
            first.commit()
            response = racing.result(timeout=30)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _changes(session) == 1
