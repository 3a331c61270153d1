"""`cna` commands of the sync domain: the reference sync client and the webhook worker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import err, open_database

commands = typer.Typer()


@commands.command("sync")
def sync_command(
    source: Annotated[str, typer.Option("--from", help="Base URL of a CNA Directory, "
                                                       "e.g. https://cna.example.org")],
    into: Annotated[Path, typer.Option("--into", help="Directory of the local mirror "
                                                      "(mirror.sqlite)")],
    key: Annotated[str | None, typer.Option("--key", envvar="CNA_SYNC_KEY",
                                            help="API key (Bearer cna_…); none: the "
                                                 "public view")] = None,
    follow: Annotated[bool, typer.Option(help="Keep following the feed (long polls) "
                                              "instead of stopping when caught up")] = False,
    wait: Annotated[float, typer.Option(help="Long-poll seconds with --follow")] = 25.0,
) -> None:
    """Mirror a directory: a snapshot export first, then the change feed. Resumes where
    it stopped; every change is applied exactly once, in commit order."""
    import httpx

    from app.sync.client import SyncError, sync

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with httpx.Client(base_url=source.rstrip("/"), headers=headers,
                      timeout=httpx.Timeout(30.0, read=wait + 30.0)) as http:
        try:
            report = sync(http, into, follow=follow, wait=wait,
                          progress=lambda what, n: err.print(f"{what}: {n}"))
        except SyncError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("Stopped; the next run resumes from the stored cursor.")
            raise typer.Exit(130) from None
    err.print(f"[green]In step: {report.exported} record(s) from the export, "
              f"{report.changes} change(s) from the feed; cursor {report.cursor}.[/green]")


@commands.command("webhooks-deliver")
def webhooks_deliver(
    interval: Annotated[float, typer.Option(help="Seconds between passes")] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
) -> None:
    """Deliver webhooks: turn committed changes into signed POSTs, retry with backoff.
    Run as many as you like; they coordinate through PostgreSQL advisory locks."""
    from app.db import engine as db_engine
    from app.webhooks.delivery import run_forever, run_once

    with open_database():
        if once:
            stats = run_once(db_engine.get_engine())
            err.print(f"queued {stats.queued}, delivered {stats.succeeded}, "
                      f"failed {stats.failed}, disabled {len(stats.disabled)}")
            return
        try:
            run_forever(db_engine.get_engine(), interval=interval)
        except KeyboardInterrupt:
            err.print("Stopped.")
