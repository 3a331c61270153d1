"""The search engine of the process: built once at startup from Settings, held on
``app.state.search``, and handed to routes by ``SearchEngineDep`` (tests choose another
with ``app.dependency_overrides[search_engine_of]``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from app.core.settings import Settings
from app.db import engine as db_engine
from app.search.indexing import index_config
from app.search.meili_access import meili_client
from search.engine import FallbackEngine, SearchEngine
from search.meili import MeiliEngine
from search.memory import MemoryEngine
from search.postgres import PostgresEngine


def memory_engine(settings: Settings) -> MemoryEngine:
    """The in-process index of the configured database."""
    return MemoryEngine(db_engine.get_engine, index_config(settings))


def engine_from_settings(settings: Settings) -> SearchEngine:
    """Meilisearch falling back to Postgres when MEILI_URL is set; else the in-process
    index (``CNA_SEARCH_ENGINE=memory``, the default) or Postgres."""
    client = meili_client(settings)
    if client is not None:
        return FallbackEngine(MeiliEngine(client, settings.meili_index), PostgresEngine())
    if settings.search_engine == "memory":
        return memory_engine(settings)
    return PostgresEngine()


async def search_engine_of(request: Request) -> SearchEngine:
    """The engine of the app serving ``request`` (set by its lifespan).  Async: FastAPI
    would run a plain function in a worker thread, a hand-off costing more than the
    in-process search itself."""
    engine: SearchEngine = request.app.state.search
    return engine


SearchEngineDep = Annotated[SearchEngine, Depends(search_engine_of)]
