"""The change feed and the snapshot export.  All SQL of the sync domain lives here.

How the feed never skips a change
---------------------------------
Sequence values are taken inside transactions, so they would normally commit out of
order: a reader could see seq 11 committed while seq 10 is still in flight, hand out
cursor 11 and skip 10 for ever.  Migration 0004 prevents that at the source: when a
transaction that wrote change rows commits, a deferred constraint trigger takes one
advisory lock, renumbers those rows from the sequence and holds the lock until the commit
is visible.  So ``seq`` order is commit order, and a change that a reader cannot see yet
will get a higher ``seq`` than every change it can see.  The feed therefore serves, from
one snapshot, the visible changes after the cursor in ``seq`` order and may move the
cursor up to the highest visible ``seq`` (the *head*), never beyond.

(Filtering on ``tx_id < pg_snapshot_xmin(...)`` row by row would not be enough: a
transaction may get its xid before another one and its seq after it.)
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine, Integer, Subquery, column, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.authorities.documents import View, format_timestamp, view_of
from app.core.problems import FieldError, Problem
from app.db.reads import rows_of_one_statement
from app.reference.data import FORMAT_VERSION

MAX_WAIT_SECONDS = 30.0
POLL_INTERVAL_SECONDS = 0.2

# --- cursors --------------------------------------------------------------------------------

def encode_cursor(seq: int) -> str:
    return str(seq)


def decode_cursor(raw: str | None, name: str = "after") -> int:
    """Cursors are opaque to clients; today they are the decimal ``seq``."""
    if raw is None or raw == "":
        return 0
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        raise Problem(status=422, title="Invalid request",
                      detail="the cursor is not one this API handed out",
                      errors=[FieldError(("query", name), "invalid cursor", "cursor")])
    return int(raw)


def _begin_snapshot(session: Session) -> None:
    """Start a REPEATABLE READ, read-only transaction: every query sees one snapshot."""
    session.connection(execution_options={"isolation_level": "REPEATABLE READ",
                                          "postgresql_readonly": True})


_HEAD_SQL = "SELECT coalesce(max(seq), 0) AS head FROM changes"


def head(session: Session) -> int:
    """The highest ``seq`` visible in the session's snapshot (0 for an empty log)."""
    return int(session.execute(text(_HEAD_SQL)).scalar_one())


def head_read() -> Subquery:
    """The highest committed ``seq`` as a subquery of one row, for a statement that reads
    something else too (``app/access/policy.py``'s read beside a key check)."""
    return text(_HEAD_SQL).columns(column("head", Integer)).subquery("feed_head")


def head_in_one_read(session: Session) -> int:
    """The highest committed ``seq`` in one round trip, the session left without a
    transaction (``rows_of_one_statement``)."""
    return int(rows_of_one_statement(session, text(_HEAD_SQL))[0][0])


# --- the feed -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChangeRow:
    seq: int
    op: str
    authority_id: uuid.UUID
    version: int
    country: str
    at: datetime
    document: dict[str, Any]


_CHANGES_SQL = """
SELECT c.seq, c.op, c.authority_id, c.version, c.country, c.created_at, r.document
FROM changes c
JOIN revisions r ON r.authority_id = c.authority_id AND r.version = c.version
WHERE c.seq > :after {scope}
ORDER BY c.seq
LIMIT :limit
"""


def changes_after(session: Session, after: int, limit: int,
                  countries: frozenset[str] | list[str] | None = None) -> list[ChangeRow]:
    """Visible change rows after ``after`` in commit order, with their revision document."""
    scope = "AND c.country = ANY(:countries)" if countries is not None else ""
    params: dict[str, Any] = {"after": after, "limit": limit}
    if countries is not None:
        params["countries"] = sorted(countries)
    rows = session.execute(text(_CHANGES_SQL.format(scope=scope)), params).all()
    return [ChangeRow(seq=r[0], op=r[1], authority_id=r[2], version=r[3], country=r[4],
                      at=r[5], document=r[6]) for r in rows]


