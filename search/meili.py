"""Meilisearch: the operations the engine and the mirror need, the filter builder and the
engine, over the official client (``meilisearch`` on PyPI).

``MeiliClient`` is a thin adapter: it maps the client's errors onto the engine's
(communication errors, timeouts and 5xx answers: ``EngineUnavailable``; a missing index:
``IndexNotFound``; any other refusal: ``MeiliError``) and hands back plain dicts and task
uids.  It takes its URL, key and timeouts as arguments: nothing here reads the settings.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from search.documents import dkey
from search.engine import FACETS, EngineResult, EngineUnavailable, SearchQuery, index_settings

if TYPE_CHECKING:
    import meilisearch
    from meilisearch.models.task import Task

# How often a write's task is polled until it is finished.
TASK_POLL_SECONDS = 0.02


class MeiliError(Exception):
    """Meilisearch answered, but not with success (4xx other than missing index)."""


class IndexNotFound(EngineUnavailable):
    """The index does not exist (yet): the engine cannot answer."""


class TaskFailed(MeiliError):
    def __init__(self, task: Task) -> None:
        error = task.error or {}
        super().__init__(f"task {task.uid} {task.status}: "
                         f"{error.get('code', '')} {error.get('message', '')}".strip())
        self.task = task


@contextmanager
def _engine_errors() -> Iterator[None]:
    """The official client's errors as the engine's."""
    # The client and requests are imported where they are used: a process without
    # MEILI_URL (the in-process index) never loads them (about 6 MiB).
    import requests
    from meilisearch.errors import (
        MeilisearchApiError,
        MeilisearchCommunicationError,
        MeilisearchTimeoutError,
    )

    try:
        yield
    except MeilisearchApiError as e:
        if e.status_code >= 500:
            raise EngineUnavailable(f"meilisearch answered {e.status_code}") from e
        if e.code == "index_not_found":
            raise IndexNotFound(f"meilisearch: {e.message}") from e
        raise MeiliError(f"meilisearch {e.status_code}: {e.code} {e.message}") from e
    except (MeilisearchCommunicationError, MeilisearchTimeoutError) as e:
        raise EngineUnavailable(f"meilisearch unreachable: {e.__class__.__name__}: "
                                f"{e.message}") from e
    except requests.RequestException as e:  # e.g. an answer that is not JSON
        raise EngineUnavailable(f"meilisearch: {e.__class__.__name__}: {e}") from e


class MeiliClient:
    """One ``meilisearch.Client`` and the calls made through it.

    ``timeout`` bounds each HTTP request, ``task_timeout`` the wait for a write's task.
    """

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 5.0,
                 task_timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.task_timeout = task_timeout
        self._per_thread = threading.local()

    @property
    def client(self) -> meilisearch.Client:
        """This thread's ``meilisearch.Client``.  The client sets the Content-Type of each
        request in a headers dict it shares between calls, so two threads on one client
        can send a search without it (Meilisearch answers 415): each thread has its own."""
        client: meilisearch.Client | None = getattr(self._per_thread, "client", None)
        if client is None:
            import meilisearch

            # requests takes float seconds; the client's annotation says int.
            client = meilisearch.Client(self.url, self.api_key,
                                        timeout=cast(int, self.timeout))
            self._per_thread.client = client
        return client

    # tasks
    def wait_task(self, task_uid: int, timeout: float | None = None) -> Task:
        """Poll a task until it is finished; raise TaskFailed unless it succeeded."""
        with _engine_errors():
            task = self.client.wait_for_task(
                task_uid, timeout_in_ms=int((timeout or self.task_timeout) * 1000),
                interval_in_ms=int(TASK_POLL_SECONDS * 1000))
        if task.status != "succeeded":
            raise TaskFailed(task)
        return task

    # indexes
    def get_index(self, uid: str) -> dict[str, Any] | None:
        try:
            with _engine_errors():
                return self.client.get_raw_index(uid)
        except IndexNotFound:
            return None

    def create_index(self, uid: str, primary_key: str = "id") -> None:
        with _engine_errors():
            info = self.client.create_index(uid, {"primaryKey": primary_key})
        self.wait_task(info.task_uid)

    def ensure_index(self, uid: str) -> None:
        if self.get_index(uid) is None:
            self.create_index(uid, index_settings()["primaryKey"])

    def delete_index(self, uid: str) -> None:
        with _engine_errors():
            info = self.client.delete_index(uid)
        self.wait_task(info.task_uid)

    def apply_settings(self, uid: str) -> None:
        """Apply search/meili_settings.json (idempotent: the same update every time)."""
        body = {k: v for k, v in index_settings().items() if k != "primaryKey"}
        with _engine_errors():
            info = self.client.index(uid).update_settings(body)
        self.wait_task(info.task_uid)

    def get_settings(self, uid: str) -> dict[str, Any]:
        with _engine_errors():
            return self.client.index(uid).get_settings()

    def swap(self, a: str, b: str) -> None:
        with _engine_errors():
            info = self.client.swap_indexes([{"indexes": [a, b]}])
        self.wait_task(info.task_uid)

    # documents
    def add_documents(self, uid: str, documents: list[dict[str, Any]]) -> int:
        """Add or replace whole documents; returns the task uid (not waited for)."""
        with _engine_errors():
            return self.client.index(uid).add_documents(documents, primary_key="id").task_uid

    def delete_documents(self, uid: str, ids: list[str]) -> int:
        # By ids (documents/delete-batch): the client marks the form deprecated in favour
        # of a filter, which would need ``id`` to be filterable.
        with _engine_errors():
            return self.client.index(uid).delete_documents(list[str | int](ids)).task_uid

    def iter_documents(self, uid: str, fields: list[str],
                       batch: int = 1000) -> Iterator[dict[str, Any]]:
        offset = 0
        index = self.client.index(uid)
        while True:
            with _engine_errors():
                page = index.get_documents({"fields": fields, "limit": batch,
                                            "offset": offset})
            yield from (dict(document) for document in page.results)
            offset += len(page.results)
            if not page.results or offset >= page.total:
                return

    def search(self, uid: str, q: str, params: dict[str, Any]) -> dict[str, Any]:
        with _engine_errors():
            return self.client.index(uid).search(q, params)

    def health(self) -> bool:
        try:
            with _engine_errors():
                return self.client.health().get("status") == "available"
        except (EngineUnavailable, MeiliError):
            return False


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

    def search(self, query: SearchQuery, session: Any = None) -> EngineResult:
        params: dict[str, Any] = {
            "offset": query.offset,
            "limit": query.limit,
            "filter": build_filter(query),
            "facets": list(FACETS),
            "sort": ["id:asc"],
            "attributesToRetrieve": ["id"],
            "matchingStrategy": "last",
        }
        answer = self.client.search(self.index, query.q, params)
        distribution = answer.get("facetDistribution") or {}
        return EngineResult(
            ids=[uuid.UUID(h["id"]) for h in answer["hits"]],
            total=int(answer.get("estimatedTotalHits", answer.get("totalHits", 0))),
            facets={f: dict(distribution.get(f, {})) for f in FACETS},
            engine=self.name,
        )

    def try_search(self, query: SearchQuery) -> EngineResult | None:
        return None  # always a network round trip
