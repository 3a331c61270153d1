"""Meilisearch: a small HTTP client, the filter builder and the engine.

Only the documented HTTP API is used: ``/indexes``, ``/indexes/{uid}/settings``,
``/indexes/{uid}/documents``, ``/indexes/{uid}/search``, ``/swap-indexes``,
``/tasks/{uid}`` and ``/health``.  Every write returns a task; ``wait_task`` polls it
until it is ``succeeded`` or ``failed``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.settings import get_settings
from search.documents import dkey
from search.engine import FACETS, EngineResult, EngineUnavailable, SearchQuery, index_settings


class MeiliSettings(BaseSettings):
    """Meilisearch options besides ``MEILI_URL`` (which lives in app.core.settings)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    api_key: str | None = Field(default=None,
                                validation_alias=AliasChoices("MEILI_API_KEY",
                                                              "MEILI_MASTER_KEY"))
    index: str = Field(default="authorities", validation_alias=AliasChoices("MEILI_INDEX"))
    search_timeout: float = Field(default=2.0,
                                  validation_alias=AliasChoices("MEILI_SEARCH_TIMEOUT"))
    task_timeout: float = Field(default=60.0,
                                validation_alias=AliasChoices("MEILI_TASK_TIMEOUT"))


class MeiliError(Exception):
    """Meilisearch answered, but not with success (4xx other than missing index)."""


class IndexNotFound(EngineUnavailable):
    """The index does not exist (yet): the engine cannot answer."""


class TaskFailed(MeiliError):
    def __init__(self, task: dict[str, Any]) -> None:
        error = task.get("error") or {}
        super().__init__(f"task {task.get('uid')} {task.get('status')}: "
                         f"{error.get('code', '')} {error.get('message', '')}".strip())
        self.task = task


# Tests put the in-process double here (an httpx transport); None means the network.
_transport: httpx.BaseTransport | None = None


def set_transport(transport: httpx.BaseTransport | None) -> None:
    global _transport
    _transport = transport


