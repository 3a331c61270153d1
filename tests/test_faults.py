"""Faults: the database going away, and the server killed in the middle of an import."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.db import engine as db_engine
from app.db.local_postgres import LocalPostgres, embedded_bin_dir
from app.db.migrate import upgrade_head
from app.reference.service import invalidate_reference_cache, seed_reference
from tests.conftest import make_record

CNA = str(Path(sys.executable).with_name("cna"))


@pytest.fixture
def own_server() -> Iterator[LocalPostgres]:
    """A PostgreSQL of this test's own, so that it can be stopped and started."""
    bin_dir = Path(os.environ.get("CNA_TEST_PG_BINDIR") or embedded_bin_dir())
    if os.environ.get("CNA_TEST_DATABASE_URL") and Path("/usr/lib/postgresql/15/bin").exists():
        bin_dir = Path("/usr/lib/postgresql/15/bin")
    server = LocalPostgres(bin_dir=bin_dir, data_dir=Path(tempfile.mkdtemp(prefix="cna-fault-")),
                           durable=False)
    server.start()
    url = server.url()
    upgrade_head(url)
    engine = db_engine.make_engine(url)
    with Session(engine) as session, session.begin():
        seed_reference(session)
    engine.dispose()
    try:
        yield server
    finally:
        db_engine.dispose_engine()
        server.destroy()


def test_database_stopped_gives_503_quickly_and_recovers_by_itself(
        own_server: LocalPostgres) -> None:
    from app.main import create_app

    db_engine.configure_engine(own_server.url())
    invalidate_reference_cache()
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        assert client.get("/v1/authorities").status_code == 200
        own_server.stop()
        for url in ("/v1/authorities", "/v1/countries/BRA", "/readyz"):
            started = time.monotonic()
            response = client.get(url)
            assert response.status_code == 503, (url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert time.monotonic() - started < 10
        assert client.get("/healthz").status_code == 200
        own_server.start()
        deadline = time.monotonic() + 20
        status = 0
        while time.monotonic() < deadline and status != 200:
            status = client.get("/v1/authorities").status_code
        assert status == 200
        assert client.get("/readyz").status_code == 200


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _count(conninfo: str, sql: str) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def test_sigkill_during_an_import_leaves_all_or_nothing(own_server: LocalPostgres,
                                                        tmp_path: Path) -> None:
    url = own_server.url()
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(
        hide_password=False)
    engine = db_engine.make_engine(url)
    with Session(engine) as session:
        key, _ = create_key(session, Role.secretariat)
        session.commit()
    engine.dispose()
    records: list[dict[str, Any]] = [
        make_record(ref=f"KILL-{i}", phones=[], emails=[], contacts=[]) for i in range(1500)
    ]
    body = "".join(json.dumps(r) + "\n" for r in records).encode()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "CNA_LOG_LEVEL": "warning"}
    server = subprocess.Popen([CNA, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)

        def upload() -> None:
            # The server is killed under us: a transport error is expected.
            with contextlib.suppress(httpx.TransportError):
                httpx.post(f"http://127.0.0.1:{port}/v1/import", content=body, timeout=60,
                           headers={"Authorization": f"Bearer {key}",
                                    "Content-Type": "application/x-ndjson"})

        thread = threading.Thread(target=upload)
        thread.start()
        # Wait until the import's transaction has written something, then kill.
        writing = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not writing:
            writing = _count(conninfo, "select count(*) from pg_stat_activity where "
                                       "application_name = 'cna-directory' and "
                                       "backend_xid is not null") > 0
            time.sleep(0.02)
        assert writing, "the import never started writing"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        thread.join(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    deadline = time.monotonic() + 10  # the orphaned backend notices and rolls back
    while time.monotonic() < deadline and _count(
            conninfo, "select count(*) from pg_stat_activity where "
                      "application_name = 'cna-directory'") > 0:
        time.sleep(0.1)
    stored = _count(conninfo, "select count(*) from authorities")
    changes = _count(conninfo, "select count(*) from changes")
    assert (stored, changes) in ((0, 0), (1500, 1500))
    assert stored == 0, "killed before the commit: nothing may be there"
