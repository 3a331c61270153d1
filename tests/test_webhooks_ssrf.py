"""Webhook destinations under attack: a name that answers a public address to the check and
loopback to the connection (DNS rebinding), address forms that hide a private address, and
receivers' answers, which never come back through the API."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import trustme
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.db import engine as db_engine
from app.reference.data import ReferenceData
from app.webhooks.delivery import RetryPolicy, http_sender, run_once
from app.webhooks.service import destination_problem
from tests.conftest import make_record, store
from tests.test_sync_feed import key_for
from tests.test_webhooks_api import allow_private  # noqa: F401  (fixture)
from tests.test_webhooks_delivery import subscribe

SECRET_PAGE = b"<html><body>internal token SECRET-7f3a9c, do not share</body></html>"
HEADERS = {"content-type": "application/json"}


class FakeDNS:
    """Replaces ``socket.getaddrinfo`` (which httpx uses too) for the given names: each
    lookup of a name takes its next answer, the last one repeating."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
        self.answers = {name: list(values) for name, values in answers.items()}
        self.lookups: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self.answers:
                return real(host, port, *args, **kwargs)
            self.lookups.append(name)
            queue = self.answers[name]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            number = int(port or 0)
            if ":" in address:
                return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                         (address, number, 0, 0))]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                     (address, number))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


class OfflineTransport(httpx.BaseTransport):
    """Tests have no network: requests to a public address fail as unreachable; others
    (names too: resolved as usual) go out for real.  Records where each request was sent
    and its Host header."""

    def __init__(self) -> None:
        self.real = httpx.HTTPTransport()
        self.sent: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.url.host, request.headers["host"]))
        try:
            public = ipaddress.ip_address(request.url.host).is_global
        except ValueError:
            public = False
        if public:
            raise httpx.ConnectError("unreachable in tests", request=request)
        return self.real.handle_request(request)

    def close(self) -> None:
        self.real.close()


class Receiver:
    """Answers every POST with ``status`` and ``body``; remembers the Host header and the
    TLS server name each request came with."""

    def __init__(self, status: int = 200, body: bytes = b"",
                 content_type: str = "text/html; charset=utf-8",
                 tls: ssl.SSLContext | None = None) -> None:
        self.hosts: list[str] = []
        self.server_names: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.hosts.append(self.headers.get("host", ""))
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/cna"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def secret_receiver() -> Iterator[Receiver]:
    receiver = Receiver(status=500, body=SECRET_PAGE)
    yield receiver
    receiver.close()


# --- DNS rebinding ---------------------------------------------------------------------------