def entry(row: ChangeRow, view: View) -> dict[str, Any]:
    return {
        "cursor": encode_cursor(row.seq),
        "op": row.op,
        "id": str(row.authority_id),
        "version": row.version,
        "at": format_timestamp(row.at),
        "record": view_of(row.document, view),
    }


@dataclass(frozen=True)
class FeedRead:
    """A page of the feed and the head of the log in the snapshot it was read from."""

    page: dict[str, Any]
    head: int


def feed_etag(after: int, head: int, limit: int, view: View,
              countries: frozenset[str] | None) -> str:
    """The validator of a page, without the page: the changes after ``after`` up to the
    head never change once committed (see the module's docstring), so the page is decided
    by the cursor, the head, the limit, the view and the scope (and the format)."""
    scope = None if countries is None else sorted(countries)
    key = repr((FORMAT_VERSION, after, head, limit, view.value, scope))
    return '"feed-' + hashlib.blake2b(key.encode(), digest_size=12).hexdigest() + '"'


def empty_page(after: int) -> dict[str, Any]:
    """The page when the head of the log is ``after``: nothing new, the same cursor."""
    return {"items": [], "next_cursor": encode_cursor(after), "has_more": False}


def check_cursor(after: int, head: int) -> None:
    if after > head:
        raise Problem(status=422, title="Invalid request",
                      detail="the cursor is ahead of this directory's change log; "
                             "take a new export",
                      errors=[FieldError(("query", "after"), "unknown cursor", "cursor")])


def read_feed(engine: Engine, after: int, limit: int, view: View,
              countries: frozenset[str] | None) -> FeedRead:
    """One page of the feed, read from one snapshot.

    ``next_cursor`` is the last entry's cursor while more entries wait; otherwise the head
    of the log in this snapshot (so changes outside a key's countries are stepped over
    too), and never less than ``after``: an empty page returns the same cursor.
    """
    with Session(engine) as session:
        _begin_snapshot(session)
        top = head(session)
        check_cursor(after, top)
        rows = changes_after(session, after, limit + 1, countries)
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_seq = rows[-1].seq if has_more else max(after, top)
    return FeedRead({"items": [entry(r, view) for r in rows],
                     "next_cursor": encode_cursor(next_seq), "has_more": has_more}, top)


async def wait_for_feed(engine: Engine, watcher: FeedWatcher | None, after: int, limit: int,
                        view: View, countries: frozenset[str] | None,
                        wait: float) -> FeedRead:
    """Long poll: answer as soon as the page has entries (or the cursor moves), at the
    latest after ``wait`` seconds.  The page is read once; then the request waits on the
    process's watcher, without a connection, and reads again only when the log has moved
    past its cursor."""
    deadline = time.monotonic() + min(max(wait, 0.0), MAX_WAIT_SECONDS)
    while True:
        read = await asyncio.to_thread(read_feed, engine, after, limit, view, countries)
        if read.page["items"] or read.page["next_cursor"] != encode_cursor(after):
            return read
        # An empty page with the same cursor: the head of the log is ``after``.
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return read
        if watcher is None:
            raise RuntimeError("long polls need the feed watcher (the app's lifespan starts it)")
        if not await watcher.wait_beyond(after, remaining):
            return read


def read_head(engine: Engine) -> int:
    """The highest committed ``seq``: one short query, outside any transaction of ours."""
    with Session(engine) as session:
        return head(session)


