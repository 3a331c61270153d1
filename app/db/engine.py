"""Engine and session factory: one engine per process, built from the resolved URL."""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

_engine: Engine | None = None


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def is_quiet(dbapi_connection: Any) -> bool:
    """Whether an idle connection has nothing to read.  A server that restarted, or ended
    the session, has closed the socket or written why before it did; either makes the
    socket readable, which a poll with no timeout tells without a round trip."""
    if dbapi_connection.closed:
        return False
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


def check_on_checkout(engine: Engine) -> None:
    """Check each connection the pool hands out without a round trip, instead of a ping
    per checkout.  An idle connection has nothing to read; one whose socket is readable
    was closed by the server (a restart, a terminated session), so the pool drops it and
    hands out a new one, and no request meets it.  One of the pool's connections found
    so after a restart leaves the others to be found out in turn, each at its checkout."""

    def check(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
        if not is_quiet(dbapi_connection):
            raise DisconnectionError("the database closed the connection")

    event.listen(engine, "checkout", check)


def make_engine(url: str) -> Engine:
    engine = create_engine(
        normalise_url(url),
        pool_pre_ping=False,  # check_on_checkout below
        pool_size=10,
        max_overflow=20,
        pool_timeout=10,
        connect_args={
            "connect_timeout": 5,
            "application_name": "cna-directory",
            # No statement may hold a worker longer than this; requests fail with 503
            # rather than hang when the database stalls.
            "options": "-c statement_timeout=30000 -c idle_in_transaction_session_timeout=60000",
            "keepalives": 1,
            "keepalives_idle": 30,
        },
        # JSONB columns (revisions, search documents) are parsed by orjson: several
        # times faster than the standard library on whole records.
        json_deserializer=orjson.loads,
    )
    check_on_checkout(engine)
    return engine


def configure_engine(url: str) -> Engine:
    global _engine
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url)
    return _engine


def get_engine() -> Engine:
    if _engine is None:
        raise RuntimeError("database engine is not configured; call configure_engine() first")
    return _engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def is_configured() -> bool:
    return _engine is not None


def dispose_engine() -> None:
    global _engine
    if _engine is not None:
        _engine.dispose()
        _engine = None
