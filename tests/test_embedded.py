"""With DATABASE_URL unset, the service runs its own PostgreSQL in CNA_DATA_DIR."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from app.core.settings import Settings
from app.db.runtime import database_url, embedded_server

CNA = str(Path(sys.executable).with_name("cna"))


@pytest.fixture
def work_dir() -> Iterator[Path]:
    """A directory outside pytest's basetemp: a concurrent pytest session resets that to
    0700, which would lock out the unprivileged user the server runs as."""
    path = Path(tempfile.mkdtemp(prefix="cna-embedded-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_embedded_server_starts_in_data_dir_with_utf8_locale_and_stops(work_dir: Path) -> None:
    settings = Settings(DATABASE_URL=None, CNA_DATA_DIR=work_dir / "data")
    with database_url(settings) as url:
        with psycopg.connect(_conninfo(url)) as conn:
            version = conn.execute("show server_version_num").fetchone()
            ctype = conn.execute("select datctype from pg_database "
                                 "where datname = current_database()").fetchone()
            conn.execute("create table kept (v text)")
            conn.execute("insert into kept values ('Министерство юстиции')")
            conn.commit()
        assert version is not None and int(version[0]) >= 180000
        assert ctype is not None and ctype[0] in ("C.UTF-8", "C.utf8")
        assert (work_dir / "data" / "postgres" / "pgdata" / "PG_VERSION").exists()
    server = embedded_server(settings)
    assert server.running_port() is None, "the server must stop with the command"

    # The data directory is reused: a second run sees the first run's data.
    with database_url(settings) as url, psycopg.connect(_conninfo(url)) as conn:
        row = conn.execute("select v from kept").fetchone()
    assert row == ("Министерство юстиции",)
    assert server.running_port() is None


def test_a_second_user_of_a_running_server_leaves_it_running(work_dir: Path) -> None:
    settings = Settings(DATABASE_URL=None, CNA_DATA_DIR=work_dir / "data")
    with database_url(settings) as outer:
        with database_url(settings) as inner:
            assert inner == outer
        with psycopg.connect(_conninfo(outer)) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
    assert embedded_server(settings).running_port() is None


def test_database_url_set_means_nothing_embedded_is_started(work_dir: Path,
                                                            server_url: str) -> None:
    settings = Settings(DATABASE_URL=server_url, CNA_DATA_DIR=work_dir / "data")
    with database_url(settings) as url:
        assert url == server_url
    assert not (work_dir / "data").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="checks the root code path; not running as root")
def test_runs_as_root_by_dropping_to_an_unprivileged_user(work_dir: Path) -> None:
    settings = Settings(DATABASE_URL=None, CNA_DATA_DIR=work_dir / "data")
    with database_url(settings):
        pgdata = work_dir / "data" / "postgres" / "pgdata"
        assert pgdata.stat().st_uid != 0


def test_cli_migrate_and_seed_on_the_embedded_server(work_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["CNA_DATA_DIR"] = str(work_dir / "cna")
    for args in (["migrate"], ["seed", "--no-demo"]):
        result = subprocess.run([CNA, *args], capture_output=True, text=True, env=env,
                                timeout=300)
        assert result.returncode == 0, result.stderr
    assert "249 countries" in result.stderr
    assert embedded_server(Settings(CNA_DATA_DIR=work_dir / "cna")).running_port() is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sigterm_stops_serve_and_its_embedded_postgres(work_dir: Path) -> None:
    """`docker stop`, systemd and Kubernetes stop a service with SIGTERM: the embedded
    PostgreSQL must stop with `cna serve`, as it does on Ctrl-C."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["CNA_DATA_DIR"] = str(work_dir / "cna")
    env["CNA_SEARCH_ENGINE"] = "postgres"
    server = embedded_server(Settings(CNA_DATA_DIR=work_dir / "cna"))
    port = _free_port()
    log = work_dir / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen([CNA, "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "cna serve did not answer in time"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        pid_file = server.pgdata / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        leftover = server.running_port() is not None
        server.stop()  # never leave a server behind, whatever happened above
    assert exit_code == 0, log.read_text()
    assert not leftover, "the embedded PostgreSQL outlived cna serve"
    assert not pid_file.exists()
    assert not _alive(postmaster)


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie waiting to be reaped."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat_line.rsplit(")", 1)[1].split()[0] != "Z"
