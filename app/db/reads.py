"""One short read, in as few round trips to the database as it can be."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable
from sqlmodel import Session


def rows_of_one_statement(session: Session, statement: Executable,
                          params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """The rows of one read-only statement, the session left without a transaction.

    A session that has begun one already (an API key was checked on it) reads in it and
    ends it.  Otherwise one statement needs no transaction of its own: on a connection in
    autocommit it costs one round trip, where a transaction costs three (``BEGIN``, the
    statement, ``ROLLBACK``).  Either way the request's session is then idle, so that
    closing it needs no hand-off to a worker thread.
    """
    if session.in_transaction():
        rows = [tuple(row) for row in session.execute(statement, params)]
        session.rollback()
        return rows
    with session.get_bind().engine.connect() as connection:
        autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
        return [tuple(row) for row in autocommit.execute(statement, params)]
