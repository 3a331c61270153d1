"""Pings to a receiver that never answers: they hold no request worker, at most one runs per
endpoint (in any process), a few per process, and the ping client is closed at shutdown."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import httpx
import pytest
from fastapi.testclient import TestClient

from app.access.principal import Role
from app.main import create_app
from app.webhooks import pinger
from tests.test_sync_feed import key_for
from tests.test_webhooks_api import allow_private  # noqa: F401  (fixture)
from tests.test_webhooks_delivery import subscribe

REQUEST_WORKERS = 2  # the request thread pool, shrunk so that pings could easily exhaust it


class SilentReceiver:
    """Accepts connections and never answers until ``release``, which closes them."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hooks/silent"
        self.connections: list[socket.socket] = []
        self.arrived = threading.Condition()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with self.arrived:
                self.connections.append(conn)
                self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 15.0) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.connections) >= count, timeout)

    def release(self) -> None:
        self.stop.set()
        self.thread.join()
        self.listener.close()
        with self.arrived:
            for conn in self.connections:
                conn.close()


@pytest.fixture
def silent(allow_private: None) -> Iterator[SilentReceiver]:  # noqa: F811
    receiver = SilentReceiver()
    yield receiver
    receiver.release()


@pytest.fixture
def api(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app with a ping timeout far beyond the test, so that only the receiver's release
    ends a ping, and a small request thread pool."""
    monkeypatch.setattr(pinger, "PING_TIMEOUT_SECONDS", 120.0)
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        assert client.portal is not None

        def shrink() -> None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_WORKERS

        client.portal.call(shrink)
        yield client


def ping_in_background(client: TestClient, hook_id: str, headers: dict[str, str],
                       answers: dict[str, httpx.Response]) -> threading.Thread:
    def run() -> None:
        answers[hook_id] = client.post(f"/v1/webhooks/{hook_id}/ping", headers=headers)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_pings_to_a_silent_receiver_leave_the_read_routes_free(
        api: TestClient, silent: SilentReceiver) -> None:
    admin = key_for(Role.secretariat)
    hooks = [subscribe(api, f"{silent.url}/{n}", admin)["id"]
             for n in range(pinger.PING_SENDERS + 1)]
    answers: dict[str, httpx.Response] = {}
    in_flight = [ping_in_background(api, hook, admin, answers)
                 for hook in hooks[:pinger.PING_SENDERS]]
    assert silent.wait_for(pinger.PING_SENDERS), \
        f"only {len(silent.connections)} pings reached the receiver: the others wait"

    read = api.get("/v1/countries/BRA")
    assert read.status_code == 200
    assert all(t.is_alive() for t in in_flight), "the read waited for the pings"
    over = api.post(f"/v1/webhooks/{hooks[-1]}/ping", headers=admin)
    assert over.status_code == 503 and over.headers["retry-after"]
    assert over.headers["content-type"] == "application/problem+json"
    assert all(t.is_alive() for t in in_flight)

    silent.release()
    for t in in_flight:
        t.join(timeout=30)
    assert sorted(answers) == sorted(hooks[:pinger.PING_SENDERS])
    for answer in answers.values():
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "failed" and answer.json()["last_status_code"] is None


def test_one_ping_per_endpoint_at_a_time_in_any_process(
        api: TestClient, silent: SilentReceiver) -> None:
    admin = key_for(Role.secretariat)
    hook = subscribe(api, silent.url, admin)["id"]
    answers: dict[str, httpx.Response] = {}
    first = ping_in_background(api, hook, admin, answers)
    assert silent.wait_for(1)

    again = api.post(f"/v1/webhooks/{hook}/ping", headers=admin)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"] == "application/problem+json"
    with TestClient(create_app(), raise_server_exceptions=False) as other_process:
        elsewhere = other_process.post(f"/v1/webhooks/{hook}/ping", headers=admin)
    assert elsewhere.status_code == 409, elsewhere.text
    assert first.is_alive()

    silent.release()
    first.join(timeout=30)
    assert answers[hook].status_code == 200
    after = api.post(f"/v1/webhooks/{hook}/ping", headers=admin)
    assert after.status_code == 200, "the endpoint is free again once the ping is done"
    responses = api.get("/openapi.json").json()["paths"]["/v1/webhooks/{id}/ping"]["post"]
    assert "409" in responses["responses"]


def test_the_ping_client_is_made_by_the_first_ping_and_closed_at_shutdown(
        db_url: str, silent: SilentReceiver) -> None:
    with TestClient(create_app()) as client:
        running: Any = client.app.state.webhook_pinger  # type: ignore[attr-defined]
        assert running._client is None, "no ping asked yet: no client (nor its TLS context)"
        admin = key_for(Role.secretariat)
        hook = subscribe(client, silent.url, admin)["id"]
        answers: dict[str, httpx.Response] = {}
        thread = ping_in_background(client, hook, admin, answers)
        assert silent.wait_for(1)
        silent.release()  # the ping ends: its connection is closed
        thread.join(30)
        made = running._client
        assert answers[hook].status_code == 200
        assert made is not None and not made.is_closed and not running.closed
    assert running.closed and made.is_closed