def test_a_name_that_rebinds_to_loopback_never_reaches_it(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    dns = FakeDNS(monkeypatch, {"rebind.test": ["8.8.8.8", "127.0.0.1"]})
    receiver = Receiver()
    transport = OfflineTransport()
    try:
        with httpx.Client(transport=transport, timeout=3) as client:
            result = http_sender(client)(f"http://rebind.test:{receiver.port}/hooks/cna",
                                         b"{}", HEADERS)
    finally:
        receiver.close()
    assert receiver.hosts == [], "the loopback receiver was reached through a rebinding name"
    assert not result.ok
    assert transport.sent == [("8.8.8.8", f"rebind.test:{receiver.port}")], \
        "sent to the address that was checked, with the name as Host"
    assert dns.lookups == ["rebind.test"], "resolved once per send"


def test_a_name_that_turns_private_after_subscribing_is_refused_at_send(
        client: TestClient, session: Session, reference: ReferenceData,
        monkeypatch: pytest.MonkeyPatch) -> None:
    FakeDNS(monkeypatch, {"later.test": ["8.8.8.8", "127.0.0.1"]})
    receiver = Receiver()
    try:
        hook = subscribe(client, f"http://later.test:{receiver.port}/hooks/cna")
        store(session, reference, make_record())
        with httpx.Client(timeout=3) as http:
            stats = run_once(db_engine.get_engine(), send=http_sender(http))
    finally:
        receiver.close()
    assert stats.failed == 1 and receiver.hosts == []
    log = client.get(f"/v1/webhooks/{hook['id']}/deliveries",
                     headers=key_for(Role.secretariat)).json()["items"]
    assert log[0]["last_error"].startswith("destination refused")


def test_with_private_destinations_allowed_the_send_is_pinned_to_the_resolved_address(
        monkeypatch: pytest.MonkeyPatch, allow_private: None) -> None:  # noqa: F811
    dns = FakeDNS(monkeypatch, {"hook.test": ["127.0.0.1", "192.0.2.1"]})
    receiver = Receiver(status=204)
    try:
        with httpx.Client(timeout=3) as client:
            result = http_sender(client)(f"http://hook.test:{receiver.port}/hooks/cna",
                                         b"{}", HEADERS)
    finally:
        receiver.close()
    assert result.ok, result.error
    assert receiver.hosts == [f"hook.test:{receiver.port}"]
    assert dns.lookups == ["hook.test"]


def test_https_is_pinned_with_tls_server_name_and_certificate_on_the_name(
        monkeypatch: pytest.MonkeyPatch, allow_private: None) -> None:  # noqa: F811
    FakeDNS(monkeypatch, {"hook.test": ["127.0.0.1"], "elsewhere.test": ["127.0.0.1"]})
    authority = trustme.CA()
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("hook.test").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    authority.configure_trust(client_tls)
    receiver = Receiver(status=200, tls=server_tls)
    try:
        with httpx.Client(verify=client_tls, timeout=3) as client:
            send = http_sender(client)
            result = send(f"https://hook.test:{receiver.port}/hooks/cna", b"{}", HEADERS)
            mismatch = send(f"https://elsewhere.test:{receiver.port}/hooks/cna", b"{}",
                            HEADERS)
    finally:
        receiver.close()
    assert result.ok, result.error
    assert receiver.hosts == [f"hook.test:{receiver.port}"]
    assert receiver.server_names[0] == "hook.test"
    assert not mismatch.ok and "certificate" in (mismatch.error or "").lower(), \
        "the certificate is checked against the name, not the pinned address"


# --- address forms ---------------------------------------------------------------------------

REFUSED_LITERALS = [
    "http://100.100.100.200/latest/meta-data",  # shared address space: a cloud metadata service
    "http://100.64.0.1/", "http://[::ffff:100.100.100.200]/", "http://[::ffff:127.0.0.1]/",
    "http://[2002:7f00:1::1]/",  # 6to4 of 127.0.0.1
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[64:ff9b:1::a00:1]/", "http://[::7f00:1]/", "http://[2001::1]/",
    "http://127.0.0.1/", "http://[::1]/", "http://169.254.169.254/", "http://10.1.2.3/",
    "http://192.168.0.10/", "http://172.16.0.1/", "http://0.0.0.0/", "http://[::]/",
    "http://224.0.0.1/", "http://[ff02::1]/", "http://255.255.255.255/", "http://198.18.0.1/",
    "http://240.0.0.1/", "http://[fc00::1]/", "http://[fe80::1]/", "http://192.0.0.8/",
]


@pytest.mark.parametrize("url", REFUSED_LITERALS)
def test_non_public_address_forms_are_refused_at_subscription(client: TestClient,
                                                              url: str) -> None:
    response = client.post("/v1/webhooks", headers=key_for(Role.secretariat), json={"url": url})
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["pointer"] == "/body/url" and "public" in error["detail"]


REFUSED_ANSWERS = ["100.100.100.200", "::ffff:100.100.100.200", "2002:7f00:1::1",
                   "64:ff9b::7f00:1", "127.0.0.1", "::1", "169.254.169.254", "10.0.0.1",
                   "192.168.1.1", "0.0.0.0", "224.0.0.251", "ff05::1", "::ffff:10.0.0.1"]


def resolver(*addresses: str) -> Any:
    def resolve(host: str, port: int) -> Sequence[str]:
        return list(addresses)
    return resolve


@pytest.mark.parametrize("address", REFUSED_ANSWERS)
def test_a_name_resolving_to_a_non_public_address_is_refused(address: str) -> None:
    problem = destination_problem("https://hooks.example.org/in", allow_private=False,
                                  resolve=resolver(address))
    assert problem is not None and "public" in problem


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "2002:808:808::1",
                                     "64:ff9b::808:808", "::ffff:8.8.8.8"])
