"""The process's Meilisearch client, built from Settings (the app builds it once, at
startup, into its search engine: app/search/engines.py)."""

from __future__ import annotations

from app.core.settings import Settings
from search.meili import MeiliClient


def meili_client(settings: Settings, *, request_timeout: float | None = None) \
        -> MeiliClient | None:
    """A client for MEILI_URL, or None when Meilisearch is not configured."""
    if not settings.meili_url:
        return None
    key = settings.meili_api_key.get_secret_value() if settings.meili_api_key else None
    return MeiliClient(url=settings.meili_url, api_key=key,
                       timeout=request_timeout or settings.meili_search_timeout,
                       task_timeout=settings.meili_task_timeout)
