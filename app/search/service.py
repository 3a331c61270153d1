"""Search: ask the engine, turn its result into hits with highlights, facets and a page."""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.access.principal import Principal
from app.authorities.documents import View, view_of
from app.core.jsonenc import compact_json, compact_json_kept
from app.core.problems import FieldError, Problem
from app.core.settings import Settings
from app.reference.service import cached_reference, resolve_filters
from app.search.indexing import vocabulary
from search import memory
from search.engine import EngineResult, SearchEngine, SearchQuery, synonyms
from search.text import cjk_pieces, fold, has_cjk, match_cost, query_words

MAX_OFFSET = 10_000
FACET_NAMES = {"country": "country", "types": "type", "instruments": "instrument",
               "languages": "language"}


def _fingerprint(query: SearchQuery) -> str:
    data = asdict(query)
    data.pop("offset")
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.blake2b(raw, digest_size=6).hexdigest()


def encode_cursor(query: SearchQuery, offset: int) -> str:
    raw = json.dumps({"o": offset, "f": _fingerprint(query)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(query: SearchQuery, cursor: str) -> int:
    """The offset a cursor stands for; it must come from the same query and filters."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset, fingerprint = raw["o"], raw["f"]
        if not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
            raise ValueError("bad offset")
    except (ValueError, TypeError, KeyError, binascii.Error, json.JSONDecodeError):
        raise Problem(status=422, detail="the cursor is not one this API handed out",
                      errors=[FieldError(("query", "cursor"), "invalid cursor",
                                         "cursor")]) from None
    if fingerprint != _fingerprint(query):
        raise Problem(status=422, detail="the cursor belongs to another query or filters",
                      errors=[FieldError(("query", "cursor"), "cursor of another query",
                                         "cursor")])
    return int(offset)


def hydrate(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """Current full documents of active records, from Postgres (the latest revision)."""
    if not ids:
        return {}
    rows = session.execute(
        text("SELECT a.id, r.document FROM authorities a "
             "JOIN revisions r ON r.authority_id = a.id AND r.version = a.version "
             "WHERE a.id = ANY(:ids) AND a.status = 'active'"), {"ids": ids}).all()
    return {row[0]: row[1] for row in rows}


_WORD = re.compile(r"\w+")


@lru_cache(maxsize=65536)
def _word_spans(value: str) -> tuple[tuple[int, int, str], ...]:
    """Where the words of a field value are, each with its folded form.  Hits repeat
    the same names, countries and designation terms from query to query: each value is
    tokenised and folded once per process."""
    spans: list[tuple[int, int, str]] = []
    for m in _WORD.finditer(value):
        if has_cjk(m.group()):
            spans += [(m.start() + start, m.start() + end, folded)
                      for start, end, folded in cjk_pieces(m.group())]
        else:
            spans.append((m.start(), m.end(), fold(m.group())))
    return tuple(spans)


def _word_matcher(words: list[str], syn: dict[str, list[str]]) -> Callable[[str], bool]:
    def matches(token: str) -> bool:  # a folded token
        for i, word in enumerate(words):
            if token in syn.get(word, ()) or match_cost(
                    word, token, prefix_allowed=i == len(words) - 1) is not None:
                return True
        return False
    return matches


def _highlight(value: str, words: list[str], syn: dict[str, list[str]]) -> str | None:
    """``value`` with matched words in <em>, or None when no word matched."""
    return _highlight_with(value, _word_matcher(words, syn))


def _highlight_with(value: str, matches: Callable[[str], bool]) -> str | None:
    """``value`` with the words ``matches`` accepts (given folded) in <em> (overlapping
    CJK bigrams merged into one fragment)."""
    spans: list[tuple[int, int]] = []
    for start, end, folded in _word_spans(value):
        if matches(folded):
            if spans and start < spans[-1][1]:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((start, end))
    if not spans:
        return None
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out.append(html.escape(value[pos:start]))
        out.append("<em>" + html.escape(value[start:end]) + "</em>")
        pos = end
    out.append(html.escape(value[pos:]))
    return "".join(out)


def highlighted_fields(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The fields of a record whose words a hit highlights, with their values."""
    fields: list[tuple[str, str]] = []
    fields += [(f"name.{k}", v) for k, v in (record.get("name") or {}).items()]
    if record.get("acronym"):
        fields.append(("acronym", record["acronym"]))
    fields += [(f"parent.{k}", v) for k, v in (record.get("parent") or {}).items()]
    locality = (record.get("address") or {}).get("locality")
    if locality:
        fields.append(("address.locality", locality))
    return fields


def matched_fields(record: dict[str, Any], words: list[str],
                   languages: list[str]) -> list[dict[str, str]]:
    """Which fields of ``record`` the query words matched, with highlighted fragments."""
    if not words:
        return []
    syn = synonyms()
    out = []
    for field, value in highlighted_fields(record):
        fragment = _highlight(value, words, syn)
        if fragment is not None:
            out.append({"field": field, "highlight": fragment})
    vocab = vocabulary()
    country_names = vocab.country_names.get(record["country"], ())
    for name in country_names:
        fragment = _highlight(name, words, syn)
        if fragment is not None:
            out.append({"field": "country", "highlight": fragment})
            break
    types = sorted({d["type"] for d in record.get("designations", [])})
    for t in types:
        for term in vocab.type_terms.get(t, ()):
            fragment = _highlight(term, words, syn)
            if fragment is not None:
                out.append({"field": "designations.type", "highlight": fragment})
                break
    return out


def start_offset(query: SearchQuery, offset: int | None, cursor: str | None) -> int:
    if offset is not None and cursor is not None:
        raise Problem(status=422, detail="give either offset or cursor, not both",
                      errors=[FieldError(("query", "cursor"), "offset and cursor given",
                                         "conflict")])
    if cursor is not None:
        return decode_cursor(query, cursor)
    return offset or 0


def search(session: Session, principal: Principal, query: SearchQuery, offset: int,
           languages: list[str], engine: SearchEngine, raw: bool = False) -> dict[str, Any]:
    """One page of hits in the caller's view.  ``query.countries`` is already narrowed
    to what the caller may see (an empty list: nothing).

    With ``raw``, each hit's record is given as its UTF-8 JSON (``record_json``, bytes), ready
    for ``page_json``."""
    query = replace(query, offset=offset)
    result = engine.search(query, session)
    hits = hits_of(session, principal, result, query_words(query.q), languages, raw)
    return _page_of(query, result, hits or [])


def hits_of(session: Session | None, principal: Principal, result: EngineResult,
            words: list[str], languages: list[str], raw: bool) -> list[dict[str, Any]] | None:
    """The hits of any engine's result, in the caller's view, with what matched.  A result
    of the in-process index brings its records from its render cache and its highlights
    from its token matches; any other is read from Postgres.  Without a session: None
    when the database would have to be read."""
    if isinstance(result, memory.MemoryResult) and result.holder is not None \
            and result.index is not None:
        return _memory_hits(session, result.holder, principal, result.index, result, words,
                            raw)
    if session is None:
        return None
    hits = []
    documents = hydrate(session, result.ids)
    for authority_id in result.ids:
        document = documents.get(authority_id)
        if document is None or not principal.may_see_country(document["country"]):
            continue  # withdrawn or out of scope since the index was written
        record = view_of(document, principal.view)
        hit: dict[str, Any] = {"matches": matched_fields(document, words, languages)}
        if raw:
            hit["record_json"] = compact_json(record)
        else:
            hit["record"] = record
        hits.append(hit)
    return hits


def _page_of(query: SearchQuery, result: EngineResult,
             hits: list[dict[str, Any]]) -> dict[str, Any]:
    next_offset = query.offset + query.limit
    return {
        "hits": hits,
        "total": result.total,
        "facets": {FACET_NAMES[k]: v for k, v in result.facets.items()},
        "engine": result.engine,
        "limit": query.limit,
        "offset": query.offset,
        "next_cursor": encode_cursor(query, next_offset)
        if next_offset < result.total and next_offset <= MAX_OFFSET else None,
    }


@dataclass(frozen=True)
class SearchRequest:
    """A search as asked: the parameters of the query string, not yet checked."""

    q: str
    countries: tuple[str, ...]
    type: str | None
    instrument: str | None
    language: str | None
    channel: str | None
    kind: str | None
    limit: int
    offset: int | None
    cursor: str | None


def _query_of(principal: Principal, request: SearchRequest,
              resolved: list[str]) -> SearchQuery:
    query = SearchQuery(q=request.q, countries=principal.visible_countries(resolved),
                        type=request.type, instrument=request.instrument,
                        language=request.language, channel=request.channel,
                        kind=request.kind, limit=request.limit)
    return replace(query, offset=start_offset(query, request.offset, request.cursor))


def answer(session: Session, principal: Principal, request: SearchRequest,
           languages: list[str], engine: SearchEngine) -> dict[str, Any]:
    """One page for ``request``, hits as UTF-8 JSON (``page_json``).  It may read the
    database: call it from a worker thread."""
    resolved = resolve_filters(session, list(request.countries), request.type,
                               request.instrument)
    query = _query_of(principal, request, resolved)
    return search(session, principal, query, query.offset, languages, engine, raw=True)


async def answer_on_loop(session: Session, principal: Principal, request: SearchRequest,
                         languages: list[str], engine: SearchEngine) -> dict[str, Any]:
    """As ``answer``, on the event loop when the engine can answer at once (the
    in-process index: a hand-off to a worker thread costs more than the search itself),
    else in a worker thread."""
    page = await answer_at_once(session, principal, request, languages, engine)
    if page is None:
        page = await run_in_threadpool(answer, session, principal, request, languages,
                                       engine)
    return page


async def answer_at_once(session: Session, principal: Principal, request: SearchRequest,
                         languages: list[str], engine: SearchEngine) -> dict[str, Any] | None:
    """As ``answer``, without a database round trip for the search (the records of hits
    not in the render cache being read in a worker thread); None when the engine cannot
    answer that way (Postgres, Meilisearch; the in-process index not built, behind this
    process's writes or busy applying changes) or the reference data is due to be
    re-read."""
    reference = cached_reference()
    if reference is None:
        return None
    resolved = resolve_filters(reference, list(request.countries), request.type,
                               request.instrument)
    query = _query_of(principal, request, resolved)
    result = engine.try_search(query)
    if result is None:
        return None
    words = query_words(query.q)
    hits = hits_of(None, principal, result, words, languages, raw=True)
    if hits is None:
        hits = await run_in_threadpool(hits_of, session, principal, result, words,
                                       languages, True)
    return _page_of(query, result, hits or [])


def renderer(view: View) -> Callable[[dict[str, Any]], bytes]:
    """A record as hits carry it: the UTF-8 JSON of its ``view`` (bytes: a multilingual
    record's text held as ``str`` takes two or four bytes a character, and the render
    cache holds thousands of them)."""
    def render(document: dict[str, Any]) -> bytes:
        return compact_json_kept(view_of(document, view))
    return render


def warm_up(settings: Settings) -> tuple[View, Callable[[dict[str, Any]], bytes]]:
    """What the in-process index renders ahead at start: the view most searches ask for
    (the public one, unless public reading is off).  Rendering a record ahead also cuts
    the values its highlights are made of into words (``_word_spans``), as the first
    search to reach it would."""
    view = View.public if settings.public_read else View.full
    render = renderer(view)
    vocab = vocabulary()

    def render_ahead(document: dict[str, Any]) -> bytes:
        for _, value in highlighted_fields(document):
            _word_spans(value)
        for name in vocab.country_names.get(document["country"], ()):
            _word_spans(name)
        for designation in document.get("designations", []):
            for term in vocab.type_terms.get(designation["type"], ()):
                _word_spans(term)
        return render(document)
    return view, render_ahead


def _memory_hits(session: Session | None, holder: memory.Holder, principal: Principal,
                 index: memory.MemoryIndex, result: memory.MemoryResult, words: list[str],
                 raw: bool) -> list[dict[str, Any]] | None:
    """Hits of the in-process index: the revision it indexed, rendered in the caller's
    view through ``view_of`` (cached per process by id, version and view), and the
    highlights from the words the query reached in the vocabulary.  Without a session:
    None when a record is not in the cache."""
    docs = [d for n in result.docnos if (d := index.docs[n]) is not None]
    docs = [d for d in docs if principal.may_see_country(d.country)]
    if not docs:
        return []
    view = principal.view
    rendered = holder.rendered(session, [(d.id, d.version) for d in docs], view,
                               renderer(view))
    if rendered is None:
        return None
    matches = index.token_matches(result.matched_terms, words)
    matched = result.matched_terms
    vocab_country = index.country_tokens
    vocab_type = index.type_tokens
    fragments: dict[str, str | None] = {}  # values repeat on a page (types, countries)

    def highlight(value: str) -> str | None:
        if value in fragments:
            return fragments[value]
        fragment = fragments[value] = _highlight_with(value, matches)
        return fragment

    # the first of a country's names (a type's terms) the query reached: once per page
    by_country: dict[str, str | None] = {}
    by_type: dict[str, str | None] = {}

    def country_fragment(code: str) -> str | None:
        if code not in by_country:
            by_country[code] = None
            names = vocab_country.get(code, ())
            if names and not matched.isdisjoint(index.country_words(code)):
                by_country[code] = first_fragment(names)
        return by_country[code]

    def type_fragment(code: str) -> str | None:
        if code not in by_type:
            by_type[code] = first_fragment(vocab_type.get(code, ()))
        return by_type[code]

    def first_fragment(values: Any) -> str | None:
        for value, toks in values:
            if not toks.isdisjoint(matched):
                fragment = highlight(value)
                if fragment is not None:
                    return fragment
        return None

    hits = []
    for d in docs:
        entry = rendered.get(d.id)
        if entry is None:
            continue
        fields: list[dict[str, str]] = []
        if words:
            for name, value in d.fields:
                fragment = highlight(value)
                if fragment is not None:
                    fields.append({"field": name, "highlight": fragment})
            fragment = country_fragment(d.country)
            if fragment is not None:
                fields.append({"field": "country", "highlight": fragment})
            for t in sorted(set(d.types)):
                fragment = type_fragment(t)
                if fragment is not None:
                    fields.append({"field": "designations.type", "highlight": fragment})
        hit: dict[str, Any] = {"matches": fields}
        if raw:
            hit["record_json"] = entry[0]
        else:
            hit["record"] = json.loads(entry[0])
        hits.append(hit)
    return hits


def page_json(page: dict[str, Any]) -> bytes:
    """The page as JSON; records given as ``record_json`` (UTF-8 JSON) are inserted as
    they are."""
    hits = b",".join(
        b'{"record":' + (h["record_json"] if "record_json" in h else compact_json(h["record"]))
        + b',"matches":' + compact_json(h["matches"]) + b"}" for h in page["hits"])
    rest = compact_json({k: v for k, v in page.items() if k != "hits"})
    return b'{"hits":[' + hits + b"]," + rest[1:]
