"""The ``cna`` command line."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlmodel import Session

from app.cli import (
    account_commands,
    mail_commands,
    publish_commands,
    reminder_commands,
    search_commands,
    sync_commands,
)
from app.core.settings import get_settings
from app.db import engine as db_engine
from app.db.migrate import upgrade_head
from app.db.runtime import database_url

app = typer.Typer(
    name="cna",
    help="CNA Directory: the directory of competent national authorities.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
DEMO_FILE = Path(__file__).resolve().parents[2] / "seed_data" / "demo" / "authorities.ndjson"
# Hand-written demo records for the designation types and fields the generator predates.
DEMO_EXTRA_FILE = DEMO_FILE.with_name("designation_bases.ndjson")
# Open requests (a long poll of /v1/changes waits up to 30 s) get this long to finish
# after SIGTERM or Ctrl-C; then they are cut, and the embedded PostgreSQL is stopped.
SHUTDOWN_GRACE_SECONDS = 10


class ExportFormat(StrEnum):
    ndjson = "ndjson"
    csv = "csv"


class ExportView(StrEnum):
    full = "full"
    public = "public"


@contextmanager
def _database() -> Iterator[str]:
    with database_url(get_settings()) as url:
        db_engine.configure_engine(url)
        try:
            yield url
        finally:
            db_engine.dispose_engine()


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(),
        MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=False,
        disable=not err.is_terminal,
    )


@app.command()
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
    with _sigterm_unwinds(), _database() as url:
        if migrate:
            upgrade_head(url)
        if seed:
            _seed(demo=True)
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
        uvicorn.run("app.main:app", host=host, port=port, workers=workers, log_config=None,
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


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the newest migration (alembic upgrade head)."""
    with _database() as url:
        upgrade_head(url)
    err.print("[green]Schema is at head.[/green]")


def _seed(demo: bool) -> None:
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
            _print_errors(report.as_dict()["errors"])
            raise typer.Exit(1)
    err.print(f"Demo data: {report.counts['created']} fictional record(s) loaded.")


@app.command()
def seed(
    demo: Annotated[bool, typer.Option(help="Also load the fictional demo records when the "
                                            "directory is empty")] = True,
) -> None:
    """Load reference data (countries, languages, instruments, types) and demo records."""
    with _database():
        _seed(demo)


def _print_errors(errors: list[dict[str, object]], limit: int = 200) -> None:
    table = Table(title=f"{len(errors)} invalid record(s)", show_lines=False)
    table.add_column("line", justify="right")
    table.add_column("record")
    table.add_column("field")
    table.add_column("problem")
    shown = 0
    for record in errors:
        label = str(record.get("ref") or record.get("id") or "")
        for field_error in record["errors"]:  # type: ignore[attr-defined]
            if shown < limit:
                table.add_row(str(record["line"]), label, field_error["pointer"] or "/",
                              field_error["detail"])
            shown += 1
    err.print(table)
    if shown > limit:
        err.print(f"… and {shown - limit} more field error(s)")


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="NDJSON or JSON array file; '-' reads stdin",
                                         allow_dash=True)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report; write "
                                                            "nothing")] = False,
    reason: Annotated[str | None, typer.Option(help="Reason recorded in history")] = None,
    json_report: Annotated[bool, typer.Option("--json", help="Print the report as JSON on "
                                                             "stdout")] = False,
) -> None:
    """Import records, all or nothing: any bad record means nothing is written (exit 1)."""
    from app.authorities.service import Actor
    from app.authorities.transfer import import_records, parse_records
    from app.reference.service import load_reference

    text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    sources = list(parse_records(text))
    with _database(), Session(db_engine.get_engine()) as session:
        with _progress() as progress:
            task = progress.add_task("Validating and importing", total=len(sources))
            session.begin()
            report = import_records(
                session, sources, load_reference(session),
                Actor(name=f"cli:import:{file.name}", role="secretariat"),
                dry_run=dry_run, progress=lambda n: progress.advance(task, n), reason=reason,
            )
        if report.written:
            session.commit()
        else:
            session.rollback()
    summary = report.as_dict()
    if json_report:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    if not report.ok:
        _print_errors(summary["errors"])
        err.print("[red]Nothing was written.[/red]")
        raise typer.Exit(1)
    verb = "Would import" if dry_run else "Imported"
    err.print(f"[green]{verb} {summary['records']} record(s): {summary['created']} created, "
              f"{summary['updated']} updated, {summary['unchanged']} unchanged.[/green]")


