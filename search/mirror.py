"""Keeping Meilisearch in step with Postgres: the relay, reindex and the drift check.

The relay reads the change rows (the outbox written in each record's own transaction),
sends the *current* public document of each changed authority in batches, waits for the
Meilisearch task, and marks the rows mirrored only when the task succeeded.  On failure
the rows stay pending with the attempt count and the last error, and the relay backs off.

Two relays never interleave: a batch runs under a transaction-level advisory lock (and
``FOR UPDATE SKIP LOCKED`` on the rows), so batches are applied one after another in
``seq`` order.  A relay killed mid-batch rolls back: its rows are still pending and are
sent again; since a batch carries each authority's current state, sending it twice
changes nothing and an older state is never sent after a newer one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session

from search.documents import Vocabulary, index_document
from search.engine import EngineUnavailable
from search.meili import MeiliClient, MeiliError

log = logging.getLogger(__name__)

# pg advisory lock key of the mirror ("search" in ASCII): relays, reindex and check.
MIRROR_LOCK = 0x736561726368


@dataclass
class BatchOutcome:
    status: str  # idle | busy | sent | failed
    changes: int = 0
    documents: int = 0
    deleted: int = 0
    error: str | None = None


class _Failed(Exception):
    pass


def relay_batch(engine: Engine, client: MeiliClient, index: str, vocab: Vocabulary,
                batch_size: int = 500) -> BatchOutcome:
    """Send one batch of pending changes; the rows are marked only if the task succeeded."""
    seqs: list[int] = []
    try:
        with Session(engine) as session, session.begin():
            if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                  {"k": MIRROR_LOCK}):
                return BatchOutcome("busy")
            rows = session.execute(text(
                "SELECT seq, authority_id FROM changes WHERE mirrored_at IS NULL "
                "ORDER BY seq LIMIT :n FOR UPDATE SKIP LOCKED"), {"n": batch_size}).all()
            if not rows:
                return BatchOutcome("idle")
            seqs = [r[0] for r in rows]
            ids = list(dict.fromkeys(r[1] for r in rows))
            docs = dict(session.execute(text(
                "SELECT authority_id, document FROM search_documents "
                "WHERE authority_id = ANY(:ids)"), {"ids": ids}).all())
            upserts = [index_document(docs[i], vocab) for i in ids if i in docs]
            deletes = [str(i) for i in ids if i not in docs]
            try:
                if upserts:
                    client.wait_task(client.add_documents(index, upserts))
                if deletes:
                    client.wait_task(client.delete_documents(index, deletes))
            except (EngineUnavailable, MeiliError) as e:
                raise _Failed(str(e)) from e
            session.execute(text(
                "UPDATE changes SET mirrored_at = now(), mirror_error = NULL "
                "WHERE seq = ANY(:s)"), {"s": seqs})
            return BatchOutcome("sent", changes=len(seqs), documents=len(upserts),
                                deleted=len(deletes))
    except _Failed as failure:
        error = str(failure)[:2000]
        with Session(engine) as session, session.begin():
            session.execute(text(
                "UPDATE changes SET mirror_attempts = mirror_attempts + 1, "
                "mirror_error = :e WHERE seq = ANY(:s) AND mirrored_at IS NULL"),
                {"s": seqs, "e": error})
        log.warning("search relay batch failed", extra={"error": error,
                                                        "changes": len(seqs)})
        return BatchOutcome("failed", changes=len(seqs), error=error)


def prepare_index(client: MeiliClient, index: str) -> None:
    """Create the index if needed and apply search/meili_settings.json (idempotent)."""
    client.ensure_index(index)
    client.apply_settings(index)


@dataclass
class Relay:
    """The relay loop of ``cna worker``."""

    engine: Engine
    client: MeiliClient
    index: str
    vocab: Vocabulary
    batch_size: int = 500
    poll_interval: float = 1.0
    max_backoff: float = 60.0
    stop: threading.Event = field(default_factory=threading.Event)
    on_batch: Callable[[BatchOutcome], None] | None = None

    def run(self, once: bool = False) -> None:
        """Run until stopped (``once``: until the backlog is empty or a batch fails)."""
        backoff = 0.5
        prepared = False
        while not self.stop.is_set():
            if not prepared:
                try:
                    prepare_index(self.client, self.index)
                    prepared = True
                except (EngineUnavailable, MeiliError) as e:
                    log.warning("cannot prepare the search index", extra={"error": str(e)})
                    if once:
                        return
                    self.stop.wait(backoff)
                    backoff = min(backoff * 2, self.max_backoff)
                    continue
            outcome = relay_batch(self.engine, self.client, self.index, self.vocab,
                                  self.batch_size)
            if self.on_batch:
                self.on_batch(outcome)
            if outcome.status == "sent":
                backoff = 0.5
                continue
            if once:
                return
            if outcome.status == "failed":
                self.stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            else:
                self.stop.wait(self.poll_interval)


def backlog(session: Session, *, meilisearch_configured: bool = False) -> dict[str, Any]:
    """Pending change rows and the age of the oldest, for /metrics."""
    row = session.execute(text(
        "SELECT count(*), extract(epoch FROM now() - min(created_at)), "
        "max(mirror_attempts) FROM changes WHERE mirrored_at IS NULL")).one()
    last_error = session.scalar(text(
        "SELECT mirror_error FROM changes WHERE mirrored_at IS NULL AND mirror_error "
        "IS NOT NULL ORDER BY seq LIMIT 1"))
    return {"meilisearch_configured": meilisearch_configured,
            "pending": int(row[0]),
            "oldest_pending_age_seconds": round(float(row[1]), 3) if row[1] is not None
            else 0.0,
            "max_attempts": int(row[2] or 0), "last_error": last_error}


def metrics(session: Session) -> dict[str, float]:
    """Gauges for /metrics (the metrics work exposes them in Prometheus format)."""
    state = backlog(session)
    return {"cna_search_backlog_changes": float(state["pending"]),
            "cna_search_backlog_oldest_age_seconds": float(state["oldest_pending_age_seconds"])}


@dataclass
class ReindexReport:
    documents: int
    high_water_mark: int
    replayed: int
    swapped_from: str


def reindex(engine: Engine, client: MeiliClient, index: str, vocab: Vocabulary,
            batch: int = 1000,
            progress: Callable[[int, int], None] | None = None) -> ReindexReport:
    """Build a fresh index from a snapshot, swap it in atomically, replay what came after.

    Searches keep answering from the live index until the swap.  Relays are held off
    (advisory lock) while the snapshot is copied; the change rows visible in the snapshot
    are then marked mirrored, and the rows committed after it are replayed.
    """
    fresh = f"{index}_reindex_{uuid.uuid4().hex[:8]}"
    with engine.connect() as lock_conn:
        lock_conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIRROR_LOCK})
        lock_conn.commit()
        try:
            with Session(engine) as snap:
                snap.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                hwm = int(snap.scalar(text("SELECT coalesce(max(seq), 0) FROM changes")) or 0)
                pending = list(snap.execute(text(
                    "SELECT seq FROM changes WHERE mirrored_at IS NULL")).scalars())
                total = int(snap.scalar(text("SELECT count(*) FROM search_documents")) or 0)
                client.ensure_index(index)
                client.apply_settings(index)
                client.create_index(fresh)
                client.apply_settings(fresh)
                sent = 0
                last: uuid.UUID | None = None
                while True:
                    rows = snap.execute(text(
                        "SELECT authority_id, document FROM search_documents "
                        "WHERE (CAST(:last AS uuid) IS NULL OR authority_id > CAST(:last "
                        "AS uuid)) ORDER BY authority_id LIMIT :n"),
                        {"last": last, "n": batch}).all()
                    if not rows:
                        break
                    client.wait_task(client.add_documents(
                        fresh, [index_document(r[1], vocab) for r in rows]))
                    sent += len(rows)
                    last = rows[-1][0]
                    if progress:
                        progress(sent, total)
                snap.rollback()
            client.swap(index, fresh)
            client.delete_index(fresh)  # the old documents, now under the fresh name
            with Session(engine) as session, session.begin():
                for i in range(0, len(pending), 10_000):
                    session.execute(text(
                        "UPDATE changes SET mirrored_at = now(), mirror_error = NULL "
                        "WHERE seq = ANY(:s) AND mirrored_at IS NULL"),
                        {"s": pending[i:i + 10_000]})
        except BaseException:
            with contextlib.suppress(EngineUnavailable, MeiliError):
                if client.get_index(fresh) is not None:
                    client.delete_index(fresh)
            raise
        finally:
            lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIRROR_LOCK})
            lock_conn.commit()
    replayed = 0
    while True:
        outcome = relay_batch(engine, client, index, vocab)
        if outcome.status == "failed":
            raise MeiliError(f"replay after the swap failed: {outcome.error}")
        if outcome.status != "sent":
            break
        replayed += outcome.changes
    return ReindexReport(documents=sent, high_water_mark=hwm, replayed=replayed,
                         swapped_from=fresh)


@dataclass
class CheckReport:
    checked: int
    missing: list[str]
    stale: list[str]
    extra: list[str]
    requeued: int

    @property
    def drift(self) -> int:
        return len(self.missing) + len(self.stale) + len(self.extra)


def check(engine: Engine, client: MeiliClient, index: str, requeue: bool = True,
          progress: Callable[[int], None] | None = None) -> CheckReport:
    """Compare (id, version) between Postgres and the index; re-queue the drift.

    Drifted authorities whose latest change is already marked mirrored get that change
    re-queued (``mirrored_at`` cleared), so the relay sends them again; documents the index
    holds but Postgres does not are deleted from the index.
    """
    with Session(engine) as session:
        expected = {str(a): v for a, v in session.execute(text(
            "SELECT authority_id, version FROM search_documents")).all()}
    seen: dict[str, int] = {}
    for doc in client.iter_documents(index, ["id", "version"]):
        seen[str(doc["id"])] = int(doc.get("version") or 0)
        if progress:
            progress(len(seen))
    missing = sorted(set(expected) - set(seen))
    stale = sorted(k for k in set(expected) & set(seen) if expected[k] != seen[k])
    extra = sorted(set(seen) - set(expected))
    requeued = 0
    if requeue and (missing or stale):
        ids = [uuid.UUID(x) for x in missing + stale]
        with Session(engine) as session, session.begin():
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIRROR_LOCK})
            requeued = session.execute(text("""
                UPDATE changes SET mirrored_at = NULL, mirror_error = NULL
                WHERE seq IN (SELECT max(seq) FROM changes WHERE authority_id = ANY(:ids)
                              GROUP BY authority_id)
                  AND mirrored_at IS NOT NULL
            """), {"ids": ids}).rowcount or 0  # type: ignore[attr-defined]
    if requeue and extra:
        client.wait_task(client.delete_documents(index, extra))
    return CheckReport(checked=len(expected), missing=missing, stale=stale, extra=extra,
                       requeued=requeued)
