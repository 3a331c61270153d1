"""Sync benchmark (not a test): export against COPY, cold full sync, feed catch-up, and
the cost of a 304.

    .venv/bin/python bench/sync.py [--sizes 10000 100000] [--dataset FILE]
        [--phases export sync feed 304] [--passes 3] [--changes 10000] [--rounds 300]

Starts a throwaway PostgreSQL (the embedded one) unless --database-url is given, migrates
it, stores records through the write path (the one of `make_record()`, or every record of
``--dataset``, any NDJSON of interchange records, up to the largest size) and clones them
with SQL, in turn, into N records (each with its revision and change row: what export and
feed read).  For each size it starts `cna serve` (this tree's code) in its own process,
then measures over HTTP:

- ``export``: `GET /v1/export` in records/s and MiB/s, for the public view (anonymous)
  and the full one (a network key), against PostgreSQL's own `COPY` of the same documents
  (same join, same order) in the same run: the first pass after the server's start apart,
  then ``--passes`` rounds of COPY, public and full in turn (median, min-max).  The goal
  is at least 0.3x COPY's records/s;
- ``sync``: a cold full sync with the reference client (`app.sync.client`: export into an
  empty local mirror, then the feed to the head), in records/s;

and, at the largest size:

- ``feed``: a feed catch-up of ``--changes`` changes (limit 1000 a page), in changes/s;
- ``304``: the median time of a `304` round trip (export, whole and filtered, and feed
  with If-None-Match) against `GET /healthz`; the goal is at most 1.5x.
"""

from __future__ import annotations

import argparse
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
CNA = str(Path(sys.executable).with_name("cna"))
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.access.principal import Role  # noqa: E402
from app.access.service import create_key  # noqa: E402
from app.authorities.schemas import validate_record  # noqa: E402
from app.authorities.service import SYSTEM_SEED, save_record  # noqa: E402
from app.authorities.transfer import import_records, parse_records  # noqa: E402
from app.db import engine as db_engine  # noqa: E402
from app.db.local_postgres import LocalPostgres, embedded_bin_dir  # noqa: E402
from app.db.migrate import upgrade_head  # noqa: E402
from app.reference.service import load_reference, seed_reference  # noqa: E402
from app.sync.client import sync  # noqa: E402
from tests.conftest import make_record  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def store_dataset(path: Path, limit: int) -> int:
    """The first ``limit`` records of an NDJSON file, through the write path; their count."""
    with path.open(encoding="utf-8") as lines:
        text_ = "".join(itertools.islice(lines, limit))
    with Session(db_engine.get_engine()) as session:
        report = import_records(session, parse_records(text_), load_reference(session),
                                SYSTEM_SEED)
        if not report.written:
            sys.exit(f"{path}: {len(report.errors)} invalid record(s), first: "
                     f"{report.errors[0].as_dict() if report.errors else '?'}")
        session.commit()
        return report.records


def grow_to(total: int) -> None:
    """Clone the stored records, in turn (id and ref changed), until there are ``total``."""
    with Session(db_engine.get_engine()) as session:
        have = int(session.execute(text("SELECT count(*) FROM authorities")).scalar_one())
        if have >= total:
            return
        session.execute(text("SET LOCAL statement_timeout = 0"))  # 100k rows take a while
        columns = [r[0] for r in session.execute(text(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = 'authorities' "
            "ORDER BY ordinal_position"))]
        select_list = ", ".join(
            "n.id" if c == "id" else "'BENCH-' || n.i" if c == "ref" else f"t.{c}"
            for c in columns)
        session.execute(text("""
            CREATE TEMP TABLE t ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY a.id) - 1 AS k, a.*, r.document
            FROM authorities a
            JOIN revisions r ON r.authority_id = a.id AND r.version = a.version
            WHERE a.ref NOT LIKE 'BENCH-%'"""))
        templates = int(session.execute(text("SELECT count(*) FROM t")).scalar_one())
        session.execute(text("""
            CREATE TEMP TABLE n ON COMMIT DROP AS
            SELECT gen_random_uuid() AS id, i, i % CAST(:t AS int) AS k
            FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS i"""),
            {"a": have + 1, "b": total, "t": templates})
        session.execute(text(f"""
            INSERT INTO authorities ({", ".join(columns)})
            SELECT {select_list} FROM n JOIN t USING (k)
        """))
        session.execute(text("""
            INSERT INTO revisions (authority_id, version, document, actor, actor_role)
            SELECT n.id, t.version,
                   jsonb_set(jsonb_set(t.document, '{id}', to_jsonb(n.id::text)),
                             '{ref}', to_jsonb('BENCH-' || n.i)),
                   'bench', 'system'
            FROM n JOIN t USING (k)"""))
        session.execute(text("""
            INSERT INTO changes (authority_id, version, op, country)
            SELECT n.id, t.version, 'upsert', t.country FROM n JOIN t USING (k)
            ORDER BY n.i"""))
        session.commit()


