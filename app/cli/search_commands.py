"""`cna` commands of the search domain: worker, reindex, search-check."""

from __future__ import annotations

import json
import signal
from typing import Annotated, Any

import typer

from app.cli.common import err, open_database, progress_bar, require_mail_settings

commands = typer.Typer()


def _client(timeout: float = 30.0) -> Any:
    from app.core.settings import get_settings
    from app.search.meili_access import meili_client

    client = meili_client(get_settings(), request_timeout=timeout)
    if client is None:
        err.print("[red]MEILI_URL is not set:[/] search runs on Postgres and there is no "
                  "Meilisearch index to maintain.")
        raise typer.Exit(2)
    return client


@commands.command("worker")
def worker(
    once: Annotated[bool, typer.Option(help="Drain the backlog once and exit")] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000,
                                            help="Change rows per Meilisearch task")] = 500,
    poll_interval: Annotated[float, typer.Option(help="Seconds between polls when idle")]
    = 1.0,
) -> None:
    """Run the background work: webhook delivery, mail (SMTP, or the local Maildir
    without CNA_SMTP_URL), the weekly reminder digests (CNA_REMINDER_DAYS), the daily
    digest of new proposals for the secretariat (CNA_PROPOSALS_DIGEST_HOUR), and the search
    relay (change rows → Meilisearch) when MEILI_URL is set.

    Any number of workers may run: they coordinate through Postgres (advisory locks, SKIP
    LOCKED).  Stop with Ctrl-C or SIGTERM; a batch in flight is rolled back and sent again
    later.
    """
    import threading

    from app.core.settings import get_settings
    from app.db import engine as db_engine
    from app.mail import worker as mail_worker
    from app.proposals import worker as digest_worker
    from app.reminders import worker as reminder_worker
    from app.search.indexing import vocabulary
    from app.search.meili_access import meili_client
    from app.webhooks import delivery
    from search.mirror import BatchOutcome, Relay

    require_mail_settings(get_settings())
    with open_database():
        engine = db_engine.get_engine()
        stop_event = threading.Event()
        if once:
            stats = delivery.run_once(engine)
            err.print(f"webhooks: queued {stats.queued}, delivered {stats.succeeded}, "
                      f"failed {stats.failed}")
            reminded = reminder_worker.run_once(engine)
            if reminded is not None:
                err.print(f"reminders: queued {len(reminded.digests)} digest(s)")
            digest = digest_worker.run_once(engine)
            if digest is not None:
                err.print(f"proposals digest: queued for {digest.recipients} recipient(s)")
            mail = mail_worker.run_once(engine)
            err.print(f"mail: sent {mail.sent}, to retry {mail.retrying}, "
                      f"failed {mail.failed}")
        else:
            webhooks = threading.Thread(target=delivery.run_forever, name="webhooks",
                                        kwargs={"engine": engine, "interval": poll_interval,
                                                "stop": stop_event}, daemon=True)
            webhooks.start()
            mailer = threading.Thread(target=mail_worker.run_forever, name="mail",
                                      kwargs={"engine": engine, "interval": poll_interval,
                                              "stop": stop_event}, daemon=True)
            mailer.start()
            reminders = threading.Thread(target=reminder_worker.run_forever, name="reminders",
                                         kwargs={"engine": engine, "stop": stop_event},
                                         daemon=True)
            reminders.start()
            digests = threading.Thread(target=digest_worker.run_forever, name="digests",
                                       kwargs={"engine": engine, "stop": stop_event},
                                       daemon=True)
            digests.start()
        client = meili_client(get_settings(), request_timeout=30.0)
        relay = None
        if client is not None:
            relay = Relay(engine, client, get_settings().meili_index, vocabulary(),
                          batch_size=batch_size, poll_interval=poll_interval)

            def report(outcome: BatchOutcome) -> None:
                if outcome.status == "sent":
                    err.print(f"mirrored {outcome.changes} change(s): {outcome.documents} "
                              f"document(s), {outcome.deleted} deletion(s)")
                elif outcome.status == "failed":
                    err.print(f"[yellow]batch failed, will retry:[/] {outcome.error}")

            relay.on_batch = report
        elif not once:
            err.print("MEILI_URL is not set: no search relay (search runs on Postgres); "
                      "delivering webhooks and mail.")

        def stop(*_: Any) -> None:
            stop_event.set()
            if relay is not None:
                relay.stop.set()

        signal.signal(signal.SIGTERM, stop)
        try:
            if relay is not None:
                relay.run(once=once)
            elif not once:
                while not stop_event.wait(0.5):
                    pass
        except KeyboardInterrupt:
            stop()
        finally:
            stop_event.set()


@commands.command("reindex")
def reindex(
    postgres_only: Annotated[bool, typer.Option(
        "--postgres-only", help="Only rebuild the derived search documents in Postgres "
                                "(after an upgrade); needs no Meilisearch")] = False,
    batch_size: Annotated[int, typer.Option(
        min=1, max=10_000, help="Records per Meilisearch task (or per Postgres batch)")] = 1000,
) -> None:
    """Rebuild the search index: a fresh Meilisearch index from a snapshot, swapped in
    atomically (swap-indexes), then the changes past the snapshot replayed.  Searches
    keep answering from the old index until the swap."""
    from sqlmodel import Session

    from app.core.settings import get_settings
    from app.db import engine as db_engine
    from app.search.indexing import rebuild_search_documents, vocabulary
    from search.mirror import reindex as run_reindex

    with open_database():
        engine = db_engine.get_engine()
        if postgres_only:
            with Session(engine) as session, session.begin():
                count = rebuild_search_documents(session, batch=batch_size)
            err.print(f"Rebuilt {count} search document(s) in Postgres.")
            return
        client = _client()
        with progress_bar() as progress:
            task = progress.add_task("Indexing", total=None)

            def step(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = run_reindex(engine, client, get_settings().meili_index, vocabulary(),
                                 batch=batch_size, progress=step)
        err.print(f"Indexed {report.documents} document(s) up to change {report.high_water_mark}"
                  f", swapped in; replayed {report.replayed} later change(s).")


@commands.command("search-check")
def search_check(
    requeue: Annotated[bool, typer.Option(help="Re-queue the drift (else only report)")]
    = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Compare (id, version) between Postgres and the Meilisearch index; re-queue drift.
    Exits 1 when drift was found."""
    from app.core.settings import get_settings
    from app.db import engine as db_engine
    from search.mirror import check

    with open_database():
        client = _client()
        with progress_bar() as progress:
            task = progress.add_task("Reading the index", total=None)
            report = check(db_engine.get_engine(), client, get_settings().meili_index,
                           requeue=requeue,
                           progress=lambda n: progress.update(task, completed=n))
    summary = {"checked": report.checked, "missing": report.missing, "stale": report.stale,
               "extra": report.extra, "requeued": report.requeued}
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        err.print(f"Checked {report.checked} record(s): {len(report.missing)} missing, "
                  f"{len(report.stale)} stale, {len(report.extra)} extra in the index; "
                  f"{report.requeued} re-queued.")
    if report.drift:
        raise typer.Exit(1)
