"""Odd input gets a clear problem+json and leaves the service healthy; observability."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.core.limits import MAX_JSON_DEPTH, json_depth_exceeds
from app.core.settings import get_settings


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    key, _ = create_key(session, Role.secretariat)
    session.commit()
    return {"Authorization": f"Bearer {key}"}


def _is_problem(response: object, status: int) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert response.json()["status"] == status  # type: ignore[attr-defined]


def test_body_over_the_limit_is_413_and_the_service_stays_healthy(
        client: TestClient, admin: dict[str, str]) -> None:
    huge = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    _is_problem(client.post("/v1/authorities", headers={**admin, "Content-Type":
                                                        "application/json"}, content=huge), 413)
    assert client.get("/healthz").status_code == 200
    assert client.get("/v1/countries/FRA").status_code == 200


def test_body_over_the_limit_without_content_length_is_413(client: TestClient,
                                                           admin: dict[str, str]) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * 65536

    response = client.post("/v1/authorities", headers={**admin, "Content-Type":
                                                       "application/json"}, content=chunks())
    _is_problem(response, 413)


def test_over_long_query_string_is_414(client: TestClient) -> None:
    _is_problem(client.get("/v1/authorities?country=" + "B" * 5000), 414)
    _is_problem(client.get("/v1/authorities", params={"language": "x" * 100}), 422)


def test_over_deep_json_is_400(client: TestClient, admin: dict[str, str]) -> None:
    deep = b"[" * 5000 + b"]" * 5000
    response = client.post("/v1/authorities", headers={**admin, "Content-Type":
                                                       "application/json"}, content=deep)
    _is_problem(response, 400)
    assert "nest" in response.json()["detail"]


def test_over_deep_json_in_an_import_is_reported_not_crashed(client: TestClient,
                                                             admin: dict[str, str]) -> None:
    line = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    response = client.post("/v1/import", headers={**admin, "Content-Type":
                                                  "application/x-ndjson"}, content=line)
    _is_problem(response, 422)
    assert "nested too deeply" in json.dumps(response.json()["report"])


def test_json_depth_scanner_ignores_brackets_in_strings() -> None:
    assert not json_depth_exceeds(b'{"a": "' + b"[" * 500 + b'"}')
    assert json_depth_exceeds(b"[" * (MAX_JSON_DEPTH + 1))
    assert not json_depth_exceeds(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert not json_depth_exceeds(b'{"a": "\\"[[[[", "b": 1}', limit=1)


def test_invalid_utf8_is_a_clear_error(client: TestClient, admin: dict[str, str]) -> None:
    bad = b'{"country": "BRA", "name": {"en": "\xff\xfe"}}'
    response = client.post("/v1/authorities", headers={**admin, "Content-Type":
                                                       "application/json"}, content=bad)
    _is_problem(response, 400)
    response = client.post("/v1/import", headers={**admin, "Content-Type":
                                                  "application/x-ndjson"}, content=bad)
    _is_problem(response, 400)
    assert client.get("/v1/authorities?language=%ff%fe").status_code in (200, 422)
    assert client.get("/healthz").status_code == 200


def test_page_size_over_the_cap_is_422(client: TestClient) -> None:
    response = client.get("/v1/authorities?limit=201")
    _is_problem(response, 422)
    assert response.json()["errors"][0]["pointer"] == "/query/limit"


@pytest.fixture
def slow_server(db_url: str) -> Iterator[int]:
    import os

    from app.main import create_app

    os.environ["CNA_BODY_TIMEOUT_SECONDS"] = "1"
    get_settings.cache_clear()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        del os.environ["CNA_BODY_TIMEOUT_SECONDS"]
        get_settings.cache_clear()


def test_a_slow_client_gets_408_and_does_not_hold_the_service(slow_server: int) -> None:
    with socket.create_connection(("127.0.0.1", slow_server), timeout=10) as slow:
        slow.sendall(b"POST /v1/proposals HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     b"application/json\r\nContent-Length: 1000\r\n\r\n{\"action\"")
        # Meanwhile other callers are served.
        with socket.create_connection(("127.0.0.1", slow_server), timeout=5) as other:
            other.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert b" 200 " in other.recv(4096)
        started = time.monotonic()
        answer = slow.recv(4096)
        waited = time.monotonic() - started
    assert b" 408 " in answer.split(b"\r\n", 1)[0]
    assert b"application/problem+json" in answer
    assert waited < 5


def test_request_id_security_headers_and_no_cors_by_default(client: TestClient) -> None:
    response = client.get("/v1/countries/FRA", headers={"X-Request-ID": "abc-123",
                                                        "Origin": "https://evil.example"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "access-control-allow-origin" not in response.headers
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"
    assert len(generated.headers["x-request-id"]) == 32


def test_cors_when_configured(db_url: str) -> None:
    import os

    from app.main import create_app

    os.environ["CNA_CORS_ORIGINS"] = '["https://network.example.org"]'
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as c:
            allowed = c.get("/v1/countries/FRA", headers={"Origin":
                                                          "https://network.example.org"})
            other = c.get("/v1/countries/FRA", headers={"Origin": "https://evil.example"})
    finally:
        del os.environ["CNA_CORS_ORIGINS"]
        get_settings.cache_clear()
    assert allowed.headers["access-control-allow-origin"] == "https://network.example.org"
    assert "access-control-allow-origin" not in other.headers


def test_metrics_expose_latency_per_route_and_pool_use(client: TestClient) -> None:
    client.get("/v1/countries/BRA")
    client.get("/v1/countries/XX")
    text = client.get("/metrics").text
    assert 'cna_http_request_duration_seconds_count{method="GET",route="/v1/countries/{code}",' \
           'status="200"}' in text
    assert 'route="/v1/countries/{code}",status="404"' in text
    assert "cna_db_pool_checked_out" in text
    assert "cna_change_backlog 0.0" in text
    assert "cna_webhook_failed_attempts 0.0" in text


def test_metrics_count_the_change_backlog(client: TestClient, session: Session) -> None:
    from app.reference.data import reference_from_files
    from tests.conftest import make_record, store

    store(session, reference_from_files(), make_record())
    text = client.get("/metrics").text
    assert "cna_change_backlog 1.0" in text
    assert "cna_search_relay_failing_changes 0.0" in text


def test_logs_are_json_with_the_request_id_and_no_secrets(client: TestClient,
                                                          admin: dict[str, str],
                                                          caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    from app.core.logging import JsonFormatter

    with caplog.at_level("INFO"):
        client.get("/v1/keys", headers={**admin, "X-Request-ID": "trace-42"})
        client.get("/v1/keys", headers={"Authorization": "Bearer cna_12345678_" + "S" * 43})
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "cna.access"]
    parsed = [json.loads(line) for line in lines]
    assert any(p.get("request_id") == "trace-42" and p["http"]["status"] == 200
               for p in parsed)
    secret = admin["Authorization"].split()[1]
    assert all(secret not in line and "S" * 43 not in line for line in lines)
    assert all(secret not in r.getMessage() for r in caplog.records)


def test_a_long_streamed_response_is_not_cut_by_the_body_timeout() -> None:
    """The body timeout (1 s here) applies to receiving a request, not to how long a
    response may stream."""
    import asyncio

    from starlette.responses import StreamingResponse

    from app.core.limits import LimitsMiddleware

    async def slow_stream() -> Iterator[bytes]:  # type: ignore[misc]
        for _ in range(3):
            yield b"chunk\n"
            await asyncio.sleep(0.8)

    async def app(scope, receive, send):
        await StreamingResponse(slow_stream())(scope, receive, send)

    wrapped = LimitsMiddleware(app, max_body_bytes=1024, body_timeout=0.5)
    client = TestClient(wrapped)  # no lifespan: a bare ASGI app
    for method, path in (("GET", "/stream"), ("POST", "/stream"), ("POST", "/v1/import")):
        response = client.request(method, path, content=b"{}" if method == "POST" else None)
        assert response.status_code == 200, (method, path)
        assert response.text == "chunk\n" * 3, (method, path)
