"""An in-process double of Meilisearch's documented HTTP API, for tests.

``handle_request`` answers an ``httpx.Request``; tests/meili_server.py serves it on a
loopback port for the official client.  What it does, after the documentation (v1.x):

- asynchronous tasks: every write answers ``202`` with a summarised task
  (``taskUid``, ``status: enqueued``…); tasks are processed in order, one step per
  request the double receives (``enqueued`` → ``processing`` → ``succeeded``/``failed``),
  so a client has to poll ``GET /tasks/{uid}``;
- indexes (create, get, delete), settings (PATCH merges, GET), documents (POST add or
  replace, PUT add or update, delete-batch, GET with ``fields``/``limit``/``offset``),
  ``/swap-indexes``, ``/health``;
- search: ``q`` with the index's searchable attributes; ``filter`` (string or array
  form, ``=``, ``!=``, ``IN``, ``AND``, ``OR``, ``NOT``, parentheses; only filterable
  attributes, else ``invalid_search_filter``); ``facets``; ``offset``/``limit``;
  ``attributesToRetrieve``.

It imports nothing from the project: what it finds and in which order is a model of
Meilisearch's documented behaviour, not of our engines, so a golden case that fails
here says that Meilisearch differs (the case says so, in tests/test_search_relevance.py).

- words: ``CharabiaModel``, after charabia's README and the "Tokenization" and
  "Language" pages (separators, per-script normalization, CamelCase, Arabic article,
  Chinese by jieba, Japanese by an IPA dictionary, ``localizedAttributes``); at most the
  first ten words of a query;
- typos: ``typo_budget`` (``minWordSizeForTypos``, "Typo tolerance settings"),
  ``typo_cost`` (Damerau-Levenshtein on the whole word, a first-letter typo counts two,
  "Typo tolerance calculations" and "Typo tolerance vs fuzzy search") and
  ``prefix_typo_cost`` (the last query word is a prefix, unless a separator follows it);
  word synonyms;
- ranking: the index's ``rankingRules`` in their order ("Ranking rules": words with the
  ``last`` matching strategy, typo, proximity, attribute, sort, exactness; see
  ``MeiliDouble._rank`` for how simply each is modelled).

Not modelled: split and concatenated query words, multi-word synonyms, stop words,
``disableOnAttributes``, phrase search, the German compound segmenter, Chinese kvariant
conversion, Thai and Korean dictionaries.

Failure modes, switched on by the test: ``down`` (connection refused),
``status_5xx`` (every call answers 503), ``fail_tasks`` (tasks end ``failed``),
``slow_steps`` (tasks need that many extra polls per step) and ``fail_next`` (the next n
tasks fail).
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from rapidfuzz.distance import OSA

_DOC_ID = re.compile(r"^[A-Za-z0-9_-]{1,511}$")
MAX_QUERY_WORDS = 10  # "Meilisearch only considers the first ten words of a query"

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
    analysed: dict[str, list[Occurrence]] = field(default_factory=dict)
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
        self.tokenizer = CharabiaModel()

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
            index.analysed.clear()
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
                index.analysed.pop(key, None)
                if merge and key in index.documents:
                    index.documents[key] = {**index.documents[key], **doc}
                else:
                    index.documents[key] = dict(doc)
        elif task.type == "documentDeletion":
            assert uid is not None
            index = self._index_for_write(uid)
            for key in p:
                index.documents.pop(str(key), None)
                index.analysed.pop(str(key), None)
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
        query = body.get("q") or ""
        words = self.tokenizer.words(query)[:MAX_QUERY_WORDS]
        # a separator after the last word means the user finished typing it
        prefix_last = bool(query) and _is_word_char(query[-1])
        candidates = [(key, d) for key, d in index.documents.items() if predicate(d)]
        matches = self._word_matches(index, words, prefix_last, settings)
        scored: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        for key, doc in candidates:
            score = self._rank(doc, self._analysed(index, key), matches, sort, settings)
            if score is None:
                continue
            scored.append((score, doc))

        scored.sort(key=lambda item: item[0])
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

    def _analysed(self, index: Index, key: str) -> list[Occurrence]:
        """The words of a document's searchable attributes (kept until it changes)."""
        if key not in index.analysed:
            doc = index.documents[key]
            settings = index.settings
            attributes = settings["searchableAttributes"]
            if attributes == ["*"]:
                attributes = list(doc)
            occurrences: list[Occurrence] = []
            value_number = 0
            for rank, attribute in enumerate(attributes):
                for path, text in _values(doc.get(attribute), attribute):
                    locales = _locales_of(path, settings.get("localizedAttributes"))
                    for position, token in enumerate(self.tokenizer.words(text, locales)):
                        occurrences.append(Occurrence(token, rank, value_number, position))
                    value_number += 1
            index.analysed[key] = occurrences
        return index.analysed[key]

    def _word_matches(self, index: Index, words: list[str], prefix_last: bool,
                      settings: dict[str, Any]) -> list[dict[str, tuple[int, bool]]]:
        """For each query word, the indexed words that answer it: token -> (typos,
        exact).  Exact, a synonym (exact too), the last word as a prefix (with typos,
        within its budget), else a typo within the word's budget."""
        typo = settings["typoTolerance"]
        synonyms: dict[str, set[str]] = {}
        for key, alternatives in settings["synonyms"].items():
            key_words = self.tokenizer.words(key)
            if len(key_words) == 1:
                synonyms.setdefault(key_words[0], set()).update(
                    w for v in alternatives for w in self.tokenizer.words(v)[:1])
        vocabulary = {o.token for key in index.documents for o in self._analysed(index, key)}
        out: list[dict[str, tuple[int, bool]]] = []
        for i, word in enumerate(words):
            budget = typo_budget(word, typo)
            prefix = prefix_last and i == len(words) - 1
            answers: dict[str, tuple[int, bool]] = {}
            for token in vocabulary:
                if token == word or token in synonyms.get(word, ()):
                    answers[token] = (0, True)
                    continue
                cost = prefix_typo_cost(word, token, budget) if prefix \
                    else typo_cost(word, token, budget)
                if cost is not None:
                    answers[token] = (cost, False)
            out.append(answers)
        return out

    @staticmethod
    def _rank(doc: dict[str, Any], occurrences: list[Occurrence],
              matches: list[dict[str, tuple[int, bool]]], sort: list[str],
              settings: dict[str, Any]) -> tuple[Any, ...] | None:
        """The document's bucket for each ranking rule, in the index's order, or None
        when it does not match.  After "Ranking rules":

        - words: the matching strategy ``last``: all query words first, then fewer,
          dropping words from the end of the query;
        - typo: the fewest typos of each matched word, summed;
        - proximity: for each pair of neighbouring query words, the distance between
          them in one attribute value (one more when reversed), at most 7, and 8 when
          they are never in the same value (a simplification of Meilisearch's);
        - attribute (attributeRank then wordPosition): the rank in
          ``searchableAttributes`` of the best attribute of each word, summed, then the
          word's first position there;
        - exactness: an attribute value that is exactly the query, then one that starts
          with it (the three buckets of milli's ``ExactAttribute``), then the number of
          matched words that were not matched exactly;
        - sort: the ``sort`` parameter of the search; ``attr:asc``/``attr:desc`` rules
          too.  Ties keep the order in which documents were added.
        """
        found: list[list[tuple[Occurrence, int, bool]]] = []
        for answers in matches:
            hits = [(o, *answers[o.token]) for o in occurrences if o.token in answers]
            if not hits:
                break
            found.append(hits)
        if matches and not found:
            return None
        buckets: list[Any] = []
        for rule in settings["rankingRules"]:
            if rule == "words":
                buckets.append(-len(found))
            elif rule == "typo":
                buckets.append(sum(min(t for _, t, _ in hits) for hits in found))
            elif rule == "proximity":
                buckets.append(sum(_proximity(a, b) for a, b in itertools.pairwise(found)))
            elif rule in ("attribute", "attributeRank", "wordPosition"):
                ranks = [min(o.attribute for o, _, _ in hits) for hits in found]
                positions = [min(o.position for o, _, _ in hits if o.attribute == rank)
                             for hits, rank in zip(found, ranks, strict=True)]
                if rule != "wordPosition":
                    buckets.append(sum(ranks))
                if rule != "attributeRank":
                    buckets.append(sum(positions))
            elif rule == "exactness":
                buckets.append(_exactness(occurrences, found))
            elif rule == "sort":
                buckets.extend(_sort_values(doc, sort))
            elif ":" in rule:
                buckets.extend(_sort_values(doc, [rule]))
        return tuple(buckets)


