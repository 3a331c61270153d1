"""`cna reminders`: send the digests of records to verify by hand (the weekly job of
`cna worker` does the same)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.cli.common import alpha3_codes, err, open_database

commands = typer.Typer(name="reminders", help="Reminders to focal points of records to "
                                              "verify.", no_args_is_help=True)


@commands.command("send")
def reminders_send(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List who would get a digest "
                                                            "and which records; send "
                                                            "nothing")] = False,
    country: Annotated[str | None, typer.Option(help="Only this State (ISO alpha-2 or "
                                                     "alpha-3)")] = None,
    deliver: Annotated[bool, typer.Option(help="Also run one pass of the mail worker now "
                                               "(else `cna worker` sends them)")] = True,
) -> None:
    """Queue one digest per focal point whose State has records not verified for
    CNA_VERIFY_AFTER_MONTHS, unless they had one in the last 7 days."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from app.core.settings import get_settings
    from app.db import engine as db_engine
    from app.mail.worker import run_once
    from app.reference.service import load_reference
    from app.reminders.service import send_reminders

    settings = get_settings()
    with open_database():
        engine = db_engine.get_engine()
        with Session(engine, expire_on_commit=False) as session, session.begin():
            alpha3 = alpha3_codes(load_reference(session), [country])[0] if country else None
            run = send_reminders(session, settings, now=datetime.now(UTC), trigger="cli",
                                 country=alpha3, dry_run=dry_run)
            if dry_run:
                session.rollback()
        table = Table(title="Would send" if dry_run else "Queued")
        for column in ("to", "language", "States", "records"):
            table.add_column(column)
        for digest in run.digests:
            table.add_row(digest.email, digest.language, ", ".join(digest.countries),
                          str(len(digest.records)))
        Console().print(table)
        if run.recently_reminded:
            err.print(f"{len(run.recently_reminded)} focal point(s) had a digest in the last "
                      "7 days and get none now.")
        if dry_run or not deliver or not run.digests:
            return
        stats = run_once(engine, settings)
    err.print(f"Mail pass: {stats.sent} sent, {stats.retrying} to retry, "
              f"{stats.failed} failed.")
