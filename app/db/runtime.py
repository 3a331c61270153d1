"""Resolve which PostgreSQL to use: DATABASE_URL, or an embedded server in CNA_DATA_DIR."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from app.core.settings import Settings
from app.db.local_postgres import LocalPostgres, embedded_bin_dir

log = logging.getLogger(__name__)


def embedded_server(settings: Settings) -> LocalPostgres:
    return LocalPostgres(bin_dir=embedded_bin_dir(), data_dir=settings.data_dir / "postgres")


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """Yield a database URL for the duration of a command.

    With DATABASE_URL set, that server is used and nothing is started.  Otherwise the
    embedded server is started if needed, and stopped on exit only by the process that
    started it (a second command against a running server leaves it alone).
    """
    if settings.database_url is not None:
        yield settings.database_url
        return
    server = embedded_server(settings)
    already_running = server.running_port() is not None
    server.start()
    if not already_running:
        log.info("embedded PostgreSQL started on port %s (data in %s)", server.port, server.pgdata)
    try:
        yield server.url("postgres")
    finally:
        if not already_running:
            server.stop()
            log.info("embedded PostgreSQL stopped")
