"""Webhook delivery: Standard Webhooks signatures checked by the independent
`standardwebhooks` package, order per endpoint, a receiver that is down then back,
backoff, auto-disable and re-enable, ping, the delivery log and manual redelivery,
two workers side by side.  Time is injected; nothing sleeps through a backoff."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from standardwebhooks.webhooks import Webhook

from app.access.principal import Role
from app.db import engine as db_engine
from app.reference.data import ReferenceData
from app.webhooks.delivery import RetryPolicy, SendResult, run_once
from tests.conftest import make_record, store
from tests.test_sync_feed import demo_records, feed, key_for
from tests.test_webhooks_api import allow_private  # noqa: F401  (fixture)


class Receiver:
    """A webhook receiver on 127.0.0.1 in a thread; ``status`` is what it answers."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = receiver.status
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()},
                                          body, status))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/cna"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def delivered(self) -> list[dict[str, Any]]:
        """Bodies of the messages answered with 2xx, in arrival order."""
        return [json.loads(b) for _, b, s in self.received if 200 <= s < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(allow_private: None) -> Iterator[Receiver]:  # noqa: F811
    r = Receiver()
    yield r
    r.close()


def subscribe(client: TestClient, url: str, headers: dict[str, str] | None = None,
              **body: Any) -> dict[str, Any]:
    response = client.post("/v1/webhooks", json={"url": url, **body},
                           headers=headers or key_for(Role.secretariat))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_deliveries_are_signed_per_standard_webhooks_and_match_the_feed(
        client: TestClient, session: Session, reference: ReferenceData,
        receiver: Receiver) -> None:
    hook = subscribe(client, receiver.url)
    store(session, reference, make_record())
    store(session, reference, make_record(notes={"en": "second"}))
    store(session, reference, make_record(status="withdrawn"))
    stats = run_once(db_engine.get_engine())
    assert (stats.queued, stats.succeeded, stats.failed) == (3, 3, 0)

    verifier = Webhook(hook["secret"])
    entries = feed(client, headers=key_for(Role.official))["items"]
    ids = set()
    for (headers, body, _), expected in zip(receiver.received, entries, strict=True):
        payload = verifier.verify(body, headers)  # raises on a bad signature
        assert payload["data"] == expected
        assert payload["type"] == f"authority.{expected['op']}"
        ids.add(headers["webhook-id"])
        tampered = body.replace(b"second", b"SECOND")
        if tampered != body:
            with pytest.raises(Exception, match="signature"):
                verifier.verify(tampered, headers)
    assert len(ids) == 3
    assert [p["type"] for p in receiver.delivered()] == [
        "authority.upsert", "authority.upsert", "authority.withdraw"]
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 43 + "=").verify(receiver.received[0][1],
                                                  receiver.received[0][0])
    assert run_once(db_engine.get_engine()).succeeded == 0  # nothing is sent twice


def test_only_subscribed_countries_and_event_types_are_delivered(
        client: TestClient, session: Session, reference: ReferenceData,
        receiver: Receiver) -> None:
    records = demo_records(12)
    country = records[0]["country"]
    subscribe(client, receiver.url, countries=[country], event_types=["authority.withdraw"])
    for record in records:
        store(session, reference, record)
    for record in records:
        store(session, reference, {**record, "status": "withdrawn"})
    run_once(db_engine.get_engine())
    got = receiver.delivered()
    assert got and {p["data"]["record"]["country"] for p in got} == {country}
    assert {p["type"] for p in got} == {"authority.withdraw"}
    assert len(got) == sum(r["country"] == country for r in records)


def test_a_receiver_down_then_back_gets_every_event_in_order_with_backoff(
        client: TestClient, session: Session, reference: ReferenceData,
        receiver: Receiver) -> None:
    hook = subscribe(client, receiver.url)
    for i in range(5):
        store(session, reference, make_record(ref=f"BRA-{i}"))
    engine = db_engine.get_engine()
    policy = RetryPolicy()
    t0 = datetime.now(UTC)
    receiver.status = 503
    now = t0
    for failures in range(1, 4):
        stats = run_once(engine, now=now, policy=policy)
        assert stats.failed == 1 and stats.succeeded == 0  # stops at the first: in order
        assert run_once(engine, now=now + policy.delay(failures) - timedelta(seconds=1),
                        policy=policy).failed == 0  # not yet due
        now += policy.delay(failures)
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    attempted = {json.loads(b)["data"]["record"]["ref"] for _, b, _ in receiver.received}
    assert attempted == {"BRA-0"}, "nothing may overtake the failing first event"
    log = client.get(f"/v1/webhooks/{hook['id']}/deliveries",
                     headers=key_for(Role.secretariat)).json()["items"]
    head = next(d for d in log if d["attempts"])
    assert head["attempts"] == 3 and head["last_status_code"] == 503
    assert len(head["attempt_log"]) == 3 and head["status"] == "pending"
    assert client.get(f"/v1/webhooks/{hook['id']}", headers=key_for(Role.secretariat)
                      ).json()["failing_since"] is not None

    receiver.status = 200
    stats = run_once(engine, now=now, policy=policy)
    assert stats.succeeded == 5
    assert [p["data"]["record"]["ref"] for p in receiver.delivered()] == [
        f"BRA-{i}" for i in range(5)]
    status = client.get(f"/v1/webhooks/{hook['id']}", headers=key_for(Role.secretariat)).json()
    assert status["failing_since"] is None and status["backlog"] == 0