def add_changes(count: int) -> None:
    """``count`` more change rows (re-announcing existing revisions), in one commit."""
    with Session(db_engine.get_engine()) as session:
        session.execute(text("""
            INSERT INTO changes (authority_id, version, op, country)
            SELECT id, version, 'upsert', country FROM authorities
            ORDER BY id LIMIT :n"""), {"n": count})
        session.commit()


def median_ms(http: httpx.Client, rounds: int, path: str, headers: dict[str, str],
              expect: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = http.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == expect, (path, response.status_code)
    return statistics.median(times)


EXPORT_SQL = """
    COPY (SELECT r.document FROM authorities a
          JOIN revisions r ON r.authority_id = a.id AND r.version = a.version
          ORDER BY a.country, a.id) TO STDOUT"""
MIB = 1024 * 1024


@dataclass(frozen=True)
class Pass:
    records: int
    size: int  # bytes
    seconds: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    @property
    def mib_rate(self) -> float:
        return self.size / MIB / self.seconds


def copy_pass(conninfo: str, records: int) -> Pass:
    """PostgreSQL's own COPY of the documents the export reads, to this process."""
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        size = 0
        with cur.copy(EXPORT_SQL) as copy:
            for block in copy:
                size += len(block)
        return Pass(records, size, time.perf_counter() - started)


def export_pass(http: httpx.Client) -> Pass:
    started = time.perf_counter()
    size = lines = 0
    with http.stream("GET", "/v1/export") as response:
        assert response.status_code == 200, response.status_code
        for block in response.iter_raw():
            size += len(block)
            lines += block.count(b"\n")
    return Pass(lines, size, time.perf_counter() - started)


def spread(passes: list[Pass]) -> str:
    rates = [p.rate for p in passes]
    return (f"{statistics.median(rates):9.0f} records/s "
            f"({min(rates):.0f}-{max(rates):.0f}), "
            f"{statistics.median(p.mib_rate for p in passes):6.1f} MiB/s")


def bench_export(views: dict[str, httpx.Client], conninfo: str, size: int,
                 passes: int) -> None:
    """The first pass after the server's start, then ``passes`` rounds in turn."""
    first = {"COPY": copy_pass(conninfo, size),
             **{view: export_pass(http) for view, http in views.items()}}
    steady: dict[str, list[Pass]] = {name: [] for name in first}
    for _ in range(passes):
        steady["COPY"].append(copy_pass(conninfo, size))
        for view, http in views.items():
            steady[view].append(export_pass(http))
    copy_first, copy_rate = first["COPY"].rate, statistics.median(
        p.rate for p in steady["COPY"])
    print(f"export, {size} records (first pass; then {passes} passes: median, min-max)")
    print(f"  COPY    first {copy_first:9.0f} records/s; steady {spread(steady['COPY'])}")
    for view in views:
        got = first[view]
        assert got.records == size, (view, got.records, size)
        ratio = statistics.median(p.rate for p in steady[view]) / copy_rate
        print(f"  {view:<7} first {got.rate:9.0f} records/s ({got.rate / copy_first:.2f}x "
              f"COPY); steady {spread(steady[view])}: {ratio:.2f}x COPY "
              f"{'PASS' if ratio >= 0.3 else 'FAIL'} (goal >= 0.3x)")


def start_api(url: str, port: int) -> subprocess.Popen[bytes]:
    """`cna serve` of this tree (PYTHONPATH first, whatever the venv's install points at)."""
    env = {**os.environ, "DATABASE_URL": url, "CNA_LOG_LEVEL": "warning",
           "PYTHONPATH": str(ROOT), "CNA_PUBLIC_READ": "true",
           # The body timeout is raised because the limits middleware currently also cuts
           # streamed responses after it (see README).
           "CNA_BODY_TIMEOUT_SECONDS": "3600", "CNA_RATE_LIMIT_KEY": "1000000",
           "CNA_RATE_LIMIT_ANONYMOUS": "1000000"}
    api = subprocess.Popen([CNA, "serve", "--port", str(port)], env=env)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return api
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    api.terminate()
    raise RuntimeError("the API did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dataset", type=Path,
                        help="NDJSON of interchange records to store and clone "
                             "(default: one generated record)")
    parser.add_argument("--phases", nargs="+", choices=["export", "sync", "feed", "304"],
                        default=["export", "sync", "feed", "304"])
    parser.add_argument("--passes", type=int, default=3,
                        help="export passes after the first, per size")
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    server = None
    url = args.database_url
    if url is None:
        server = LocalPostgres(bin_dir=embedded_bin_dir(),
                               data_dir=Path(tempfile.mkdtemp(prefix="cna-bench-sync-")),
                               durable=False)
        server.start()
        url = server.url()
    conninfo = db_engine.normalise_url(url).replace("postgresql+psycopg://", "postgresql://")
    api: subprocess.Popen[bytes] | None = None
    try:
        upgrade_head(url)
        db_engine.configure_engine(url)
        with Session(db_engine.get_engine()) as session:
            seed_reference(session)
            if args.dataset is None:
                save_record(session, validate_record(make_record(), load_reference(session)),
                            SYSTEM_SEED)
            key, _ = create_key(session, Role.network)
            session.commit()
        source = "1 generated record"
        if args.dataset is not None:
            stored = store_dataset(args.dataset, max(args.sizes))
            source = f"{stored} records of {args.dataset}"
        auth = {"Authorization": f"Bearer {key}"}
        print(f"PostgreSQL {url.rsplit('@', 1)[-1]}; records cloned from {source}")

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        for size in args.sizes:
            grow_to(size)
            with Session(db_engine.get_engine()) as session:
                session.execute(text("ANALYZE"))
                session.commit()
            if api is not None:
                api.terminate()
                api.wait(timeout=30)
            api = start_api(url, port)
            with httpx.Client(base_url=base, headers=auth, timeout=600) as http, \
                    httpx.Client(base_url=base, timeout=600) as anonymous:
                if "export" in args.phases:
                    bench_export({"public": anonymous, "full": http}, conninfo, size,
                                 args.passes)
                if "sync" in args.phases:
                    with tempfile.TemporaryDirectory() as into:
                        started = time.perf_counter()
                        report = sync(http, Path(into))
                        elapsed = time.perf_counter() - started
                    print(f"cold full sync, {report.exported:>7} records: {elapsed:7.2f} s  "
                          f"{report.exported / elapsed:9.0f} records/s")

        with httpx.Client(base_url=base, headers=auth, timeout=600) as http:
            if "feed" in args.phases:
                with tempfile.TemporaryDirectory() as into:
                    sync(http, Path(into))
                    add_changes(args.changes)
                    started = time.perf_counter()
                    report = sync(http, Path(into))
                    elapsed = time.perf_counter() - started
                print(f"feed catch-up, {report.changes:>7} changes: {elapsed:7.2f} s  "
                      f"{report.changes / elapsed:9.0f} changes/s")

            if "304" in args.phases:
                bench_not_modified(http, args.rounds)
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=30)
        db_engine.dispose_engine()
        if server is not None:
            server.destroy()


def bench_not_modified(http: httpx.Client, rounds: int) -> None:
    tags = {}
    for path in ("/v1/export", "/v1/export?country=ARG"):
        with http.stream("GET", path) as response:
            tags[path] = response.headers["etag"]
            head = response.headers["cna-feed-cursor"]
    cursor = http.get("/v1/changes", params={"after": head})
    feed = "/v1/changes?after=" + cursor.json()["next_cursor"]
    tags[feed] = cursor.headers["etag"]
    healthz = median_ms(http, rounds, "/healthz", {}, 200)
    line = [f"median round trip ({rounds} each): /healthz {healthz:.2f} ms"]
    for path, etag in tags.items():
        took = median_ms(http, rounds, path, {"If-None-Match": etag}, 304)
        ratio = took / healthz
        name = "feed" if path == feed else path
        line.append(f"  304 {name}: {took:.2f} ms ({ratio:.2f}x "
                    f"{'PASS' if ratio <= 1.5 else 'FAIL'}, goal <= 1.5x)")
    print("\n".join(line))


if __name__ == "__main__":
    main()