def _proximity(first: list[tuple[Occurrence, int, bool]],
               second: list[tuple[Occurrence, int, bool]]) -> int:
    best = 8
    for a, _, _ in first:
        for b, _, _ in second:
            if a.value == b.value:
                gap = b.position - a.position
                best = min(best, gap if gap > 0 else 1 - gap, 7)
    return best


def _exactness(occurrences: list[Occurrence],
               found: list[list[tuple[Occurrence, int, bool]]]) -> tuple[int, int]:
    inexact = sum(1 for hits in found if not any(exact for _, _, exact in hits))
    exact_words = [{o.token for o, _, exact in hits if exact} for hits in found]
    values: dict[int, list[str]] = {}
    for o in occurrences:
        values.setdefault(o.value, []).append(o.token)
    whole = 2
    for tokens_of_value in values.values():
        head = tokens_of_value[:len(exact_words)]
        if len(head) == len(exact_words) and all(
                t in wanted for t, wanted in zip(head, exact_words, strict=True)):
            whole = min(whole, 0 if len(tokens_of_value) == len(exact_words) else 1)
    return whole, inexact


def _sort_values(doc: dict[str, Any], sort: list[str]) -> list[Any]:
    values: list[Any] = []
    for s in sort:
        attr, _, direction = s.partition(":")
        value = str(doc.get(attr, ""))
        values.append(value if direction != "desc" else _Reverse(value))
    return values


