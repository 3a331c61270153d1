"""`cna publish`: the directory as a printable PDF."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import err, open_database, progress_bar

commands = typer.Typer()


class PublishView(StrEnum):
    public = "public"
    full = "full"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place: a
    reader sees the old file or the whole new one, never a part."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".part")
    try:
        # mkstemp makes the file private (0600); give it the mode a new file would get.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as sink:
            sink.write(data)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@commands.command("publish")
def publish(
    output: Annotated[Path, typer.Option("-o", "--output",
                                         help="PDF file to write (replaced whole, "
                                              "or left as it was on failure)")],
    lang: Annotated[str, typer.Option(help="ar, zh, en, fr, ru or es")] = "en",
    view: Annotated[PublishView, typer.Option(help="public, or full (with contacts)")]
        = PublishView.public,
    country: Annotated[list[str] | None, typer.Option(
        help="Only this State (ISO alpha-2 or alpha-3); repeatable")] = None,
    instrument: Annotated[str | None, typer.Option(
        help="Only designations under this instrument (e.g. untoc, uncac)")] = None,
    changes_since: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Add an annex of the records changed since this "
                                   "day (YYYY-MM-DD); withdrawn ones appear only there")]
        = None,
    html: Annotated[bool, typer.Option(help="Write the HTML of the print view "
                                            "instead of the PDF")] = False,
    processes: Annotated[int | None, typer.Option(
        min=1, help="Lay the body out in this many processes at once (default: 2, "
                    "or 1 on a single core)")] = None,
) -> None:
    """Publish the directory as a printable PDF in one of the six UN languages, from one
    consistent snapshot (its feed cursor is on the cover and printed on stderr)."""
    from sqlmodel import Session

    from app.access.principal import Principal, Role
    from app.authorities.documents import View
    from app.core.problems import Problem
    from app.db import engine as db_engine
    from app.publications import parallel, service

    # The operator reads everything, as the secretariat does.
    operator = Principal(role=Role.secretariat)
    with open_database():
        engine = db_engine.get_engine()
        with Session(engine) as session:
            try:
                query = service.resolve_query(
                    session, operator, lang=lang, view=View(view.value),
                    countries=country or [], instrument=instrument,
                    changes_since=changes_since.date() if changes_since else None)
            except Problem as exc:
                for error in exc.errors:
                    err.print(f"[red]{error.message}[/red]")
                raise typer.Exit(2) from None
        with progress_bar() as progress:
            reading = progress.add_task("Reading the snapshot", total=None)

            def advance(records: int, total: int) -> None:
                progress.update(reading, total=total, advance=records)

            directory = service.read_directory(engine, query, progress=advance)
            if not html:
                laying_out = progress.add_task("Laying out pages", total=None)

                def laid_out(page: int) -> None:
                    progress.update(laying_out, description=f"Laying out page {page}")

                data = parallel.publish_pdf(directory, processes, on_page=laid_out)
                progress.update(laying_out, description="Laid out", total=1,
                                completed=1)
            else:
                data = service.render_html(directory).encode("utf-8")
        write_atomically(output, data)
    err.print(f"[green]Published {directory.records} authorit(y/ies) of "
              f"{len(directory.states)} State(s) to {output}.[/green]")
    err.print(f"Feed cursor: {directory.cursor}")
