"""The pool's check of a connection it hands out: no round trip while the database is up,
and no failed request after the database restarts."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.db import engine as db_engine
from app.db.local_postgres import LocalPostgres
from app.reference.service import invalidate_reference_cache
from tests.conftest import settings_env
from tests.test_faults import own_server

__all__ = ["own_server"]  # the fixture, shared with the fault tests


def count_pings(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The connections the application's engine pings, as they are pinged."""
    dialect = db_engine.get_engine().dialect
    pinged: list[Any] = []
    real_ping = dialect.do_ping

    def ping(dbapi_connection: Any) -> bool:
        pinged.append(dbapi_connection)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", ping)
    return pinged


def test_no_ping_while_the_database_is_up_and_no_failed_request_after_a_restart(
        own_server: LocalPostgres, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.main import create_app

    db_engine.configure_engine(own_server.url())
    invalidate_reference_cache()
    with Session(db_engine.get_engine()) as session:
        key, _ = create_key(session, Role.network)
        session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    with settings_env(CNA_SEARCH_ENGINE="postgres"), \
            TestClient(create_app(), raise_server_exceptions=False) as client:
        pinged = count_pings(monkeypatch)
        paths = ["/v1/authorities", "/v1/changes", "/v1/countries/BRA"]
        for path in paths:
            assert client.get(path, headers=headers).status_code == 200, path
            assert client.get(path).status_code == 200, path
        assert pinged == []  # healthy connections were used without a round trip

        own_server.stop()
        own_server.start()
        statuses = [(path, client.get(path, headers=headers).status_code,
                     client.get(path).status_code) for path in paths]
        assert statuses == [(path, 200, 200) for path in paths]
        assert pinged == []  # the closed connections were told by their sockets