def test_sustained_failure_disables_the_endpoint_and_reenabling_resumes_it(
        client: TestClient, session: Session, reference: ReferenceData,
        allow_private: None) -> None:  # noqa: F811
    admin = key_for(Role.secretariat)
    hook = subscribe(client, "http://127.0.0.1:9/never", admin)
    store(session, reference, make_record())
    store(session, reference, make_record(notes={"en": "two"}))
    engine = db_engine.get_engine()
    policy = RetryPolicy()
    sent: list[tuple[datetime, str]] = []
    answer = {"status": 500}

    def fake_send(url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        sent.append((datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC),
                     headers["webhook-id"]))
        code = answer["status"]
        return SendResult(code, None if code < 300 else f"HTTP {code}", 1)

    t0 = datetime.now(UTC)
    now = t0
    while now - t0 < timedelta(days=5):
        stats = run_once(engine, now=now, send=fake_send, policy=policy)
        if stats.disabled:
            break
        now += timedelta(minutes=30)
    assert stats.disabled, "never disabled"
    attempt_times = [t for t, _ in sent]
    assert attempt_times[-1] - attempt_times[0] >= timedelta(hours=24)
    assert policy.disable_after <= now - t0 < policy.disable_after + policy.max_delay + \
        timedelta(minutes=30)
    gaps = [b - a for a, b in itertools.pairwise(attempt_times)]
    assert gaps[:4] == sorted(gaps[:4]) and max(gaps) <= policy.max_delay + timedelta(minutes=30)
    assert len({msg for _, msg in sent}) == 1, "only the first event was tried"

    shown = client.get(f"/v1/webhooks/{hook['id']}", headers=admin).json()
    assert shown["status"] == "disabled" and "failing since" in shown["disabled_reason"]
    assert shown["backlog"] == 2
    count = len(sent)
    run_once(engine, now=now + timedelta(days=1), send=fake_send, policy=policy)
    assert len(sent) == count, "a disabled endpoint gets nothing"

    enabled = client.patch(f"/v1/webhooks/{hook['id']}", json={"status": "active"},
                           headers=admin)
    assert enabled.status_code == 200 and enabled.json()["status"] == "active"
    answer["status"] = 204
    stats = run_once(engine, send=fake_send, policy=policy)
    assert stats.succeeded == 2
    assert client.get(f"/v1/webhooks/{hook['id']}", headers=admin).json()["backlog"] == 0


def test_ping_log_and_manual_redelivery(client: TestClient, session: Session,
                                        reference: ReferenceData, receiver: Receiver) -> None:
    admin = key_for(Role.secretariat)
    hook = subscribe(client, receiver.url, admin)
    pong = client.post(f"/v1/webhooks/{hook['id']}/ping", headers=admin, json={})
    assert pong.status_code == 200, pong.text
    assert pong.json()["status"] == "succeeded" and pong.json()["last_status_code"] == 200
    headers, body, _ = receiver.received[-1]
    assert Webhook(hook["secret"]).verify(body, headers)["type"] == "ping"

    receiver.status = 500
    failed = client.post(f"/v1/webhooks/{hook['id']}/ping", headers=admin, json={}).json()
    assert failed["status"] == "failed" and failed["last_status_code"] == 500
    receiver.status = 200

    store(session, reference, make_record())
    run_once(db_engine.get_engine())
    log = client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=admin).json()["items"]
    assert [d["event_type"] for d in log] == ["authority.upsert", "ping", "ping"]
    done = log[0]
    assert done["status"] == "succeeded" and done["attempt_log"][0]["status_code"] == 200
    again = client.post(f"/v1/webhooks/{hook['id']}/redeliver", headers=admin,
                        json={"delivery_id": done["id"]})
    assert again.status_code == 202 and again.json()["status"] == "pending"
    assert again.json()["msg_id"] == done["msg_id"] and again.json()["id"] != done["id"]
    run_once(db_engine.get_engine())
    ids = [h["webhook-id"] for h, _, _ in receiver.received]
    assert ids.count(done["msg_id"]) == 2, "redelivered with the same webhook-id"
    missing = client.post(f"/v1/webhooks/{hook['id']}/redeliver", headers=admin,
                          json={"delivery_id": 999999})
    assert missing.status_code == 404
    pending_only = client.get(f"/v1/webhooks/{hook['id']}/deliveries",
                              params={"status": "pending"}, headers=admin).json()["items"]
    assert pending_only == []


def test_two_workers_side_by_side_send_each_event_once_and_in_order(
        client: TestClient, session: Session, reference: ReferenceData,
        allow_private: None) -> None:  # noqa: F811
    for n in range(3):
        subscribe(client, f"http://127.0.0.1:9/hook{n}")
    for record in demo_records(20):
        store(session, reference, record)
    lock = threading.Lock()
    sent: dict[str, list[int]] = {}

    def fake_send(url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        with lock:
            sent.setdefault(url, []).append(int(json.loads(body)["data"]["cursor"]))
        return SendResult(200, None, 1)

    engine = db_engine.get_engine()
    workers = [threading.Thread(target=run_once, args=(engine,),
                                kwargs={"send": fake_send, "max_messages": 7})
               for _ in range(2)]
    for _ in range(4):
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        workers = [threading.Thread(target=run_once, args=(engine,),
                                    kwargs={"send": fake_send, "max_messages": 7})
                   for _ in range(2)]
    assert len(sent) == 3
    for cursors in sent.values():
        assert len(cursors) == 20 and cursors == sorted(set(cursors))