@dataclass
class MeiliClient:
    url: str
    api_key: str | None = None
    timeout: float = 5.0
    task_timeout: float = 60.0

    def __post_init__(self) -> None:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._http = httpx.Client(base_url=self.url.rstrip("/"), headers=headers,
                                  timeout=self.timeout, transport=_transport)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as e:  # refused, reset, timeout
            raise EngineUnavailable(f"meilisearch unreachable: {e.__class__.__name__}: {e}") \
                from e
        if response.status_code >= 500:
            raise EngineUnavailable(f"meilisearch answered {response.status_code}")
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"message": response.text}
            if body.get("code") == "index_not_found":
                raise IndexNotFound(f"meilisearch: {body.get('message')}")
            raise MeiliError(f"meilisearch {response.status_code}: {body.get('code')} "
                             f"{body.get('message')}")
        return response.json() if response.content else None

    # tasks
    def wait_task(self, task_uid: int, timeout: float | None = None) -> dict[str, Any]:
        """Poll a task until it is finished; raise TaskFailed unless it succeeded."""
        deadline = time.monotonic() + (timeout or self.task_timeout)
        delay = 0.005
        while True:
            task: dict[str, Any] = self.request("GET", f"/tasks/{task_uid}")
            if task["status"] == "succeeded":
                return task
            if task["status"] in ("failed", "canceled"):
                raise TaskFailed(task)
            if time.monotonic() > deadline:
                raise EngineUnavailable(f"task {task_uid} still {task['status']} after "
                                        f"{timeout or self.task_timeout}s")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def _task(self, method: str, path: str, **kwargs: Any) -> int:
        answer = self.request(method, path, **kwargs)
        return int(answer["taskUid"])

    # indexes
    def get_index(self, uid: str) -> dict[str, Any] | None:
        try:
            index: dict[str, Any] = self.request("GET", f"/indexes/{uid}")
            return index
        except IndexNotFound:
            return None

    def create_index(self, uid: str, primary_key: str = "id") -> None:
        self.wait_task(self._task("POST", "/indexes", json={"uid": uid,
                                                           "primaryKey": primary_key}))

    def ensure_index(self, uid: str) -> None:
        if self.get_index(uid) is None:
            self.create_index(uid, index_settings()["primaryKey"])

    def delete_index(self, uid: str) -> None:
        self.wait_task(self._task("DELETE", f"/indexes/{uid}"))

    def apply_settings(self, uid: str) -> None:
        """Apply search/meili_settings.json (idempotent: the same PATCH every time)."""
        body = {k: v for k, v in index_settings().items() if k != "primaryKey"}
        self.wait_task(self._task("PATCH", f"/indexes/{uid}/settings", json=body))

    def get_settings(self, uid: str) -> dict[str, Any]:
        settings: dict[str, Any] = self.request("GET", f"/indexes/{uid}/settings")
        return settings

    def swap(self, a: str, b: str) -> None:
        self.wait_task(self._task("POST", "/swap-indexes", json=[{"indexes": [a, b]}]))

    # documents
    def add_documents(self, uid: str, documents: list[dict[str, Any]]) -> int:
        """Add or replace whole documents; returns the task uid (not waited for)."""
        return self._task("POST", f"/indexes/{uid}/documents", json=documents,
                          params={"primaryKey": "id"})

    def delete_documents(self, uid: str, ids: list[str]) -> int:
        return self._task("POST", f"/indexes/{uid}/documents/delete-batch", json=ids)

    def iter_documents(self, uid: str, fields: list[str], batch: int = 1000) -> Any:
        offset = 0
        while True:
            page = self.request("GET", f"/indexes/{uid}/documents",
                                params={"fields": ",".join(fields), "limit": batch,
                                        "offset": offset})
            yield from page["results"]
            offset += len(page["results"])
            if not page["results"] or offset >= page["total"]:
                return

    def search(self, uid: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", f"/indexes/{uid}/search", json=body)
        return result

    def health(self) -> bool:
        try:
            return bool(self.request("GET", "/health").get("status") == "available")
        except (EngineUnavailable, MeiliError):
            return False


def meili_settings() -> MeiliSettings:
    return MeiliSettings()


def configured_client(timeout: float | None = None) -> MeiliClient | None:
    """A client for MEILI_URL, or None when Meilisearch is not configured."""
    url = get_settings().meili_url
    if not url:
        return None
    options = meili_settings()
    return MeiliClient(url=url, api_key=options.api_key,
                       timeout=timeout or options.search_timeout,
                       task_timeout=options.task_timeout)


def filter_literal(value: str) -> str:
    """A Meilisearch filter string literal: double-quoted, with ``\\`` and ``"`` escaped.

    User input only ever reaches a filter expression through this function.
    """
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_filter(query: SearchQuery) -> list[str | list[str]]:
    """The filter of ``query`` as Meilisearch's array form (AND of ORs)."""
    clauses: list[str | list[str]] = ["status = " + filter_literal("active")]
    if query.countries is not None:
        clauses.append([f"country = {filter_literal(c)}" for c in query.countries]
                       or ["country = " + filter_literal("")])
    if query.kind:
        clauses.append("kind = " + filter_literal(query.kind))
    key = dkey(query.type, query.instrument, query.language, query.channel)
    if key:
        clauses.append("dkeys = " + filter_literal(key))
    return clauses


class MeiliEngine:
    name = "meilisearch"

    def __init__(self, client: MeiliClient, index: str) -> None:
        self.client = client
        self.index = index

    def search(self, query: SearchQuery) -> EngineResult:
        body: dict[str, Any] = {
            "q": query.q,
            "offset": query.offset,
            "limit": query.limit,
            "filter": build_filter(query),
            "facets": list(FACETS),
            "sort": ["id:asc"],
            "attributesToRetrieve": ["id"],
            "matchingStrategy": "last",
        }
        answer = self.client.search(self.index, body)
        distribution = answer.get("facetDistribution") or {}
        return EngineResult(
            ids=[uuid.UUID(h["id"]) for h in answer["hits"]],
            total=int(answer.get("estimatedTotalHits", answer.get("totalHits", 0))),
            facets={f: dict(distribution.get(f, {})) for f in FACETS},
        )