class _Reverse:
    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: _Reverse) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reverse) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


# ---------------------------------------------------------------------- tokenizer
# A model of charabia, the tokenizer Meilisearch runs on documents and queries alike.
_HAN = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))
_KANA = ((0x3040, 0x309F), (0x30A0, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))
_THAI = ((0x0E00, 0x0E7F),)
_ARABIC_LETTERS = str.maketrans({"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627",
                                 "\u0671": "\u0627", "\u0649": "\u064a", "\u0629": "\u0647",
                                 "\u0640": None})
_LATIN_SPOOFS = str.maketrans({"đ": "d", "ð": "d", "ı": "i"})
_ARTICLE = "\u0627\u0644"  # ال


def _in(ch: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in ranges)


def _script(ch: str) -> str:
    if _in(ch, _HAN):
        return "han"
    if _in(ch, _KANA):
        return "kana"
    if _in(ch, _THAI):
        return "thai"
    try:
        return unicodedata.name(ch).split(" ", 1)[0].lower()
    except ValueError:
        return "unknown"


def _is_word_char(ch: str) -> bool:
    """Letters, digits and combining marks; everything else (spaces, punctuation, ``_``,
    ``'``, ``-``…) separates words, as charabia's default separators do."""
    return unicodedata.category(ch)[0] in "LNM"


def _camel_case(word: str) -> list[str]:
    """charabia's Latin CamelCase segmentation: a cut before an upper-case letter that
    follows a lower-case one ("GmbH" → "Gmb", "H"; "BCPI" stays whole)."""
    parts: list[str] = []
    start = 0
    for i in range(1, len(word)):
        if word[i].isupper() and word[i - 1].islower():
            parts.append(word[start:i])
            start = i
    parts.append(word[start:])
    return parts


def _normalize(word: str, script: str) -> str:
    """charabia's normalizers per script: compatibility decomposition everywhere; Latin
    lower-cased, nonspacing marks removed, Đ/ð and ı mapped; Cyrillic, Greek and Georgian
    lower-cased with their marks kept (ё stays apart from е), Greek final sigma; Arabic
    and Hebrew nonspacing marks removed, Arabic tatweel dropped and alef, yeh and taa
    marbuta unified; Thai nonspacing marks removed."""
    text = unicodedata.normalize("NFKD", word)
    if script == "latin":
        text = "".join(c for c in text.lower() if unicodedata.category(c) != "Mn")
        return text.translate(_LATIN_SPOOFS)
    if script in ("cyrillic", "georgian"):
        return text.lower()
    if script == "greek":
        return text.lower().replace("ς", "σ")
    if script in ("arabic", "hebrew", "thai"):
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        return text.translate(_ARABIC_LETTERS) if script == "arabic" else text
    return text.lower()


