"""Rate limits that hold under attack (forged keys, sprayed callers, forged forwarding
headers), and /readyz and /metrics limited and guarded like everything else."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import event
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key, revoke_key
from app.core.ratelimit import MAX_TRACKED_CALLERS, RateLimiter
from app.core.settings import Settings
from app.db import engine as db_engine
from tests.conftest import settings_env

CNA = str(Path(sys.executable).with_name("cna"))
RECORD_URL = "/v1/countries/BRA"


@contextmanager
def app_client(client_address: str = "203.0.113.9", **env: str) -> Iterator[TestClient]:
    from app.main import create_app

    with settings_env(CNA_SEARCH_ENGINE="postgres", **env), \
            TestClient(create_app(), client=(client_address, 40000)) as client:
        yield client


def forged_key() -> str:
    """Well formed (a prefix and a 43-character secret), and not a key of this directory."""
    return f"cna_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def new_key(role: Role = Role.official) -> str:
    with Session(db_engine.get_engine()) as session:
        key, _ = create_key(session, role)
        session.commit()
    return key


# --- forged keys and verified keys ----------------------------------------------------------

def test_forged_keys_share_the_anonymous_bucket_of_their_address(db_url: str) -> None:
    with app_client(CNA_RATE_LIMIT_ANONYMOUS="10") as client:
        sprayed = [client.get(RECORD_URL, headers=bearer(forged_key())).status_code
                   for _ in range(100)]
        anonymous = client.get(RECORD_URL)
    assert sprayed[:10] == [401] * 10
    assert set(sprayed[10:]) == {429}
    assert anonymous.status_code == 429, "the 101st request is still under the anonymous limit"


def test_a_verified_key_has_its_own_bucket_and_keeps_it_through_a_spray(db_url: str) -> None:
    key = new_key()
    with app_client(CNA_RATE_LIMIT_ANONYMOUS="3", CNA_RATE_LIMIT_KEY="1000") as client:
        keyed = [client.get(RECORD_URL, headers=bearer(key)).status_code for _ in range(20)]
        sprayed = [client.get(RECORD_URL, headers=bearer(forged_key())).status_code
                   for _ in range(50)]
        anonymous = client.get(RECORD_URL)
        still_keyed = client.get(RECORD_URL, headers=bearer(key))
    assert keyed == [200] * 20, "past the anonymous limit of 3: the key's own bucket"
    assert sprayed.count(401) <= 3 and set(sprayed[3:]) == {429}
    assert anonymous.status_code == 429
    assert still_keyed.status_code == 200


def test_a_revoked_key_falls_back_to_the_anonymous_bucket(db_url: str) -> None:
    key = new_key()
    with app_client(CNA_RATE_LIMIT_ANONYMOUS="2", CNA_RATE_LIMIT_KEY="1000") as client:
        assert [client.get(RECORD_URL, headers=bearer(key)).status_code
                for _ in range(5)] == [200] * 5
        with Session(db_engine.get_engine()) as session:
            revoke_key(session, key)
            session.commit()
        revoked = [client.get(RECORD_URL, headers=bearer(key)).status_code for _ in range(4)]
    # The key's first request was charged to the address (before it was verified): one
    # anonymous token is left, taken by the first refused request; then 429.
    assert revoked == [401, 401, 429, 429]


def test_ipv6_callers_are_bucketed_by_their_64_bit_prefix(db_url: str) -> None:
    from app.main import create_app

    with settings_env(CNA_SEARCH_ENGINE="postgres", CNA_RATE_LIMIT_ANONYMOUS="2"):
        app = create_app()
        # One client runs the lifespan; the others only send requests to the same app.
        neighbour = TestClient(app, client=("2001:db8:0:1::2", 1))
        other_network = TestClient(app, client=("2001:db8:0:2::1", 1))
        with TestClient(app, client=("2001:db8:0:1::1", 1)) as first:
            assert first.get(RECORD_URL).status_code == 200
            assert first.get(RECORD_URL).status_code == 200
            assert neighbour.get(RECORD_URL).status_code == 429
            assert other_network.get(RECORD_URL).status_code == 200


# --- a bounded table ------------------------------------------------------------------------

def test_the_bucket_table_is_bounded_and_a_spray_evicts_no_one() -> None:
    limiter = RateLimiter(per_minute=5)
    for _ in range(5):
        assert limiter.take("key:victim", now=0.0) == 0
    assert limiter.take("key:victim", now=0.0) > 0
    for caller in range(MAX_TRACKED_CALLERS + 100):
        limiter.take(f"ip:{caller}", now=0.0)
    assert limiter.take("key:victim", now=0.0) > 0, "a spray must not hand out fresh buckets"
    assert len(limiter) <= MAX_TRACKED_CALLERS
    # New callers past the bound share one overflow bucket (drained by the spray).
    assert limiter.take("ip:newcomer", now=0.0) > 0
    # A bucket idle long enough to have refilled is the same as none: it makes room.
    assert limiter.take("ip:newcomer", now=61.0) == 0
    assert len(limiter) <= MAX_TRACKED_CALLERS


# --- forwarded headers ----------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(db_url: str, log: Path, **env: str) -> Iterator[str]:
    """``cna serve`` as a subprocess on this test's database; yields its base URL."""
    port = _free_port()
    environ = {**os.environ, "DATABASE_URL": db_url, "CNA_SEARCH_ENGINE": "postgres", **env}
    with log.open("w") as stderr:
        process = subprocess.Popen([CNA, "serve", "--port", str(port)], env=environ,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "cna serve did not answer in time"
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _from(base: str, forwarded_for: str) -> int:
    return httpx.get(base + RECORD_URL, headers={"X-Forwarded-For": forwarded_for},
                     timeout=10).status_code


def test_forwarded_for_is_ignored_unless_from_a_trusted_proxy(db_url: str,
                                                              tmp_path: Path) -> None:
    with serving(db_url, tmp_path / "untrusted.log", CNA_RATE_LIMIT_ANONYMOUS="3") as base:
        untrusted = [_from(base, f"198.51.100.{n}") for n in range(1, 6)]
    assert untrusted == [200, 200, 200, 429, 429], "X-Forwarded-For from anyone is ignored"

    with serving(db_url, tmp_path / "trusted.log", CNA_RATE_LIMIT_ANONYMOUS="3",
                 CNA_TRUSTED_PROXIES="127.0.0.1") as base:
        distinct = [_from(base, f"198.51.100.{n}") for n in range(1, 6)]
        same = [_from(base, "192.0.2.7") for _ in range(3)]
        # A client's own X-Forwarded-For in front of the proxy's entry changes nothing:
        # the address is the nearest one that is not a trusted proxy.
        spoofed = _from(base, "10.9.9.9, 192.0.2.7")
    assert distinct == [200] * 5
    assert same == [200, 200, 200]
    assert spoofed == 429


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    settings = Settings(CNA_TRUSTED_PROXIES="10.0.0.1, 192.168.0.0/16")
    assert settings.trusted_proxies == ["10.0.0.1", "192.168.0.0/16"]
    assert Settings(CNA_TRUSTED_PROXIES='["::1"]').trusted_proxies == ["::1"]
    assert Settings().trusted_proxies == []
    with pytest.raises(ValidationError):
        Settings(CNA_TRUSTED_PROXIES="*")


# --- /readyz --------------------------------------------------------------------------------

def test_readyz_is_rate_limited(db_url: str) -> None:
    with app_client(CNA_RATE_LIMIT_ANONYMOUS="3") as client:
        statuses = [client.get("/readyz").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_readyz_runs_one_bounded_statement(db_url: str) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app_client() as client:
        engine = db_engine.get_engine()
        event.listen(engine, "before_cursor_execute", record)
        try:
            response = client.get("/readyz")
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["database"] == "ok"
    assert body["search_backlog"]["pending"] == 0
    assert len(statements) == 1, statements
    assert "LIMIT" in statements[0].upper(), "no unbounded count over the change log"


def test_readyz_counts_the_backlog_only_up_to_its_cap(db_url: str, session: Session,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from app.health import service
    from app.reference.data import reference_from_files
    from tests.conftest import make_record, store

    reference = reference_from_files()
    for n in range(3):
        store(session, reference, make_record(ref=f"BRA-{n}"))
    monkeypatch.setattr(service, "BACKLOG_COUNT_CAP", 2)
    with app_client() as client:
        backlog = client.get("/readyz").json()["search_backlog"]
    assert backlog["pending"] == 2 and backlog["pending_capped"] is True


def test_readyz_says_only_ok_to_anonymous_callers_when_reading_is_private(db_url: str) -> None:
    key = new_key()
    with app_client(CNA_PUBLIC_READ="false") as client:
        anonymous = client.get("/readyz")
        keyed = client.get("/readyz", headers=bearer(key))
    assert anonymous.status_code == 200
    assert anonymous.json() == {"status": "ready"}
    assert keyed.json()["database"] == "ok" and "search_backlog" in keyed.json()


# --- /metrics -------------------------------------------------------------------------------

def _is_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_metrics_off_is_404(db_url: str) -> None:
    with app_client(CNA_METRICS="off") as client:
        _is_problem(client.get("/metrics"), 404)


def test_metrics_token_needs_the_bearer_token(db_url: str) -> None:
    token = secrets.token_urlsafe(24)
    with app_client(CNA_METRICS="token", CNA_METRICS_TOKEN=token) as client:
        missing = client.get("/metrics")
        wrong = client.get("/metrics", headers=bearer(token[:-1] + "x"))
        api_key = client.get("/metrics", headers=bearer(new_key(Role.secretariat)))
        right = client.get("/metrics", headers=bearer(token))
    for refused in (missing, wrong, api_key):
        _is_problem(refused, 401)
        assert refused.headers["www-authenticate"] == "Bearer"
    assert right.status_code == 200
    assert "cna_http_requests_in_flight" in right.text


def test_metrics_public_answers_anyone(db_url: str) -> None:
    with app_client(CNA_METRICS="public") as client:
        assert "cna_http_requests_in_flight" in client.get("/metrics").text


def test_metrics_default_is_off_outside_development_and_when_reading_is_private(
        db_url: str) -> None:
    with app_client(CNA_ENV="production", CNA_SECRET_KEY=secrets.token_urlsafe(32)) as client:
        _is_problem(client.get("/metrics"), 404)
    with app_client(CNA_PUBLIC_READ="false") as client:
        _is_problem(client.get("/metrics"), 404)
    with app_client(CNA_ENV="production", CNA_SECRET_KEY=secrets.token_urlsafe(32),
                    CNA_METRICS_TOKEN=secrets.token_urlsafe(24)) as client:
        _is_problem(client.get("/metrics"), 401)
    with app_client() as client:  # development, public reading
        assert client.get("/metrics").status_code == 200


def test_metrics_token_mode_needs_a_token() -> None:
    with pytest.raises(ValidationError):
        Settings(CNA_METRICS="token")
    with pytest.raises(ValidationError):
        Settings(CNA_METRICS="token", CNA_METRICS_TOKEN="short")


def test_metrics_is_rate_limited(db_url: str) -> None:
    with app_client(CNA_RATE_LIMIT_ANONYMOUS="3", CNA_METRICS="public") as client:
        statuses = [client.get("/metrics").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
