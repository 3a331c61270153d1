"""Fixtures shared by the search tests: a database with the demo records (once per
module), the Meilisearch double, served on a loopback port, and the engine an app
searches through, chosen with ``app.dependency_overrides``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.authorities.schemas import validate_record
from app.authorities.service import Actor, save_record
from app.authorities.transfer import import_records, parse_records
from app.core.settings import get_settings
from app.db import engine as db_engine
from app.reference.data import reference_from_files
from app.reference.service import invalidate_reference_cache
from app.search.engines import memory_engine, search_engine_of
from app.search.indexing import vocabulary
from app.search.meili_access import meili_client
from search.engine import FallbackEngine, SearchEngine
from search.meili import MeiliClient, MeiliEngine
from search.memory import MemoryEngine
from search.mirror import Relay
from search.postgres import PostgresEngine
from tests.conftest import _execute_admin, _with_database, make_record
from tests.meili_server import MeiliServer

DEMO_FILE = Path(__file__).resolve().parents[1] / "seed_data" / "demo" / "authorities.ndjson"
ACTOR = Actor(name="pytest-search", role="secretariat")
INDEX = "authorities"


def crafted(ref: str, name: str, parent: str | None = None) -> dict[str, Any]:
    """A record in Iceland with invented words, for the ranking cases."""
    return make_record(
        ref=ref, country="ISL", name={"en": name}, acronym=None,
        parent={"en": parent} if parent else None,
        address={"lines": [], "locality": "Reykjavik", "region": None, "postal_code": None},
        phones=[], emails=[], contacts=[], time_zone="Atlantic/Reykjavik", notes=None,
    )


CRAFTED = [
    crafted("T-EXACT", "Quendal Liaison Office"),
    crafted("T-PREFIX", "Quendalar Liaison Office"),
    crafted("T-PFX2", "Zorvexa Unit"),
    crafted("T-TYPO", "Zorvix Unit"),
    crafted("T-MORE", "Vantor Kessel Bureau"),
    crafted("T-LESS", "Vantor Bureau"),
    crafted("T-NAME", "Oldrin Agency"),
    crafted("T-PARENT", "Northern Agency", parent="Oldrin Ministry"),
    crafted("T-TIE1", "Pellucid Office"),
    crafted("T-TIE2", "Pellucid Office Annex"),
]


def load_demo(session: Session) -> None:
    reference = reference_from_files()
    report = import_records(session, parse_records(DEMO_FILE.read_text("utf-8")), reference,
                            ACTOR)
    assert report.ok, report.as_dict()
    for record in CRAFTED:
        save_record(session, validate_record(record, reference), ACTOR)
    session.commit()


@pytest.fixture(scope="module")
def demo_url(server_url: str, template_url: str) -> Iterator[str]:
    """A database with the 149 demo records and the crafted ones, shared by a module."""
    from sqlalchemy.engine import make_url

    name = f"cna_search_{uuid.uuid4().hex[:12]}"
    template = make_url(template_url).database
    _execute_admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = _with_database(server_url, name)
    engine = db_engine.make_engine(url)
    with Session(engine) as session:
        load_demo(session)
    engine.dispose()
    yield url
    _execute_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def engine_named(name: str, meili_url: str | None = None,
                 app: FastAPI | None = None) -> SearchEngine:
    """A search engine as the app builds it at startup: ``memory`` (``app``'s own when it
    has one: the one its commits reach), ``postgres``, or ``meilisearch`` at ``meili_url``
    falling back to Postgres.  Meilisearch's search timeout is long: the double answers
    from this process, which may be busy building its own index."""
    settings = get_settings()
    if name == "memory" and app is not None and isinstance(
            getattr(app.state, "search", None), MemoryEngine):
        return cast(SearchEngine, app.state.search)
    if name == "meilisearch":
        client = meili_client(settings.model_copy(update={"meili_url": meili_url}),
                              request_timeout=30)
        assert client is not None, "no Meilisearch URL"
        return FallbackEngine(MeiliEngine(client, settings.meili_index), PostgresEngine())
    if name == "memory":
        return memory_engine(settings)
    assert name == "postgres", name
    return PostgresEngine()


@contextmanager
def use_engine(client: TestClient, name: str | None,
               meili_url: str | None = None) -> Iterator[SearchEngine]:
    """The app behind ``client`` searches through the engine ``name`` (None: the one it
    built at startup) while the block runs."""
    app = cast(FastAPI, client.app)
    engine = engine_named(name, meili_url, app) if name is not None \
        else cast(SearchEngine, app.state.search)

    async def chosen() -> SearchEngine:  # async, as the dependency it replaces
        return engine

    app.dependency_overrides[search_engine_of] = chosen
    try:
        yield engine
    finally:
        app.dependency_overrides.pop(search_engine_of, None)


def fill_double(server: MeiliServer, url: str) -> None:
    """Fill the served double with the index of ``url``'s records, by the relay itself."""
    engine = db_engine.make_engine(url)
    Relay(engine, MeiliClient(server.url, task_timeout=5), INDEX, vocabulary()).run(once=True)
    engine.dispose()
    server.double.drain()


@pytest.fixture
def demo_client(demo_url: str) -> Iterator[TestClient]:
    from app.main import create_app

    db_engine.configure_engine(demo_url)
    invalidate_reference_cache()
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c
    db_engine.dispose_engine()
