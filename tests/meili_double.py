"""An in-process double of Meilisearch's documented HTTP API, for tests.

It is an ``httpx`` transport: ``search.meili.set_transport(double)`` routes the client to
it.  What it does, after the documentation (v1.x):

- asynchronous tasks: every write answers ``202`` with a summarised task
  (``taskUid``, ``status: enqueued``…); tasks are processed in order, one step per
  request the double receives (``enqueued`` → ``processing`` → ``succeeded``/``failed``),
  so a client has to poll ``GET /tasks/{uid}``;
- indexes (create, get, delete), settings (PATCH merges, GET), documents (POST add or
  replace, PUT add or update, delete-batch, GET with ``fields``/``limit``/``offset``),
  ``/swap-indexes``, ``/health``;
- search: ``q`` with the index's searchable attributes, typo tolerance
  (``minWordSizeForTypos``), prefix on the last word, word synonyms, the ``last``
  matching strategy; ranking by words, typo, attribute, exactness, then ``sort``
  (proximity is not modelled); ``filter`` (string or array form, ``=``, ``!=``, ``IN``,
  ``AND``, ``OR``, ``NOT``, parentheses; only filterable attributes, else
  ``invalid_search_filter``); ``facets``; ``offset``/``limit``;
  ``attributesToRetrieve``.

Failure modes, switched on by the test: ``down`` (connection refused),
``status_5xx`` (every call answers 503), ``fail_tasks`` (tasks end ``failed``),
``slow_steps`` (tasks need that many extra polls per step) and ``fail_next`` (the next n
tasks fail).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from search.text import distance, fold, tokens

_DOC_ID = re.compile(r"^[A-Za-z0-9_-]{1,511}$")

DEFAULT_SETTINGS: dict[str, Any] = {
    "displayedAttributes": ["*"],
    "searchableAttributes": ["*"],
    "filterableAttributes": [],
    "sortableAttributes": [],
    "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
    "stopWords": [],
    "synonyms": {},
    "distinctAttribute": None,
    "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
                      "disableOnWords": [], "disableOnAttributes": []},
    "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "alpha"}},
    "pagination": {"maxTotalHits": 1000},
    "localizedAttributes": None,
}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Index:
    uid: str
    primary_key: str | None
    settings: dict[str, Any] = field(default_factory=lambda: json.loads(
        json.dumps(DEFAULT_SETTINGS)))
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_at: str = field(default_factory=_now)


@dataclass
class Task:
    uid: int
    index_uid: str | None
    type: str
    payload: Any
    status: str = "enqueued"
    error: dict[str, Any] | None = None
    steps_left: int = 0
    enqueued_at: str = field(default_factory=_now)
    finished_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"uid": self.uid, "indexUid": self.index_uid, "status": self.status,
                "type": self.type, "error": self.error, "enqueuedAt": self.enqueued_at,
                "finishedAt": self.finished_at, "details": {}}

    def summary(self) -> dict[str, Any]:
        return {"taskUid": self.uid, "indexUid": self.index_uid, "status": self.status,
                "type": self.type, "enqueuedAt": self.enqueued_at}


class KilledRelay(BaseException):
    """Stands for the relay process dying mid-batch (not an Exception: nothing catches it)."""


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, type_: str = "invalid_request"):
        super().__init__(message)
        self.status = status
        self.body = {"message": message, "code": code, "type": type_,
                     "link": f"https://docs.meilisearch.com/errors#{code}"}


class MeiliDouble(httpx.BaseTransport):
    def __init__(self) -> None:
        self.indexes: dict[str, Index] = {}
        self.tasks: list[Task] = []
        self._uids = itertools.count()
        self.down = False
        self.status_5xx = False
        self.fail_tasks = False
        self.fail_next = 0
        self.slow_steps = 0
        self.kill_after_enqueue = 0  # raise KilledRelay after n more document writes
        self.requests: list[tuple[str, str]] = []
        self.searches: list[dict[str, Any]] = []
        # (index, document id, version) in the order documents were applied
        self.applied: list[tuple[str, str, Any]] = []
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ transport
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            response = self._handle(request)
        if self.kill_after_enqueue and request.url.path.endswith("/documents") \
                and request.method == "POST":
            self.kill_after_enqueue -= 1
            if self.kill_after_enqueue == 0:
                raise KilledRelay("the relay process died here")
        return response

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused (double is down)", request=request)
        self.requests.append((request.method, request.url.path))
        if self.status_5xx:
            return httpx.Response(503, json={"message": "unavailable", "code": "internal",
                                             "type": "internal"})
        self._tick()
        try:
            status, body = self._route(request)
        except ApiError as e:
            return httpx.Response(e.status, json=e.body)
        return httpx.Response(status, json=body)

    # ------------------------------------------------------------------ tasks
    def _enqueue(self, index_uid: str | None, type_: str, payload: Any) -> tuple[int, Any]:
        task = Task(uid=next(self._uids), index_uid=index_uid, type=type_, payload=payload,
                    steps_left=self.slow_steps)
        self.tasks.append(task)
        return 202, task.summary()

    def _tick(self) -> None:
        """Advance the oldest unfinished task by one step (tasks run one at a time)."""
        for task in self.tasks:
            if task.status in ("succeeded", "failed", "canceled"):
                continue
            if task.steps_left > 0:
                task.steps_left -= 1
                return
            if task.status == "enqueued":
                task.status = "processing"
                task.steps_left = self.slow_steps
                return
            self._finish(task)
            return

    def drain(self) -> None:
        """Finish every queued task now (tests use it to settle the index)."""
        with self._lock:
            while any(t.status in ("enqueued", "processing") for t in self.tasks):
                self._tick()

    def _finish(self, task: Task) -> None:
        task.finished_at = _now()
        if self.fail_tasks or self.fail_next > 0:
            self.fail_next = max(0, self.fail_next - 1)
            task.status = "failed"
            task.error = {"message": "simulated failure", "code": "internal",
                          "type": "internal", "link": ""}
            return
        try:
            self._apply(task)
            task.status = "succeeded"
        except ApiError as e:
            task.status = "failed"
            task.error = e.body

    def _index_for_write(self, uid: str) -> Index:
        if uid not in self.indexes:
            self.indexes[uid] = Index(uid=uid, primary_key=None)
        return self.indexes[uid]

    def _apply(self, task: Task) -> None:
        uid = task.index_uid
        p = task.payload
        if task.type == "indexCreation":
            assert uid is not None
            if uid in self.indexes:
                raise ApiError(400, "index_already_exists", f"Index `{uid}` already exists.")
            self.indexes[uid] = Index(uid=uid, primary_key=p.get("primaryKey"))
        elif task.type == "indexDeletion":
            assert uid is not None
            if uid not in self.indexes:
                raise ApiError(404, "index_not_found", f"Index `{uid}` not found.")
            del self.indexes[uid]
        elif task.type == "settingsUpdate":
            assert uid is not None
            index = self._index_for_write(uid)
            for key, value in p.items():
                if isinstance(value, dict) and isinstance(index.settings.get(key), dict) \
                        and key not in ("synonyms",):
                    index.settings[key] = {**index.settings[key], **value}
                else:
                    index.settings[key] = value
        elif task.type == "documentAdditionOrUpdate":
            assert uid is not None
            index = self._index_for_write(uid)
            documents, primary_key, merge = p
            pk = index.primary_key or primary_key or "id"
            for doc in documents:
                value = doc.get(pk)
                if not isinstance(value, (str, int)) or not _DOC_ID.match(str(value)):
                    raise ApiError(400, "invalid_document_id",
                                   f"Document identifier `{value}` is invalid.")
            index.primary_key = pk
            for doc in documents:
                key = str(doc[pk])
                self.applied.append((index.uid, key, doc.get("version")))
                if merge and key in index.documents:
                    index.documents[key] = {**index.documents[key], **doc}
                else:
                    index.documents[key] = dict(doc)
        elif task.type == "documentDeletion":
            assert uid is not None
            index = self._index_for_write(uid)
            for key in p:
                index.documents.pop(str(key), None)
        elif task.type == "indexSwap":
            for swap in p:
                a, b = swap["indexes"]
                if a not in self.indexes or b not in self.indexes:
                    missing = a if a not in self.indexes else b
                    raise ApiError(404, "index_not_found", f"Index `{missing}` not found.")
            for swap in p:
                a, b = swap["indexes"]
                ia, ib = self.indexes[a], self.indexes[b]
                ia.uid, ib.uid = b, a
                self.indexes[a], self.indexes[b] = ib, ia
        else:  # pragma: no cover - the double only enqueues the types above
            raise ApiError(400, "bad_request", f"unknown task type {task.type}")

    # ------------------------------------------------------------------ routing
    def _index(self, uid: str) -> Index:
        if uid not in self.indexes:
            raise ApiError(404, "index_not_found", f"Index `{uid}` not found.")
        return self.indexes[uid]

    def _route(self, request: httpx.Request) -> tuple[int, Any]:
        method = request.method
        parts = [p for p in request.url.path.split("/") if p]
        body = json.loads(request.content) if request.content else None
        if parts == ["health"] and method == "GET":
            return 200, {"status": "available"}
        if parts[:1] == ["tasks"] and len(parts) == 2 and method == "GET":
            for task in self.tasks:
                if str(task.uid) == parts[1]:
                    return 200, task.as_dict()
            raise ApiError(404, "task_not_found", f"Task `{parts[1]}` not found.")
        if parts == ["swap-indexes"] and method == "POST":
            if not isinstance(body, list) or not all(
                    isinstance(s, dict) and len(s.get("indexes", [])) == 2 for s in body):
                raise ApiError(400, "invalid_swap_indexes", "swap-indexes takes pairs")
            return self._enqueue(None, "indexSwap", body)
        if parts == ["indexes"] and method == "POST":
            if not body or not isinstance(body.get("uid"), str):
                raise ApiError(400, "missing_index_uid", "`uid` is missing.")
            return self._enqueue(body["uid"], "indexCreation", body)
        if parts[:1] != ["indexes"] or len(parts) < 2:
            raise ApiError(404, "not_found", "route not found")
        uid = parts[1]
        rest = parts[2:]
        if not rest:
            if method == "GET":
                index = self._index(uid)
                return 200, {"uid": index.uid, "primaryKey": index.primary_key,
                             "createdAt": index.created_at, "updatedAt": index.created_at}
            if method == "DELETE":
                return self._enqueue(uid, "indexDeletion", None)
        if rest == ["settings"]:
            if method == "GET":
                return 200, self._index(uid).settings
            if method == "PATCH":
                unknown = set(body or {}) - set(DEFAULT_SETTINGS)
                if unknown:
                    raise ApiError(400, "bad_request", f"Unknown field `{sorted(unknown)[0]}`")
                return self._enqueue(uid, "settingsUpdate", body)
        if rest == ["documents"]:
            if method in ("POST", "PUT"):
                if not isinstance(body, list):
                    raise ApiError(400, "malformed_payload", "expected an array")
                return self._enqueue(uid, "documentAdditionOrUpdate",
                                     (body, request.url.params.get("primaryKey"),
                                      method == "PUT"))
            if method == "GET":
                index = self._index(uid)
                offset = int(request.url.params.get("offset", 0))
                limit = int(request.url.params.get("limit", 20))
                fields = request.url.params.get("fields")
                docs = list(index.documents.values())[offset:offset + limit]
                if fields:
                    wanted = fields.split(",")
                    docs = [{k: d[k] for k in wanted if k in d} for d in docs]
                return 200, {"results": docs, "offset": offset, "limit": limit,
                             "total": len(index.documents)}
        if rest == ["documents", "delete-batch"] and method == "POST":
            return self._enqueue(uid, "documentDeletion", body)
        if rest == ["search"] and method == "POST":
            self.searches.append(body or {})
            return 200, self._search(self._index(uid), body or {})
        raise ApiError(405, "method_not_allowed", f"{method} {request.url.path}")

    # ------------------------------------------------------------------ search
    def _search(self, index: Index, body: dict[str, Any]) -> dict[str, Any]:
        settings = index.settings
        filterable = set(settings["filterableAttributes"])
        predicate = _parse_filter(body.get("filter"), filterable)
        for facet in body.get("facets") or []:
            if facet not in filterable:
                raise ApiError(400, "invalid_search_facets",
                               f"Attribute `{facet}` is not filterable.")
        sort = body.get("sort") or []
        for s in sort:
            attr = s.split(":")[0]
            if attr not in settings["sortableAttributes"]:
                raise ApiError(400, "invalid_search_sort",
                               f"Attribute `{attr}` is not sortable.")
        words = tokens(body.get("q") or "")[:10]
        candidates = [d for d in index.documents.values() if predicate(d)]
        scored: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        for doc in candidates:
            score = self._score(doc, words, settings)
            if score is None:
                continue
            scored.append((score, doc))

        def sort_key(item: tuple[tuple[Any, ...], dict[str, Any]]) -> tuple[Any, ...]:
            score, doc = item
            extra = []
            for s in sort:
                attr, _, direction = s.partition(":")
                value = str(doc.get(attr, ""))
                extra.append(value if direction != "desc" else _Reverse(value))
            return (*score, *extra)

        scored.sort(key=sort_key)
        offset = int(body.get("offset", 0))
        limit = int(body.get("limit", 20))
        total = min(len(scored), settings["pagination"]["maxTotalHits"])
        page = [doc for _, doc in scored[:total][offset:offset + limit]]
        retrieve = body.get("attributesToRetrieve") or ["*"]
        hits = [doc if retrieve == ["*"] else {k: doc[k] for k in retrieve if k in doc}
                for doc in page]
        distribution: dict[str, dict[str, int]] = {}
        for facet in body.get("facets") or []:
            counts: dict[str, int] = {}
            for _, doc in scored:
                values = doc.get(facet)
                for v in values if isinstance(values, list) else [values]:
                    if v is not None:
                        counts[str(v)] = counts.get(str(v), 0) + 1
            top = sorted(counts.items())[:settings["faceting"]["maxValuesPerFacet"]]
            distribution[facet] = dict(top)
        answer: dict[str, Any] = {"hits": hits, "query": body.get("q") or "",
                                  "processingTimeMs": 0, "limit": limit, "offset": offset,
                                  "estimatedTotalHits": total}
        if body.get("facets"):
            answer["facetDistribution"] = distribution
        return answer

    @staticmethod
    def _attribute_tokens(doc: dict[str, Any], settings: dict[str, Any]) \
            -> list[set[str]]:
        attrs = settings["searchableAttributes"]
        if attrs == ["*"]:
            attrs = list(doc)
        out = []
        for attr in attrs:
            out.append({t for s in _strings(doc.get(attr)) for t in tokens(s)})
        return out

    def _score(self, doc: dict[str, Any], words: list[str],
               settings: dict[str, Any]) -> tuple[Any, ...] | None:
        if not words:
            return (0,)
        typo = settings["typoTolerance"]
        one = typo["minWordSizeForTypos"]["oneTypo"]
        two = typo["minWordSizeForTypos"]["twoTypos"]
        synonyms = {fold(k): [fold(v) for v in vs] for k, vs in settings["synonyms"].items()}
        per_attr = self._attribute_tokens(doc, settings)
        results: list[tuple[int, int, int] | None] = []
        for i, word in enumerate(words):
            last = i == len(words) - 1
            budget = 0 if not typo["enabled"] else 2 if len(word) >= two else \
                1 if len(word) >= one else 0
            best: tuple[int, int, int] | None = None  # (typos, attribute, not exact)
            alternatives = synonyms.get(word, [])
            for rank, toks in enumerate(per_attr):
                for tok in toks:
                    cost: tuple[int, int, int] | None = None
                    if tok == word or tok in alternatives:
                        cost = (0, rank, 0)
                    elif last and len(word) >= 2 and tok.startswith(word):
                        cost = (0, rank, 1)
                    elif budget:
                        d = distance(word, tok, budget)
                        if d <= budget:
                            cost = (d, rank, 1)
                    if cost is not None and (best is None or cost < best):
                        best = cost
            results.append(best)
        matched = 0
        for r in results:  # matching strategy "last": the first k words
            if r is None:
                break
            matched += 1
        if matched == 0:
            return None
        first = [r for r in results[:matched] if r is not None]
        return (-matched, sum(r[0] for r in first), sum(r[1] for r in first),
                sum(r[2] for r in first))


class _Reverse:
    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: _Reverse) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reverse) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


# ---------------------------------------------------------------------- filters
_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<op>!=|>=|<=|=|>|<)'
                    r'|(?P<punct>[()\[\],])|(?P<word>[^\s()\[\],=!<>"\']+))')


def _lex(expression: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(expression):
        if expression[pos:].strip() == "":
            break
        m = _TOKEN.match(expression, pos)
        if not m or m.end() == pos:
            raise ApiError(400, "invalid_search_filter", f"cannot parse filter at {pos}")
        pos = m.end()
        if m.group("str") is not None:
            raw = m.group("str")[1:-1]
            out.append(("str", re.sub(r"\\(.)", r"\1", raw)))
        elif m.group("op"):
            out.append(("op", m.group("op")))
        elif m.group("punct"):
            out.append(("punct", m.group("punct")))
        else:
            out.append(("word", m.group("word")))
    return out


class _Parser:
    def __init__(self, expression: str, filterable: set[str]) -> None:
        self.tokens = _lex(expression)
        self.pos = 0
        self.filterable = filterable

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ApiError(400, "invalid_search_filter", "unexpected end of filter")
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() == word:
            self.pos += 1
            return True
        return False

    def parse(self) -> Any:
        node = self.or_()
        if self.peek() is not None:
            raise ApiError(400, "invalid_search_filter", f"unexpected {self.peek()}")
        return node

    def or_(self) -> Any:
        node = self.and_()
        while self.keyword("OR"):
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Any:
        node = self.not_()
        while self.keyword("AND"):
            node = ("and", node, self.not_())
        return node

    def not_(self) -> Any:
        if self.keyword("NOT"):
            return ("not", self.not_())
        return self.atom()

    def value(self) -> str:
        kind, text = self.take()
        if kind not in ("str", "word"):
            raise ApiError(400, "invalid_search_filter", f"expected a value, got {text}")
        return text

    def atom(self) -> Any:
        token = self.peek()
        if token == ("punct", "("):
            self.take()
            node = self.or_()
            if self.take() != ("punct", ")"):
                raise ApiError(400, "invalid_search_filter", "expected )")
            return node
        attribute = self.value()
        if attribute not in self.filterable:
            raise ApiError(400, "invalid_search_filter",
                           f"Attribute `{attribute}` is not filterable.")
        if self.keyword("IN"):
            if self.take() != ("punct", "["):
                raise ApiError(400, "invalid_search_filter", "expected [")
            values = [self.value()]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(self.value())
            if self.take() != ("punct", "]"):
                raise ApiError(400, "invalid_search_filter", "expected ]")
            return ("in", attribute, values)
        kind, op = self.take()
        if kind != "op" or op not in ("=", "!="):
            raise ApiError(400, "invalid_search_filter", f"unsupported operator {op}")
        return ("eq" if op == "=" else "ne", attribute, self.value())


def _evaluate(node: Any, doc: dict[str, Any]) -> bool:
    kind = node[0]
    if kind == "or":
        return _evaluate(node[1], doc) or _evaluate(node[2], doc)
    if kind == "and":
        return _evaluate(node[1], doc) and _evaluate(node[2], doc)
    if kind == "not":
        return not _evaluate(node[1], doc)
    value = doc.get(node[1])
    values = [str(v) for v in (value if isinstance(value, list) else [value])
              if v is not None]
    if kind == "eq":
        return node[2] in values
    if kind == "ne":
        return node[2] not in values
    return any(v in values for v in node[2])


def _parse_filter(spec: Any, filterable: set[str]) -> Any:
    """A predicate for Meilisearch's filter: a string, or an array (AND) of strings or
    arrays (OR)."""
    if spec is None or spec == "" or spec == []:
        return lambda doc: True
    if isinstance(spec, str):
        tree = _Parser(spec, filterable).parse()
        return lambda doc: _evaluate(tree, doc)
    if isinstance(spec, list):
        groups = []
        for item in spec:
            if isinstance(item, str):
                groups.append([_Parser(item, filterable).parse()])
            elif isinstance(item, list):
                groups.append([_Parser(s, filterable).parse() for s in item])
            else:
                raise ApiError(400, "invalid_search_filter", "bad filter array")
        return lambda doc: all(any(_evaluate(t, doc) for t in g) for g in groups)
    raise ApiError(400, "invalid_search_filter", "filter must be a string or an array")