@app.command()
def export(
    format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.ndjson,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write; "
                                                "stdout by default")] = None,
    view: Annotated[ExportView, typer.Option(help="full (with contacts and restricted "
                                                  "entries) or public")] = ExportView.full,
    country: Annotated[list[str] | None, typer.Option(help="Only this country (ISO alpha-2 "
                                                           "or alpha-3); repeatable")] = None,
    updated_since: Annotated[datetime | None, typer.Option(
        help="Only records changed since (YYYY-MM-DD[THH:MM:SS], UTC)")] = None,
    cursor_file: Annotated[Path | None, typer.Option(help="Also write the feed cursor to "
                                                          "continue from to this file")] = None,
) -> None:
    """Export every record (withdrawn ones included) as NDJSON, or CSV (one row per designation).

    One consistent snapshot; the feed cursor from which `GET /v1/changes?after=` continues
    losslessly is printed on stderr.
    """
    from app.authorities.documents import View
    from app.authorities.transfer import to_csv, to_ndjson
    from app.reference.data import FORMAT_VERSION
    from app.reference.service import load_reference
    from app.sync.service import ExportFilters, Snapshot

    with _database(), Snapshot(db_engine.get_engine()) as snapshot:
        countries = None
        if country:
            reference = load_reference(snapshot.session)
            found = [reference.country_by_any_code(c) for c in country]
            unknown = [c for c, f in zip(country, found, strict=True) if f is None]
            if unknown:
                err.print(f"[red]Unknown country code(s): {', '.join(unknown)}[/red]")
                raise typer.Exit(2)
            countries = [f.alpha3 for f in found if f is not None]
        filters = ExportFilters(countries=countries, updated_since=updated_since)
        total = snapshot.count(filters)
        documents = snapshot.documents(filters, View(view.value))
        chunks = to_ndjson(documents) if format is ExportFormat.ndjson else to_csv(documents)
        sink = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            with _progress() as progress:
                task = progress.add_task("Exporting", total=total)
                for chunk in chunks:
                    sink.write(chunk)
                    progress.advance(task, 1)
        finally:
            if output:
                sink.close()
        cursor = str(snapshot.cursor)
    if cursor_file:
        cursor_file.write_text(cursor + "\n", encoding="utf-8")
    if output:
        err.print(f"[green]Exported {total} record(s) to {output}.[/green]")
    err.print(f"Interchange format version: {FORMAT_VERSION} (docs/interchange.md)")
    err.print(f"Feed cursor: {cursor} (continue with GET /v1/changes?after={cursor})")


keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="official, network, focal_point or secretariat")],
    countries: Annotated[str | None, typer.Option(help="Comma-separated ISO codes, e.g. "
                                                        "BRA,ARG")] = None,
    expires: Annotated[str | None, typer.Option(help="Expiry date, YYYY-MM-DD (UTC)")] = None,
    label: Annotated[str | None, typer.Option(help="Who or what the key is for")] = None,
) -> None:
    """Create a key. It is printed once, on stdout; only its digest is stored."""
    from datetime import UTC, datetime

    from app.access.principal import Role
    from app.access.service import create_key, key_expiry
    from app.reference.service import load_reference

    try:
        chosen_role = Role(role)
    except ValueError:
        err.print(f"[red]Unknown role {role!r}; use one of: "
                  f"{', '.join(r.value for r in Role)}[/red]")
        raise typer.Exit(2) from None
    expires_at = None
    if expires:
        try:
            expires_at = datetime.fromisoformat(expires).replace(tzinfo=UTC)
        except ValueError:
            err.print(f"[red]--expires must be a date like 2027-12-31, not {expires!r}[/red]")
            raise typer.Exit(2) from None
        try:
            expires_at = key_expiry(expires_at)
        except ValueError as exc:
            err.print(f"[red]--expires {exc}[/red]")
            raise typer.Exit(2) from None
    requested = None
    if countries is not None:
        requested = [code.strip() for code in countries.split(",") if code.strip()]
        if not requested:  # an empty list would be stored as none: every country
            err.print("[red]--countries needs at least one country code; leave it out "
                      "for every country[/red]")
            raise typer.Exit(2)
    with _database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
        codes = None
        if requested is not None:
            reference = load_reference(session)
            codes = []
            for code in requested:
                country = reference.country_by_any_code(code)
                if country is None:
                    err.print(f"[red]Unknown country {code!r}[/red]")
                    raise typer.Exit(2)
                codes.append(country.alpha3)
        key, row = create_key(session, chosen_role, codes, expires_at, label,
                              created_by="cli")
        session.commit()
    err.print(f"Created {row.role} key {row.prefix}"
              + (f" for {', '.join(row.countries)}" if row.countries else "")
              + ". Store it now: it is not shown again.")
    typer.echo(key)


@keys_app.command("list")
def keys_list(
    all_keys: Annotated[bool, typer.Option("--all", help="Include revoked keys")] = False,
) -> None:
    """List keys: prefix, role, countries, expiry, last use."""
    from app.access.service import list_keys

    table = Table()
    for column in ("prefix", "role", "countries", "label", "expires", "last used", "revoked"):
        table.add_column(column)
    with _database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
        for row in list_keys(session, include_revoked=all_keys):
            table.add_row(row.prefix, row.role, ",".join(row.countries or []) or "all",
                          row.label or "", _when(row.expires_at), _when(row.last_used_at),
                          _when(row.revoked_at))
    Console().print(table)


def _when(moment: object) -> str:
    return moment.isoformat(timespec="seconds") if hasattr(moment, "isoformat") else ""


@keys_app.command("revoke")
def keys_revoke(
    key_or_prefix: Annotated[str, typer.Argument(help="The key, or its 8-character prefix")],
) -> None:
    """Revoke a key: it is refused from now on (and kept, marked revoked)."""
    from app.access.service import revoke_key

    with _database(), Session(db_engine.get_engine(), expire_on_commit=False) as session:
        row = revoke_key(session, key_or_prefix)
        session.commit()
    if row is None:
        err.print(f"[red]No key {key_or_prefix!r}[/red]")
        raise typer.Exit(1)
    err.print(f"Key {row.prefix} is revoked.")


search_commands.register(app)
sync_commands.register(app)
account_commands.register(app)
mail_commands.register(app)
publish_commands.register(app)
reminder_commands.register(app)


if __name__ == "__main__":
    app()
