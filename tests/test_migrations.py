"""The schema changes only through Alembic: migrations and models must agree."""

from __future__ import annotations

from typing import Any

import psycopg
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.db.engine import make_engine
from app.db.metadata import metadata
from app.db.migrate import alembic_config, upgrade_head
from tests.conftest import _admin_conninfo, _with_database

EXPECTED_TABLES = {
    "countries", "languages", "instruments", "articles", "designation_types", "authorities",
    "designations", "phones", "emails", "contacts", "revisions", "changes", "api_keys",
    "proposals",
}


def _empty_database(server_url: str, name: str) -> str:
    with psycopg.connect(_admin_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_database(server_url, name)


def _drop(server_url: str, name: str) -> None:
    with psycopg.connect(_admin_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_head_on_empty_database_creates_every_table(server_url: str,
                                                            worker_id: str) -> None:
    name = f"cna_migrate_{worker_id}"
    url = _empty_database(server_url, name)
    try:
        upgrade_head(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            current = conn.execute(sa.text("select version_num from alembic_version")).scalar()
        engine.dispose()
        assert tables >= EXPECTED_TABLES
        heads = ScriptDirectory.from_config(alembic_config(url)).get_heads()
        assert heads == [current], "one linear history, applied to its head"
    finally:
        _drop(server_url, name)


def test_models_and_migrations_agree(template_url: str) -> None:
    engine = make_engine(template_url)
    with engine.connect() as conn:
        diff: list[Any] = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_downgrade_to_base_and_upgrade_again(server_url: str, worker_id: str) -> None:
    name = f"cna_downgrade_{worker_id}"
    url = _empty_database(server_url, name)
    try:
        upgrade_head(url)
        command.downgrade(alembic_config(url), "base")
        engine = make_engine(url)
        with engine.connect() as conn:
            assert not EXPECTED_TABLES & set(sa.inspect(conn).get_table_names())
        engine.dispose()
        upgrade_head(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) >= EXPECTED_TABLES
        engine.dispose()
    finally:
        _drop(server_url, name)


def test_database_uses_utf8_so_trigrams_see_non_latin_letters(template_url: str) -> None:
    engine = make_engine(template_url)
    with engine.connect() as conn:
        encoding = conn.execute(sa.text("select pg_encoding_to_char(encoding) from pg_database "
                                        "where datname = current_database()")).scalar()
        lower = conn.execute(sa.text("select lower('БРАЗИЛИЯ')")).scalar()
    engine.dispose()
    assert encoding == "UTF8"
    assert lower == "бразилия"


def test_0007_clears_receivers_answers_from_the_webhook_log(server_url: str,
                                                            worker_id: str) -> None:
    """Attempts logged before 0007 kept 200 characters of what the receiver answered, and
    the API handed them back; after the upgrade only the status or the error's kind stays."""
    name = f"cna_0007_{worker_id}"
    url = _empty_database(server_url, name)
    secret = "internal-page-secret"
    try:
        command.upgrade(alembic_config(url), "0006")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO webhook_endpoints (id, url, event_types, secret_ciphertext, "
                "status, disabled_reason, owner_role, created_by) VALUES "
                "('00000000-0000-0000-0000-000000000001', 'https://r.example/', "
                "ARRAY['ping'], 'x', 'disabled', :reason, 'network', 'k')"),
                {"reason": f"failing since 2026-11-30T00:00:00Z (last: HTTP 500: {secret})"})
            conn.execute(sa.text(
                "INSERT INTO webhook_deliveries (id, endpoint_id, msg_id, event_type, payload, "
                "status, last_error) VALUES (1, '00000000-0000-0000-0000-000000000001', 'm', "
                "'ping', '{}', 'failed', :error)"), {"error": f"HTTP 404: <h1>{secret}</h1>"})
            conn.execute(sa.text(
                "INSERT INTO webhook_attempts (delivery_id, attempted_at, error, duration_ms) "
                "VALUES (1, now(), :a, 1), (1, now(), :b, 1), (1, now(), NULL, 1)"),
                {"a": f"RemoteProtocolError: illegal status line: b'{secret}'",
                 "b": f"HTTP 302: {secret}"})
        engine.dispose()
        upgrade_head(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            reason = conn.execute(sa.text("SELECT disabled_reason FROM webhook_endpoints")).scalar()
            last = conn.execute(sa.text("SELECT last_error FROM webhook_deliveries")).scalar()
            errors = conn.execute(sa.text(
                "SELECT error FROM webhook_attempts ORDER BY id")).scalars().all()
        engine.dispose()
        assert reason == "failing since 2026-11-30T00:00:00Z"
        assert last == "HTTP 404"
        assert errors == ["RemoteProtocolError", "HTTP 302", None]
    finally:
        _drop(server_url, name)


def test_0008_makes_unreadable_key_expiries_readable(server_url: str, worker_id: str) -> None:
    """Expiries accepted before 0008 at the calendar's edges were stored beyond what psycopg
    reads (year 1 BC, year 10000), and every key listing failed; after the upgrade they
    read back, the early one still expired."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from app.access.service import list_keys

    name = f"cna_0008_{worker_id}"
    url = _empty_database(server_url, name)
    try:
        command.upgrade(alembic_config(url), "0007")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO api_keys (id, prefix, digest, role, expires_at) VALUES "
                "('00000000-0000-0000-0000-000000000001', 'early000', 'd', 'official', "
                "'0001-01-01T00:00:00+14:00'), "
                "('00000000-0000-0000-0000-000000000002', 'late0000', 'd', 'official', "
                "'9999-12-31T23:59:59-14:00'), "
                "('00000000-0000-0000-0000-000000000003', 'normal00', 'd', 'official', "
                "'2030-01-01T00:00:00Z')"))
        engine.dispose()
        upgrade_head(url)
        engine = make_engine(url)
        with Session(engine) as session:
            expiries = {k.prefix: k.expires_at for k in list_keys(session)}
        engine.dispose()
        assert expiries["early000"] is not None and expiries["early000"] < datetime.now(UTC)
        assert expiries["late0000"] is not None and expiries["late0000"].year == 9999
        assert expiries["normal00"] == datetime(2030, 1, 1, tzinfo=UTC)
    finally:
        _drop(server_url, name)