class FeedWatcher:
    """One per process (created in the lifespan): watches the head of the change log for
    every waiting long poll.

    While anyone waits, one short query every ``interval`` seconds reads the head, and
    the waiters whose cursor it has passed are woken to read their page.  So N waiting
    clients cost one query per interval whatever N is, and nobody waiting costs nothing.
    """

    def __init__(self, engine: Engine, interval: float = POLL_INTERVAL_SECONDS) -> None:
        self.engine = engine
        self.interval = interval
        self._head = 0
        self._readings = 0
        self._waiting = 0
        self._changed: asyncio.Condition | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @asynccontextmanager
    async def watching(self) -> AsyncIterator[FeedWatcher]:
        """Run the watcher in the current event loop for the duration of the block."""
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._watch(self._changed), name="feed-watcher")
        try:
            yield self
        finally:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def wait_beyond(self, seq: int, timeout: float) -> bool:
        """True once a reading of the head taken after this call is beyond ``seq``;
        False after ``timeout`` seconds without one."""
        changed = self._changed
        if changed is None or not self.running:
            raise RuntimeError("the feed watcher is not running (the app's lifespan starts it)")
        async with changed:
            taken_before = self._readings
            self._waiting += 1
            changed.notify_all()  # the watcher idles while nobody waits
            try:
                async with asyncio.timeout(timeout):
                    await changed.wait_for(
                        lambda: self._readings > taken_before and self._head > seq)
                return True
            except TimeoutError:
                return False
            finally:
                self._waiting -= 1

    async def _watch(self, changed: asyncio.Condition) -> None:
        while True:
            async with changed:
                await changed.wait_for(lambda: self._waiting > 0)
            try:
                top: int | None = await asyncio.to_thread(read_head, self.engine)
            except SQLAlchemyError:
                top = None  # the waiters' own reads will report the outage
            async with changed:
                if top is not None:
                    self._head = top
                    self._readings += 1
                    changed.notify_all()
            await asyncio.sleep(self.interval)


# --- the snapshot export --------------------------------------------------------------------

@dataclass(frozen=True)
class ExportFilters:
    countries: list[str] | None = None  # None: every country
    updated_since: datetime | None = None


def resolve_countries(session: Session, codes: list[str],
                      loc: tuple[str, ...] = ("query", "country")) -> list[str]:
    """ISO alpha-2 or alpha-3 codes, any case, to alpha-3; a 422 lists each unknown one."""
    from app.reference.service import resolve_filters

    return resolve_filters(session, codes, loc=loc, detail="invalid country code(s)")


def _export_where(filters: ExportFilters) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if filters.countries is not None:
        clauses.append("a.country = ANY(:countries)")
        params["countries"] = filters.countries
    if filters.updated_since is not None:
        clauses.append("a.updated_at >= :updated_since")
        params["updated_since"] = filters.updated_since
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


class Snapshot:
    """One REPEATABLE READ transaction: its records and its feed cursor agree exactly.

    Every change with a ``seq`` up to ``cursor`` is in the snapshot, and every later change
    will be served by the feed after ``cursor``: export + feed is lossless.
    """

    def __init__(self, engine: Engine) -> None:
        self.session = Session(engine)
        try:
            _begin_snapshot(self.session)
            self.cursor = head(self.session)
        except BaseException:
            self.session.close()
            raise

    def count(self, filters: ExportFilters) -> int:
        where, params = _export_where(filters)
        return int(self.session.execute(
            text(f"SELECT count(*) FROM authorities a {where}"), params).scalar_one())

    def documents(self, filters: ExportFilters, view: View,
                  batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Every matching record (withdrawn ones included) in (country, id) order.

        The documents come as JSON text and each is parsed only when its turn comes: a
        batch of parsed documents held at once would outlive the collector's young
        generations and make it walk the whole process (a big one: the search index)
        again and again."""
        where, params = _export_where(filters)
        sql = text(f"""
            SELECT r.document::text FROM authorities a
            JOIN revisions r ON r.authority_id = a.id AND r.version = a.version
            {where}
            ORDER BY a.country, a.id
        """).execution_options(stream_results=True, yield_per=batch)
        loads = orjson.loads
        for document in self.session.execute(sql, params).scalars():
            yield view_of(loads(document), view)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
