"""The in-process index's warm-up at start (search/memory.py ``Holder``, with
app/search/service.py ``warm_up``): done before the index is ready, it fills what it says
it fills, and searches answer as they would without it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.core.settings import get_settings
from app.db import engine as db_engine
from app.search import service
from app.search.indexing import index_config, vocabulary
from search import memory
from search.engine import SearchQuery
from tests.search_support import demo_url

__all__ = ["demo_url"]

KEPT_FROM = 50  # words a prefix reaches for its documents to be kept (demo vocabulary)


def _warmed_holder(url: str, ready_at_render: list[bool]) -> memory.Holder:
    """A holder of ``url``'s database built as the application's start builds it."""
    settings = get_settings()
    holder = memory.Holder(db_engine.make_engine(url), index_config(settings))
    view, render = service.warm_up(settings)

    def render_watched(document: dict[str, Any]) -> bytes:
        ready_at_render.append(holder.ready.is_set())
        return render(document)

    holder.warm_with = (view, render_watched)
    holder.build()
    return holder


def test_the_warm_up_fills_the_render_cache_and_highlight_words_before_ready(
        demo_url: str) -> None:
    ready_at_render: list[bool] = []
    holder = _warmed_holder(demo_url, ready_at_render)
    index = holder.index
    assert holder.ready.is_set() and holder.error is None and index is not None
    docs = [d for d in index.docs if d is not None]
    assert len(ready_at_render) == len(docs) > 100
    assert not any(ready_at_render)  # every record rendered before the index was ready
    assert set(holder.render_cache) == {(d.id, d.version, "public") for d in docs}
    # held as UTF-8 JSON of the public view, no contacts
    for rendered in holder.render_cache.values():
        assert isinstance(rendered, bytes) and "contacts" not in json.loads(rendered)
    # the values hits highlight were cut into words: asking again is a cache hit
    vocab = vocabulary()
    values = [value for d in docs for _, value in d.fields]
    values += [name for d in docs for name in vocab.country_names.get(d.country, ())]
    values += [term for d in docs for t in d.types for term in vocab.type_terms.get(t, ())]
    misses = service._word_spans.cache_info().misses
    for value in values:
        service._word_spans(value)
    assert service._word_spans.cache_info().misses == misses
    holder.engine.dispose()


def test_the_warm_up_keeps_the_documents_of_the_widest_prefixes_and_changes_no_answer(
        demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "PREFIX_CACHED_FROM", KEPT_FROM)
    holder = _warmed_holder(demo_url, [])
    index = holder.index
    assert index is not None
    reach: dict[str, int] = {}
    for term in index.terms:  # by brute force: every 2- and 3-letter prefix's words
        for prefix in {term[:2], term[:3]} - {term}:
            reach[prefix] = reach.get(prefix, 0) + 1
    widest = {p for p, words in reach.items() if words >= KEPT_FROM}
    assert 0 < len(widest) <= memory.PREFIXES_KEPT
    assert set(index._prefixes) == widest  # kept before the first search asks
    cold = memory.build(holder.engine, index_config(get_settings()).vocabulary)
    asked = [SearchQuery(q=""), SearchQuery(q="mi", limit=50),
             *(SearchQuery(q=p) for p in sorted(widest)),
             SearchQuery(q="ministerio justi", countries=["ESP", "ARG", "MEX"])]
    for query in asked:
        warm, fresh = index.search(query), cold.search(query)
        assert (warm.ids, warm.total, warm.facets, warm.matched_terms) == \
            (fresh.ids, fresh.total, fresh.facets, fresh.matched_terms), query
    assert any(index.search(q).total > 1 for q in asked)
    holder.engine.dispose()
