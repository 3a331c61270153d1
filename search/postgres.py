"""The Postgres engine: the default, needing nothing but the database.

1. Each query word is resolved against the vocabulary (``search_terms``): exact words,
   pseudo-lexemes of country names and designation types, prefixes of the last word
   (``text_pattern_ops`` range scan), and typos (pg_trgm ``%`` on a GIN index, then the
   exact typo count in Python with Meilisearch's budget).
2. The candidates are the documents matching the first word (``terms @@ tsquery`` on the
   GIN index of ``search_documents.terms``), narrowed by the filters.  Like
   Meilisearch's default matching strategy ("last"), a document that matches the first
   k words is kept, and more words matched rank higher.
3. Ranking, all in one statement: words matched, then typos, then attribute (name,
   other fields, country name, designation words), then exactness, then id.  The same
   statement counts the total and the facets over the whole filtered result.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from search.documents import dkey
from search.engine import FACETS, EngineResult, SearchQuery, synonyms
from search.text import MIN_PREFIX_LENGTH, match_cost, query_words, typo_budget

TRIGRAM_THRESHOLD = "0.2"


@dataclass
class WordMatch:
    """The lexemes one query word reaches, by how it reaches them."""

    exact: set[str] = field(default_factory=set)
    prefix: set[str] = field(default_factory=set)  # pseudo-lexemes reached by prefix
    plain_prefix: str | None = None  # the word itself as a tsquery prefix
    typo1: set[str] = field(default_factory=set)
    typo2: set[str] = field(default_factory=set)


def _quote(lexeme: str, suffix: str = "") -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" + suffix


def _tsquery(lexemes: set[str], prefix: str | None = None, weights: str = "") -> str | None:
    parts = [_quote(x, f":{weights}" if weights else "") for x in sorted(lexemes)]
    if prefix is not None:
        parts.append(_quote(prefix, f":*{weights}"))
    return " | ".join(parts) if parts else None


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def expand_words(session: Session, words: list[str]) -> list[WordMatch]:
    """Resolve each query word against the vocabulary."""
    syn = synonyms()
    parts: list[str] = []
    params: dict[str, Any] = {}
    for i, word in enumerate(words):
        last = i == len(words) - 1
        params[f"w{i}"] = word
        params[f"s{i}"] = [word, *syn.get(word, [])]
        parts.append(f"SELECT {i} AS i, term, lexeme FROM search_terms "
                     f"WHERE term = ANY(CAST(:s{i} AS text[]))")
        if last and len(word) >= MIN_PREFIX_LENGTH:
            params[f"p{i}"] = _like_escape(word) + "%"
            parts.append(f"SELECT {i}, term, lexeme FROM search_terms "
                         f"WHERE term LIKE :p{i} AND lexeme LIKE '~%'")
        budget = typo_budget(word)
        if budget:
            params[f"lo{i}"] = len(word) - budget
            params[f"hi{i}"] = len(word) + budget
            parts.append(f"SELECT {i}, term, lexeme FROM search_terms WHERE term % :w{i} "
                         f"AND length(term) BETWEEN :lo{i} AND :hi{i}")
    session.execute(text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
                    {"t": TRIGRAM_THRESHOLD})
    rows = session.execute(text(" UNION ".join(parts)), params).all()
    matches = [WordMatch() for _ in words]
    for i, word in enumerate(words):
        last = i == len(words) - 1
        m = matches[i]
        m.exact.add(word)
        m.exact.update(syn.get(word, []))
        if last and len(word) >= MIN_PREFIX_LENGTH:
            m.plain_prefix = word
    for i, term, lexeme in rows:
        word = words[i]
        m = matches[i]
        if term in syn.get(word, ()):
            m.exact.add(lexeme)
            continue
        cost = match_cost(word, term, prefix_allowed=i == len(words) - 1)
        if cost is None:
            continue
        typos, exact = cost
        if exact:
            m.exact.add(lexeme)
        elif typos == 0:
            m.prefix.add(lexeme)
        else:
            (m.typo1 if typos == 1 else m.typo2).add(lexeme)
    return matches


class PostgresEngine:
    name = "postgres"

    def __init__(self, session: Session | None = None) -> None:
        self.session = session  # else each search is given the request's

    def search(self, query: SearchQuery, session: Session | None = None) -> EngineResult:
        db = session if session is not None else self.session
        if db is None:
            raise TypeError("the Postgres engine searches through a session")
        words = query_words(query.q)
        params: dict[str, Any] = {"limit": query.limit, "offset": query.offset}
        where = ["d.status = 'active'"]
        if query.countries is not None:
            where.append("d.country = ANY(CAST(:countries AS text[]))")
            params["countries"] = query.countries
        if query.kind:
            where.append("d.kind = :kind")
            params["kind"] = query.kind
        key = dkey(query.type, query.instrument, query.language, query.channel)
        if key:
            where.append("d.dkeys @> ARRAY[CAST(:dkey AS text)]")
            params["dkey"] = key
        columns = ["d.authority_id", "d.country", "d.types", "d.instruments", "d.languages"]
        order = "s.authority_id"
        if words:
            matches = expand_words(db, words)
            columns += self._score_columns(matches, params)
            where.append("d.terms @@ CAST(:all0 AS tsquery)")
            order = self._order(len(words))
        sql = f"""
            WITH s AS MATERIALIZED (
                SELECT {", ".join(columns)} FROM search_documents d
                WHERE {" AND ".join(where)}
            )
            SELECT
                (SELECT count(*) FROM s) AS total,
                (SELECT coalesce(array_agg(p.authority_id), '{{}}') FROM (
                    SELECT s.authority_id FROM s ORDER BY {order}
                    LIMIT :limit OFFSET :offset) p) AS page,
                (SELECT coalesce(json_object_agg(v, n), '{{}}') FROM (
                    SELECT country AS v, count(*) AS n FROM s GROUP BY 1) f) AS country,
                (SELECT coalesce(json_object_agg(v, n), '{{}}') FROM (
                    SELECT unnest(types) AS v, count(*) AS n FROM s GROUP BY 1) f) AS types,
                (SELECT coalesce(json_object_agg(v, n), '{{}}') FROM (
                    SELECT unnest(instruments) AS v, count(*) AS n FROM s GROUP BY 1) f)
                    AS instruments,
                (SELECT coalesce(json_object_agg(v, n), '{{}}') FROM (
                    SELECT unnest(languages) AS v, count(*) AS n FROM s GROUP BY 1) f)
                    AS languages
        """
        if words and params.get("all0") is None:
            return EngineResult(ids=[], total=0, facets={f: {} for f in FACETS},
                                engine=self.name)
        row = db.execute(text(sql), params).one()
        return EngineResult(
            ids=[uuid.UUID(str(x)) for x in row.page], total=row.total,
            facets={f: dict(getattr(row, f)) for f in FACETS}, engine=self.name,
        )

    def try_search(self, query: SearchQuery) -> EngineResult | None:
        return None  # always a database round trip

    @staticmethod
    def _score_columns(matches: list[WordMatch], params: dict[str, Any]) -> list[str]:
        cols = []
        for i, m in enumerate(matches):
            everything = m.exact | m.prefix | m.typo1 | m.typo2
            params[f"all{i}"] = _tsquery(everything, m.plain_prefix)
            params[f"ep{i}"] = _tsquery(m.exact | m.prefix, m.plain_prefix)
            params[f"e{i}"] = _tsquery(m.exact)
            params[f"t1{i}"] = _tsquery(m.typo1)
            params[f"t2{i}"] = _tsquery(m.typo2)
            for w in "ABC":
                params[f"a{w}{i}"] = _tsquery(everything, m.plain_prefix, weights=w)
            typo = ["CASE"]
            for name, value in (("ep", 0), ("t1", 1), ("t2", 2)):
                if params[f"{name}{i}"] is not None:
                    typo.append(f"WHEN d.terms @@ CAST(:{name}{i} AS tsquery) THEN {value}")
            typo.append("END")
            cols.append(f"{' '.join(typo) if len(typo) > 2 else 'NULL::int'} AS t{i}")
            attr = " ".join(f"WHEN d.terms @@ CAST(:a{w}{i} AS tsquery) THEN {n}"
                            for n, w in enumerate("ABC"))
            cols.append(f"CASE {attr} ELSE 3 END AS a{i}")
            exact = f"(d.terms @@ CAST(:e{i} AS tsquery))::int"
            cols.append(f"{exact} AS x{i}")
        return cols

    @staticmethod
    def _order(n: int) -> str:
        def upto(k: int, prefix: str) -> str:
            return " + ".join(f"s.{prefix}{j}" for j in range(k))

        words = ["CASE"]
        typos = ["CASE"]
        attrs = ["CASE"]
        exact = ["CASE"]
        for k in range(n, 0, -1):
            cond = " AND ".join(f"s.t{j} IS NOT NULL" for j in range(k))
            words.append(f"WHEN {cond} THEN {k}")
            typos.append(f"WHEN {cond} THEN {upto(k, 't')}")
            attrs.append(f"WHEN {cond} THEN {upto(k, 'a')}")
            exact.append(f"WHEN {cond} THEN {upto(k, 'x')}")
        for parts in (words, typos, attrs, exact):
            parts.append("END")
        return (f"{' '.join(words)} DESC, {' '.join(typos)}, {' '.join(attrs)}, "
                f"{' '.join(exact)} DESC, s.authority_id")


def explain(session: Session, query: SearchQuery) -> str:
    """EXPLAIN of the candidate scan of ``query`` (tests and the benchmark read it)."""
    words = query_words(query.q)
    matches = expand_words(session, words) if words else []
    first = _tsquery(matches[0].exact | matches[0].prefix | matches[0].typo1
                     | matches[0].typo2, matches[0].plain_prefix) if matches else None
    rows = session.execute(
        text("EXPLAIN SELECT authority_id FROM search_documents d "
             "WHERE d.status = 'active' AND d.terms @@ CAST(:q AS tsquery)"),
        {"q": first or "''"}).scalars()
    return "\n".join(rows)
