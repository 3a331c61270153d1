"""`cna serve`, `cna migrate` and `cna seed`: the service and its database."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select
from sqlmodel import Session

from app.cli.common import err, open_database, print_record_errors
from app.db import engine as db_engine
from app.db.migrate import upgrade_head

commands = typer.Typer()
DEMO_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "demo" / "authorities.ndjson"
# Hand-written demo records for the designation types and fields the generator predates.
DEMO_EXTRA_FILE = DEMO_FILE.with_name("designation_bases.ndjson")
# Open requests (a long poll of /v1/changes waits up to 30 s) get this long to finish
# after SIGTERM or Ctrl-C; then they are cut, and the embedded PostgreSQL is stopped.
SHUTDOWN_GRACE_SECONDS = 10


@commands.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    migrate: Annotated[bool, typer.Option(help="Upgrade the schema before serving")] = False,
    seed: Annotated[bool, typer.Option(help="Load reference data, and demo data into an "
                                            "empty directory, before serving")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
) -> None:
    """Serve the API (docs at /docs). Starts an embedded PostgreSQL if DATABASE_URL is unset."""
    import os

    import uvicorn

    from app.main import create_app

    # X-Forwarded-For is applied by the app itself, from CNA_TRUSTED_PROXIES only:
    # uvicorn's own handling would believe it from 127.0.0.1.
    with _sigterm_unwinds(), open_database() as url:
        if migrate:
            upgrade_head(url)
        if seed:
            load_seed_data(demo=True)
        err.print(f"[green]Serving on http://{host}:{port} (docs at /docs)[/green]")
        # uvicorn's own access log would write full paths, invitation tokens included;
        # the application logs each request by its route template (cna.access).
        if workers == 1:
            uvicorn.run(create_app(), host=host, port=port, log_config=None,
                        access_log=False, proxy_headers=False,
                        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS)
            return
        # Worker processes import the app themselves; they share this process's database
        # (the embedded server, if any, stays owned and stopped by this process).
        os.environ["DATABASE_URL"] = url
        uvicorn.run("app.main:create_app", factory=True, host=host, port=port,
                    workers=workers, log_config=None,
                    access_log=False, proxy_headers=False,
                    timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS)


class _Terminated(Exception):
    """SIGTERM arrived: unwind, so that the embedded PostgreSQL is stopped."""


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Make SIGTERM stop the command as Ctrl-C does, running every ``finally`` on the way.

    uvicorn handles SIGTERM while it serves (a graceful shutdown), then raises it again
    with the handler found before it started: by default that kills the process on the
    spot, so the embedded PostgreSQL would be left running.  With this handler the
    re-raised signal unwinds the stack instead, and the command exits 0.
    """

    def unwind(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one is enough: finish stopping
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    except _Terminated:
        err.print("Stopped (SIGTERM).")
    finally:
        signal.signal(signal.SIGTERM, previous)


@commands.command()
def migrate() -> None:
    """Upgrade the database schema to the newest migration (alembic upgrade head)."""
    with open_database() as url:
        upgrade_head(url)
    err.print("[green]Schema is at head.[/green]")


def load_seed_data(demo: bool) -> None:
    """Load the reference data; with ``demo``, the fictional demo records too, when the
    directory is empty (exit 1 if one of them is invalid).  Needs an open database."""
    from app.authorities.models import Authority
    from app.authorities.service import SYSTEM_SEED
    from app.authorities.transfer import import_records, parse_records
    from app.reference.service import invalidate_reference_cache, load_reference, seed_reference

    with Session(db_engine.get_engine()) as session, session.begin():
        counts = seed_reference(session)
    invalidate_reference_cache()
    err.print("Reference data: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if not demo:
        return
    with Session(db_engine.get_engine()) as session, session.begin():
        existing = session.scalar(select(func.count()).select_from(Authority)) or 0
        if existing:
            err.print(f"Demo data skipped: the directory already holds {existing} record(s).")
            return
        demo_text = DEMO_FILE.read_text("utf-8") + DEMO_EXTRA_FILE.read_text("utf-8")
        report = import_records(session, parse_records(demo_text),
                                load_reference(session), SYSTEM_SEED,
                                reason="demo data (fictional)")
        if not report.ok:
            session.rollback()
            print_record_errors(report.as_dict()["errors"])
            raise typer.Exit(1)
    err.print(f"Demo data: {report.counts['created']} fictional record(s) loaded.")


@commands.command()
def seed(
    demo: Annotated[bool, typer.Option(help="Also load the fictional demo records when the "
                                            "directory is empty")] = True,
) -> None:
    """Load reference data (countries, languages, instruments, types) and demo records."""
    with open_database():
        load_seed_data(demo)