class CharabiaModel:
    """Words of a text as Meilisearch's tokenizer, charabia, makes them.

    What is modelled, after charabia's README and Meilisearch's "Tokenization",
    "Language" and "Data types" pages:

    - segmentation by separators: charabia cuts non-CJK text at Unicode word boundaries
      and its separators; here a word is a run of letters, digits and combining marks;
    - Latin CamelCase segmentation (``_camel_case``); the German compound decomposition
      is not modelled;
    - Arabic ``ال`` segmentation: the article is cut off a word as its own token;
    - normalization per script (``_normalize``); Chinese kvariant conversion
      (traditional to simplified) is not modelled;
    - Chinese: dictionary segmentation by jieba, as charabia does (its ``cut`` without the
      hidden Markov model), through rjieba, the binding of the same jieba-rs crate;
    - Japanese: lindera with the IPA dictionary in charabia; here janome, a segmenter on
      the same mecab-ipadic dictionary (the cuts can still differ at the margins);
    - which of the two a Han run gets: the attribute's ``localizedAttributes`` locale
      (``cmn`` or ``jpn``) when it has one; otherwise, as language detection does, a run
      with kana is Japanese and a run of Han alone is Chinese.  The query has no attribute
      (the engine sends no ``locales``), so it is detected the same way;
    - Thai is segmented by a dictionary in charabia; here a Thai run is kept whole, and
      Korean is cut at its spaces only (no lindera KO-dict).
    """

    def __init__(self) -> None:
        self._jieba: Any = None
        self._janome: Any = None

    def _chinese(self, run: str) -> list[str]:
        if self._jieba is None:
            import rjieba
            self._jieba = rjieba.Jieba()
        return list(self._jieba.cut(run, False))

    def _japanese(self, run: str) -> list[str]:
        if self._janome is None:
            from janome.tokenizer import Tokenizer
            self._janome = Tokenizer(wakati=True)
        return [str(w) for w in self._janome.tokenize(run)]

    def words(self, text: str, locales: Sequence[str] = ()) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(text):
            ch = text[i]
            if not _is_word_char(ch):
                i += 1
                continue
            if _script(ch) in ("han", "kana"):
                j = i
                while j < len(text) and (_script(text[j]) in ("han", "kana")
                                         or unicodedata.category(text[j]) == "Mn"):
                    j += 1
                run = text[i:j]
                japanese = "jpn" in locales or ("cmn" not in locales and any(
                    _script(c) == "kana" for c in run))
                pieces = self._japanese(run) if japanese else self._chinese(run)
                out.extend(unicodedata.normalize("NFKD", p) for p in pieces
                           if any(_is_word_char(c) for c in p))
                i = j
                continue
            j = i
            while j < len(text) and _is_word_char(text[j]) \
                    and _script(text[j]) not in ("han", "kana"):
                j += 1
            word = text[i:j]
            script = next((_script(c) for c in word if c.isalpha()), "digit")
            if script == "latin":
                out.extend(_normalize(p, script) for p in _camel_case(word))
            elif script == "arabic" and word.startswith(_ARTICLE) and len(word) > 3:
                out.extend([_ARTICLE, _normalize(word[2:], script)])
            else:
                out.append(_normalize(word, script))
            i = j
        return [w for w in out if w]


def _locales_of(path: str, localized: list[dict[str, Any]] | None) -> tuple[str, ...]:
    """The locales ``localizedAttributes`` gives the attribute at ``path``."""
    for rule in localized or []:
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in rule["attributePatterns"]):
            return tuple(rule["locales"])
    return ()


def _values(value: Any, path: str) -> list[tuple[str, str]]:
    """(attribute path, text) of every string under ``value`` (nested objects give
    ``name.zh``; array elements keep their attribute's path)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [pv for k, v in value.items() for pv in _values(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [pv for v in value for pv in _values(v, path)]
    return [(path, str(value))]


@dataclass(frozen=True)
class Occurrence:
    token: str
    attribute: int  # rank in searchableAttributes
    value: int      # which string of the document (proximity holds inside one)
    position: int   # word position inside that string


def typo_cost(word: str, token: str, budget: int) -> int | None:
    """Typos from ``word`` (asked) to ``token`` (indexed), or None beyond ``budget``.

    Meilisearch counts typos as a Damerau-Levenshtein distance (a transposition of
    neighbours is one typo; the restricted form, as a Levenshtein automaton builds it)
    over the whole word, and a typo on the first letter counts as two ("Typo tolerance
    vs fuzzy search": "First-character typo costs 2")."""
    if budget <= 0:
        return None
    d = OSA.distance(word, token, score_cutoff=budget)
    if d > budget:
        return None
    if word[:1] != token[:1]:
        return 2 if budget >= 2 else None
    return d


def prefix_typo_cost(word: str, token: str, budget: int) -> int | None:
    """As ``typo_cost``, for the last query word, which Meilisearch matches as a prefix
    (a prefix Levenshtein automaton): the fewest typos to any beginning of ``token``."""
    if token.startswith(word):
        return 0
    costs = [typo_cost(word, token[:n], budget)
             for n in range(max(1, len(word) - budget), min(len(token), len(word) + budget) + 1)]
    found = [c for c in costs if c is not None]
    return min(found) if found else None


def typo_budget(word: str, typo: dict[str, Any]) -> int:
    """``minWordSizeForTypos``: one typo from ``oneTypo`` letters (5 by default), two from
    ``twoTypos`` (9); ``disableOnWords`` and ``enabled: false`` allow none."""
    if not typo.get("enabled", True) or word in typo.get("disableOnWords", []):
        return 0
    sizes = typo["minWordSizeForTypos"]
    return 2 if len(word) >= sizes["twoTypos"] else 1 if len(word) >= sizes["oneTypo"] else 0


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