def test_a_name_resolving_to_a_public_address_is_accepted(address: str) -> None:
    assert destination_problem("https://hooks.example.org/in", allow_private=False,
                               resolve=resolver(address)) is None


def test_one_non_public_answer_among_public_ones_refuses_the_name() -> None:
    assert destination_problem("https://hooks.example.org/in", allow_private=False,
                               resolve=resolver("8.8.8.8", "127.0.0.1")) is not None


def test_allowing_private_destinations_still_refuses_multicast_and_unspecified() -> None:
    for address in ("127.0.0.1", "10.0.0.1", "::1", "100.100.100.200"):
        assert destination_problem("http://hook.test/", allow_private=True,
                                   resolve=resolver(address)) is None
    for address in ("0.0.0.0", "::", "224.0.0.1", "ff02::1", "::ffff:224.0.0.1"):
        assert destination_problem("http://hook.test/", allow_private=True,
                                   resolve=resolver(address)) is not None


# --- what a receiver answers stays out of the API ------------------------------------------

def test_a_receivers_error_body_never_comes_back_through_the_api(
        client: TestClient, session: Session, reference: ReferenceData,
        secret_receiver: Receiver, allow_private: None) -> None:  # noqa: F811
    admin = key_for(Role.secretariat)
    hook = subscribe(client, secret_receiver.url, admin)
    pong = client.post(f"/v1/webhooks/{hook['id']}/ping", headers=admin)
    assert pong.status_code == 200, pong.text
    assert b"SECRET" not in pong.content
    expected = f"HTTP 500 (text/html, {len(SECRET_PAGE)} bytes)"
    assert pong.json()["last_error"] == expected

    store(session, reference, make_record())
    run_once(db_engine.get_engine(), policy=RetryPolicy(disable_after=timedelta(0)))
    log = client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=admin)
    assert b"SECRET" not in log.content
    errors = [a["error"] for d in log.json()["items"] for a in d["attempt_log"]]
    assert errors == [expected, expected]
    shown = client.get(f"/v1/webhooks/{hook['id']}", headers=admin).json()
    assert shown["status"] == "disabled" and expected in shown["disabled_reason"]
    assert "SECRET" not in json.dumps(shown)


def test_a_large_error_body_is_counted_only_up_to_a_bound(allow_private: None  # noqa: F811
                                                          ) -> None:
    receiver = Receiver(status=502, body=b"x" * (4 * 1024 * 1024), content_type="text/plain")
    try:
        with httpx.Client(timeout=3) as client:
            result = http_sender(client)(receiver.url, b"{}", HEADERS)
    finally:
        receiver.close()
    assert result.status_code == 502
    assert result.error is not None
    assert result.error.startswith("HTTP 502 (text/plain, more than ")
    assert result.error.endswith(" bytes)")


def test_what_a_non_http_service_answers_stays_out_of_the_error(
        allow_private: None) -> None:  # noqa: F811
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def banner() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"-ERR SECRET-7f3a9c unknown command\r\n\r\n")

    thread = threading.Thread(target=banner, daemon=True)
    thread.start()
    try:
        with httpx.Client(timeout=3) as client:
            result = http_sender(client)(f"http://127.0.0.1:{port}/", b"{}", HEADERS)
    finally:
        thread.join(timeout=5)
        listener.close()
    assert not result.ok and result.error
    assert "SECRET" not in result.error
