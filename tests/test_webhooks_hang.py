"""A webhook receiver that hangs: delivery times out, and other endpoints are not delayed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.db import engine as db_engine
from app.reference.data import ReferenceData
from app.webhooks.delivery import http_sender, run_once
from app.webhooks.models import WebhookAttempt
from tests.conftest import make_record, store
from tests.test_webhooks_api import allow_private  # noqa: F401  (fixture)
from tests.test_webhooks_delivery import Receiver, subscribe

HANG_SECONDS = 8.0
TIMEOUT_SECONDS = 3.0


class HangingReceiver:
    """Accepts the connection, then answers nothing for HANG_SECONDS."""

    def __init__(self) -> None:
        release = self.release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                release.wait(HANG_SECONDS)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/slow"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers(allow_private: None) -> Iterator[tuple[HangingReceiver, Receiver]]:  # noqa: F811
    hanging, healthy = HangingReceiver(), Receiver()
    yield hanging, healthy
    hanging.close()
    healthy.close()


def test_a_hanging_receiver_times_out_without_delaying_the_others(
        client: TestClient, session: Session, reference: ReferenceData,
        receivers: tuple[HangingReceiver, Receiver]) -> None:
    hanging, healthy = receivers
    subscribe(client, hanging.url)
    subscribe(client, healthy.url)
    for i in range(3):
        store(session, reference, make_record(ref=f"HANG-{i}"))

    send = http_sender(httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False))
    result: dict[str, Any] = {}
    started = time.monotonic()
    worker = threading.Thread(target=lambda: result.update(
        stats=run_once(db_engine.get_engine(), send=send),
        elapsed=time.monotonic() - started))
    worker.start()
    while len(healthy.delivered()) < 3 and time.monotonic() - started < HANG_SECONDS:
        time.sleep(0.02)
    healthy_done = time.monotonic() - started
    worker.join(timeout=HANG_SECONDS * 2)

    assert len(healthy.delivered()) == 3, "the healthy endpoint got everything in one pass"
    assert healthy_done < TIMEOUT_SECONDS - 1, \
        f"the healthy endpoint waited for the hanging one ({healthy_done:.1f}s)"
    assert result["elapsed"] < HANG_SECONDS - 1, "the pass waited out the hang, not the timeout"
    assert result["stats"].succeeded == 3 and result["stats"].failed == 1
    attempts = session.scalars(select(WebhookAttempt).order_by(col(WebhookAttempt.id))).all()
    timed_out = [a for a in attempts if a.error and "Timeout" in a.error]
    assert len(timed_out) == 1
    assert timed_out[0].duration_ms < (TIMEOUT_SECONDS + 1) * 1000
