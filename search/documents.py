"""The derived search document of an authority.

``refresh_search_document`` runs inside every write transaction (``save_record`` calls
it after the record's rows are flushed), so the Postgres engine never lags behind the
records.  The same builder produces the public document that the relay sends to
Meilisearch: only public fields, never contacts, phones or e-mails.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.authorities.documents import render
from app.authorities.models import Authority
from app.core.jsonenc import compact_json_text
from app.reference.data import read_json
from search.text import tokens, transliterations

COUNTRY_PREFIX = "~c~"
TYPE_PREFIX = "~t~"

# Designation filter keys: one key per designation and per combination of the filter
# fields it could be asked with, so that combined filters hold for one and the same
# designation (as in /v1/authorities) with a single array lookup in either engine.
DKEY_FIELDS = (("t", "type"), ("i", "instrument"), ("l", "languages"), ("c", "channels"))


def dkey(type_: str | None = None, instrument: str | None = None,
         language: str | None = None, channel: str | None = None) -> str | None:
    parts = [f"{k}={v}" for k, v in (("t", type_), ("i", instrument), ("l", language),
                                      ("c", channel)) if v is not None]
    return "|".join(parts) or None


def designation_keys(designations: Iterable[dict[str, Any]]) -> list[str]:
    keys: set[str] = set()
    for d in designations:
        options: list[list[str | None]] = [
            [None, d["type"]], [None, d["instrument"]],
            [None, *d.get("languages", [])], [None, *d.get("channels", [])],
        ]
        for combo in itertools.product(*options):
            key = dkey(*combo)
            if key is not None:
                keys.add(key)
    return sorted(keys)


def _texts(value: dict[str, str] | None) -> list[str]:
    return list(value.values()) if value else []


def public_document(record: dict[str, Any]) -> dict[str, Any]:
    """The public, searchable part of a rendered record (what Meilisearch may hold)."""
    designations = record.get("designations", [])
    names = _texts(record.get("name"))
    if record.get("acronym"):
        names.append(record["acronym"])
    others = _texts(record.get("parent"))
    locality = (record.get("address") or {}).get("locality")
    if locality:
        others.append(locality)
    return {
        "id": record["id"],
        "version": record["version"],
        "country": record["country"],
        "kind": record["kind"],
        "status": record["status"],
        "name": record.get("name") or {},
        "acronym": record.get("acronym"),
        "parent": record.get("parent") or {},
        "locality": locality,
        "name_translit": [t for n in names for t in transliterations(n)],
        "other_translit": [t for o in others for t in transliterations(o)],
        "types": sorted({d["type"] for d in designations}),
        "instruments": sorted({d["instrument"] for d in designations}),
        "languages": sorted({lang for d in designations for lang in d["languages"]}),
        "channels": sorted({c for d in designations for c in d["channels"]}),
        "dkeys": designation_keys(designations),
    }


def name_texts(doc: dict[str, Any]) -> list[str]:
    """Texts of the name class (weight A): names, acronym, their transliterations."""
    return [*doc["name"].values(), *([doc["acronym"]] if doc.get("acronym") else []),
            *doc["name_translit"]]


def other_texts(doc: dict[str, Any]) -> list[str]:
    """Texts of the second class (weight B): parent body, locality, transliterations."""
    return [*doc["parent"].values(), *([doc["locality"]] if doc.get("locality") else []),
            *doc["other_translit"]]


def _lexeme_literal(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(doc: dict[str, Any]) -> str:
    """The weighted tsvector of a public document, as tsvector input text."""
    weights: dict[str, set[str]] = {}
    for w, texts in (("A", name_texts(doc)), ("B", other_texts(doc))):
        for t in texts:
            for tok in tokens(t):
                weights.setdefault(tok, set()).add(w)
    weights.setdefault(COUNTRY_PREFIX + doc["country"], set()).add("C")
    for t in doc["types"]:
        weights.setdefault(TYPE_PREFIX + t, set()).add("D")
    parts = []
    for lexeme, ws in sorted(weights.items()):
        positions = ",".join(f"{i + 1}{w}" for i, w in enumerate(sorted(ws)))
        parts.append(f"{_lexeme_literal(lexeme)}:{positions}")
    return " ".join(parts)


@dataclass(frozen=True)
class Vocabulary:
    """Country names (every CLDR language) and designation type words, as data."""

    country_names: dict[str, tuple[str, ...]]
    type_terms: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """Read from seed_data/reference, the same files the reference tables are seeded from."""
    countries = {
        c["alpha3"]: tuple(dict.fromkeys(
            [*c["names"].values(), *(t for n in c["names"].values()
                                     for t in transliterations(n))]))
        for c in read_json("countries.json")
    }
    types = {
        t["code"]: tuple(dict.fromkeys(
            [*t["names"].values(), *(s for syns in t["synonyms"].values() for s in syns),
             t["code"].replace("_", " ")]))
        for t in read_json("designation_types.json")
    }
    return Vocabulary(countries, types)


def index_document(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as Meilisearch holds it: the public document, with the country's names
    in every language and the designation types' words in the six UN languages."""
    vocab = vocabulary()
    return {
        **doc,
        "country_names": list(vocab.country_names.get(doc["country"], ())),
        "designation_terms": [w for t in doc["types"] for w in vocab.type_terms.get(t, ())],
    }


def _vocabulary_rows(doc: dict[str, Any]) -> list[tuple[str, str]]:
    rows = {(tok, tok) for t in (*name_texts(doc), *other_texts(doc)) for tok in tokens(t)}
    return sorted(rows)


def _pseudo_rows(lexeme: str, texts: Iterable[str]) -> list[tuple[str, str]]:
    return sorted({(tok, lexeme) for t in texts for tok in tokens(t)})


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
    wanted = [COUNTRY_PREFIX + doc["country"], *(TYPE_PREFIX + t for t in doc["types"])]
    present = set(session.execute(
        text("SELECT DISTINCT lexeme FROM search_terms WHERE lexeme = ANY(:l)"),
        {"l": wanted}).scalars())
    for lexeme in wanted:
        if lexeme in present:
            continue
        if lexeme.startswith(COUNTRY_PREFIX):
            texts = vocab.country_names.get(lexeme[len(COUNTRY_PREFIX):], ())
        else:
            texts = vocab.type_terms.get(lexeme[len(TYPE_PREFIX):], ())
        _insert_terms(session, _pseudo_rows(lexeme, texts))


def write_search_document(session: Session, record: dict[str, Any]) -> None:
    """Upsert the derived row of one rendered record (and extend the vocabulary)."""
    doc = public_document(record)
    _insert_terms(session, _vocabulary_rows(doc))
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
         "document": _json(doc)},
    )


def _json(value: Any) -> str:
    return compact_json_text(value)


def refresh_search_document(session: Session, authority: Authority) -> None:
    """Called inside every write transaction, after the record's rows are flushed."""
    write_search_document(session, render(authority))
    session.info["cna_search_dirty"] = True


def rebuild_search_documents(session: Session, batch: int = 500) -> int:
    """Rebuild every derived row from the current revisions (after an upgrade, or to
    repair); returns how many were written.  The caller owns the transaction."""
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


# In-process search indexes (search/memory.py) catch up before their next search once a
# write of this process committed: the write itself only bumps this counter.
_write_generation = 0


def write_generation() -> int:
    return _write_generation


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    global _write_generation
    if session.info.pop("cna_search_dirty", False):
        _write_generation += 1
