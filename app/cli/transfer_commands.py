"""`cna import` and `cna export`: records in and out, in the interchange format."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from app.cli.common import err, open_database, print_record_errors, progress_bar
from app.db import engine as db_engine

commands = typer.Typer()


class ExportFormat(StrEnum):
    ndjson = "ndjson"
    csv = "csv"


class ExportView(StrEnum):
    full = "full"
    public = "public"


@commands.command("import")
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
    with open_database(), Session(db_engine.get_engine()) as session:
        with progress_bar() as progress:
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
        print_record_errors(summary["errors"])
        err.print("[red]Nothing was written.[/red]")
        raise typer.Exit(1)
    verb = "Would import" if dry_run else "Imported"
    err.print(f"[green]{verb} {summary['records']} record(s): {summary['created']} created, "
              f"{summary['updated']} updated, {summary['unchanged']} unchanged.[/green]")


@commands.command()
def export(
    format: Annotated[ExportFormat, typer.Option(
        "--format", "-f", help="ndjson (lossless: what cna import reads) or csv (one row "
                               "per designation)")] = ExportFormat.ndjson,
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

    with open_database(), Snapshot(db_engine.get_engine()) as snapshot:
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
            with progress_bar() as progress:
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
