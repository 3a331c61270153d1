"""Sync benchmark (not a test): cold full sync, feed catch-up, and the cost of a 304.

    .venv/bin/python bench/sync.py [--sizes 10000 100000] [--changes 10000] [--rounds 300]

Starts a throwaway PostgreSQL (the embedded one) unless --database-url is given, migrates
it, stores one record through the write path and clones it with SQL into N records (each
with its revision and change row: what export and feed read), serves the API with
`cna serve` in its own process, then measures over HTTP with the reference client
(`app.sync.client`):

- a cold full sync (export into an empty local mirror, then the feed to the head), in
  records/s, for each size;
- a feed catch-up of ``--changes`` changes (limit 1000 a page), in changes/s;
- the median time of a `304` round trip (export and feed with If-None-Match) against
  `GET /healthz`.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CNA = str(Path(sys.executable).with_name("cna"))
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.access.principal import Role  # noqa: E402
from app.access.service import create_key  # noqa: E402
from app.authorities.schemas import validate_record  # noqa: E402
from app.authorities.service import SYSTEM_SEED, save_record  # noqa: E402
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


def grow_to(total: int) -> None:
    """Clone the template record (id and ref changed) until there are ``total`` records."""
    with Session(db_engine.get_engine()) as session:
        have = int(session.execute(text("SELECT count(*) FROM authorities")).scalar_one())
        if have >= total:
            return
        columns = [r[0] for r in session.execute(text(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = 'authorities' "
            "ORDER BY ordinal_position"))]
        select_list = ", ".join(
            "n.id" if c == "id" else "'BENCH-' || n.i" if c == "ref" else f"t.{c}"
            for c in columns)
        session.execute(text("""
            CREATE TEMP TABLE n ON COMMIT DROP AS
            SELECT gen_random_uuid() AS id, i
            FROM generate_series(CAST(:a AS int), CAST(:b AS int)) AS i"""),
            {"a": have + 1, "b": total})
        session.execute(text(f"""
            INSERT INTO authorities ({", ".join(columns)})
            SELECT {select_list} FROM n, (SELECT * FROM authorities WHERE ref = 'BRA-DRCI') t
        """))
        session.execute(text("""
            INSERT INTO revisions (authority_id, version, document, actor, actor_role)
            SELECT n.id, 1, jsonb_set(jsonb_set(r.document, '{id}', to_jsonb(n.id::text)),
                                      '{ref}', to_jsonb('BENCH-' || n.i)),
                   'bench', 'system'
            FROM n, (SELECT document FROM revisions WHERE version = 1 AND
                     document->>'ref' = 'BRA-DRCI') r"""))
        session.execute(text("""
            INSERT INTO changes (authority_id, version, op, country)
            SELECT n.id, 1, 'upsert', 'BRA' FROM n ORDER BY n.i"""))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
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
    try:
        upgrade_head(url)
        db_engine.configure_engine(url)
        with Session(db_engine.get_engine()) as session:
            seed_reference(session)
            save_record(session, validate_record(make_record(), load_reference(session)),
                        SYSTEM_SEED)
            key, _ = create_key(session, Role.network)
            session.commit()

        port = _free_port()
        # The API in its own process, as deployed.  The body timeout is raised because the
        # limits middleware currently also cuts streamed responses after it (see README).
        env = {**os.environ, "DATABASE_URL": url, "CNA_LOG_LEVEL": "warning",
               "CNA_BODY_TIMEOUT_SECONDS": "3600", "CNA_RATE_LIMIT_KEY": "1000000"}
        api = subprocess.Popen([CNA, "serve", "--port", str(port)], env=env)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        auth = {"Authorization": f"Bearer {key}"}
        print(f"PostgreSQL {url.rsplit('@', 1)[-1]}, API {base}")

        with httpx.Client(base_url=base, headers=auth, timeout=600) as http:
            for size in args.sizes:
                grow_to(size)
                with tempfile.TemporaryDirectory() as into:
                    started = time.perf_counter()
                    report = sync(http, Path(into))
                    elapsed = time.perf_counter() - started
                print(f"cold full sync, {report.exported:>7} records: {elapsed:7.2f} s  "
                      f"{report.exported / elapsed:9.0f} records/s")

            with tempfile.TemporaryDirectory() as into:
                sync(http, Path(into))
                add_changes(args.changes)
                started = time.perf_counter()
                report = sync(http, Path(into))
                elapsed = time.perf_counter() - started
            print(f"feed catch-up, {report.changes:>7} changes: {elapsed:7.2f} s  "
                  f"{report.changes / elapsed:9.0f} changes/s")

            exported = http.get("/v1/export", params={"country": "ARG"})
            export_etag, head = exported.headers["etag"], exported.headers["cna-feed-cursor"]
            cursor = http.get("/v1/changes", params={"after": head})
            healthz = median_ms(http, args.rounds, "/healthz", {}, 200)
            feed_304 = median_ms(http, args.rounds, "/v1/changes?after="
                                 + cursor.json()["next_cursor"],
                                 {"If-None-Match": cursor.headers["etag"]}, 304)
            export_304 = median_ms(http, args.rounds, "/v1/export?country=ARG",
                                   {"If-None-Match": export_etag}, 304)
            print(f"median round trip ({args.rounds} each): /healthz {healthz:.2f} ms, "
                  f"feed 304 {feed_304:.2f} ms ({feed_304 / healthz:.1f}x), "
                  f"export 304 {export_304:.2f} ms ({export_304 / healthz:.1f}x)")
        api.terminate()
        api.wait(timeout=30)
    finally:
        db_engine.dispose_engine()
        if server is not None:
            server.destroy()


if __name__ == "__main__":
    main()
