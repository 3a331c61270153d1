"""Keeping the derived search documents in step with the records.

``refresh_search_document`` runs inside every write transaction (``save_record`` calls
it after the record's rows are flushed), so the Postgres engine never lags behind the
records, whichever process writes (the API, ``cna seed``, ``cna import``, the worker).
The documents themselves are built by search/documents.py from the rendered record and
the reference data given here.

A write made through this process also tells the in-process index of its database
(search/memory.py) once it commits, so the next search there catches up first: the
application's lifespan attaches an ``after_commit`` listener for its own engine
(``telling``), and ``create_app`` the one that clears the transaction's flag when it ends
(``install_search_listener``); nothing is attached at import.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

from app.authorities.documents import render
from app.authorities.models import Authority
from app.core.jsonenc import compact_json_text
from app.core.settings import Settings
from app.reference.data import read_json
from search.documents import (
    Vocabulary,
    build_vocabulary,
    pseudo_lexemes,
    pseudo_rows,
    pseudo_texts,
    public_document,
    tsvector_literal,
    vocabulary_rows,
)
from search.memory import IndexConfig, MemoryEngine

DIRTY = "cna_search_dirty"  # session.info: this transaction wrote a search document


@cache
def vocabulary() -> Vocabulary:
    """Country names and designation type words, from seed_data/reference (the same
    files the reference tables are seeded from), read once per process."""
    return build_vocabulary(read_json("countries.json"), read_json("designation_types.json"))


def index_config(settings: Settings) -> IndexConfig:
    """What the in-process index needs from the settings and the reference data."""
    return IndexConfig(vocabulary=vocabulary(),
                              ready_wait_seconds=settings.search_ready_wait_seconds,
                              poll_seconds=settings.search_poll_seconds,
                              render_cache=settings.search_render_cache)


def _insert_terms(session: Session, rows: list[tuple[str, str]]) -> None:
    if not rows:
        return
    session.execute(
        text("INSERT INTO search_terms (term, lexeme) "
             "SELECT x.t, x.l FROM unnest(CAST(:terms AS text[]), CAST(:lexemes AS text[])) "
             "AS x(t, l) WHERE NOT EXISTS (SELECT 1 FROM search_terms s "
             "WHERE s.term = x.t AND s.lexeme = x.l)"),
        {"terms": [r[0] for r in rows], "lexemes": [r[1] for r in rows]},
    )


def _ensure_pseudo_terms(session: Session, doc: dict[str, Any]) -> None:
    """Make sure the country's and the types' words are in the vocabulary (once each)."""
    vocab = vocabulary()
    wanted = pseudo_lexemes(doc)
    present = set(session.execute(
        text("SELECT DISTINCT lexeme FROM search_terms WHERE lexeme = ANY(:l)"),
        {"l": wanted}).scalars())
    for lexeme in wanted:
        if lexeme not in present:
            _insert_terms(session, pseudo_rows(lexeme, pseudo_texts(lexeme, vocab)))


def write_search_document(session: Session, record: dict[str, Any]) -> None:
    """Upsert the derived row of one rendered record (and extend the vocabulary)."""
    doc = public_document(record)
    _insert_terms(session, vocabulary_rows(doc))
    _ensure_pseudo_terms(session, doc)
    session.execute(
        text("""
            INSERT INTO search_documents (authority_id, version, country, status, kind, types,
                                          instruments, languages, dkeys, terms, document)
            VALUES (:id, :version, :country, :status, :kind, :types, :instruments,
                    :languages, :dkeys, CAST(:terms AS tsvector), CAST(:document AS jsonb))
            ON CONFLICT (authority_id) DO UPDATE SET
                version = excluded.version, country = excluded.country,
                status = excluded.status, kind = excluded.kind, types = excluded.types,
                instruments = excluded.instruments, languages = excluded.languages,
                dkeys = excluded.dkeys, terms = excluded.terms, document = excluded.document
        """),
        {"id": uuid.UUID(doc["id"]), "version": doc["version"], "country": doc["country"],
         "status": doc["status"], "kind": doc["kind"], "types": doc["types"],
         "instruments": doc["instruments"], "languages": doc["languages"],
         "dkeys": doc["dkeys"], "terms": tsvector_literal(doc),
         "document": compact_json_text(doc)},
    )


def refresh_search_document(session: Session, authority: Authority) -> None:
    """Called inside every write transaction, after the record's rows are flushed."""
    write_search_document(session, render(authority))
    session.info[DIRTY] = True


def rebuild_search_documents(session: Session, batch: int = 500) -> int:
    """Rebuild every derived row from the current revisions (to repair, or after the
    tokenizer changed); returns how many were written.  The caller owns the
    transaction."""
    count = 0
    last: uuid.UUID | None = None
    while True:
        rows = session.execute(
            text("""
                SELECT a.id, r.document FROM authorities a
                JOIN revisions r ON r.authority_id = a.id AND r.version = a.version
                WHERE (CAST(:last AS uuid) IS NULL OR a.id > CAST(:last AS uuid))
                ORDER BY a.id LIMIT :n
            """), {"last": last, "n": batch}).all()
        if not rows:
            return count
        for _, document in rows:
            write_search_document(session, document)
        count += len(rows)
        last = rows[-1][0]


def _forget_the_write(session: OrmSession, transaction: SessionTransaction) -> None:
    """The outermost transaction ended (after its ``after_commit`` listeners, or rolled
    back): its flag goes with it."""
    if transaction.parent is None:
        session.info.pop(DIRTY, None)


def install_search_listener() -> None:
    """Attach the listener that clears the flag (once, however often it is called)."""
    if not event.contains(OrmSession, "after_transaction_end", _forget_the_write):
        event.listen(OrmSession, "after_transaction_end", _forget_the_write)


@contextmanager
def telling(index: MemoryEngine) -> Iterator[None]:
    """While the block runs, a commit of this process that wrote a search document
    marks ``index``'s copy of that database behind (it catches up before its next
    search).  One listener per application: each reads the flag, none consumes it."""
    def tell(session: OrmSession) -> None:
        if not session.info.get(DIRTY):
            return
        bind = session.get_bind()
        engine = bind.engine if isinstance(bind, Connection) else bind
        if isinstance(engine, Engine):
            index.note_write(engine)

    event.listen(OrmSession, "after_commit", tell)
    try:
        yield
    finally:
        event.remove(OrmSession, "after_commit", tell)
