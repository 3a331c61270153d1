"""The process's Meilisearch: one client, built from Settings at startup and held on
``app.state.meili``, and the back-off after it failed."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from starlette.requests import Request

from app.core.settings import Settings
from search.engine import EngineResult, EngineUnavailable, SearchQuery
from search.meili import MeiliClient, MeiliEngine

log = logging.getLogger(__name__)

# After Meilisearch failed, do not try it again for this long: searches answer from
# Postgres at once instead of each waiting for a timeout.
RETRY_AFTER_SECONDS = 5.0


def meili_client(settings: Settings, *, request_timeout: float | None = None) \
        -> MeiliClient | None:
    """A client for MEILI_URL, or None when Meilisearch is not configured."""
    if not settings.meili_url:
        return None
    key = settings.meili_api_key.get_secret_value() if settings.meili_api_key else None
    return MeiliClient(url=settings.meili_url, api_key=key,
                       timeout=request_timeout or settings.meili_search_timeout,
                       task_timeout=settings.meili_task_timeout)


@dataclass
class MeiliAccess:
    """Searches through one client; after a failure, none for ``retry_after`` seconds."""

    engine: MeiliEngine
    retry_after: float = RETRY_AFTER_SECONDS
    down_until: float = 0.0

    def search(self, query: SearchQuery) -> EngineResult:
        if time.monotonic() < self.down_until:
            raise EngineUnavailable("meilisearch failed recently")
        try:
            return self.engine.search(query)
        except EngineUnavailable as e:
            if time.monotonic() >= self.down_until:
                log.warning("search falls back to postgres", extra={"reason": str(e)})
                self.down_until = time.monotonic() + self.retry_after
            raise

    def reset_backoff(self) -> None:
        self.down_until = 0.0


def meili_access(settings: Settings) -> MeiliAccess | None:
    """What the app searches Meilisearch through, or None without MEILI_URL."""
    client = meili_client(settings)
    if client is None:
        return None
    return MeiliAccess(MeiliEngine(client, settings.meili_index))


def meili_of(request: Request) -> MeiliAccess | None:
    """The Meilisearch of the app serving ``request`` (set by its lifespan)."""
    access: MeiliAccess | None = getattr(request.app.state, "meili", None)
    return access
