"""The derived search document of an authority, as pure functions of what they are given.

``public_document`` takes a rendered record and keeps its public, searchable part (what
the Postgres engine indexes and the relay sends to Meilisearch: never contacts, phones
or e-mails); the reference data comes in as a ``Vocabulary``.  Reading records and
reference files, and writing the ``search_documents`` rows, is the application's
(app/search/indexing.py): nothing here imports ``app``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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


def build_vocabulary(countries: Iterable[dict[str, Any]],
                     designation_types: Iterable[dict[str, Any]]) -> Vocabulary:
    """The vocabulary of the reference data: ``countries`` as in countries.json (``alpha3``,
    ``names``), ``designation_types`` as in designation_types.json (``code``, ``names``,
    ``synonyms``)."""
    country_names = {
        c["alpha3"]: tuple(dict.fromkeys(
            [*c["names"].values(), *(t for n in c["names"].values()
                                     for t in transliterations(n))]))
        for c in countries
    }
    type_terms = {
        t["code"]: tuple(dict.fromkeys(
            [*t["names"].values(), *(s for syns in t["synonyms"].values() for s in syns),
             t["code"].replace("_", " ")]))
        for t in designation_types
    }
    return Vocabulary(country_names, type_terms)


def index_document(doc: dict[str, Any], vocab: Vocabulary) -> dict[str, Any]:
    """The document as Meilisearch holds it: the public document, with the country's names
    in every language and the designation types' words in the six UN languages."""
    return {
        **doc,
        "country_names": list(vocab.country_names.get(doc["country"], ())),
        "designation_terms": [w for t in doc["types"] for w in vocab.type_terms.get(t, ())],
    }


def vocabulary_rows(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """``(term, lexeme)`` rows of the words a public document is indexed under."""
    rows = {(tok, tok) for t in (*name_texts(doc), *other_texts(doc)) for tok in tokens(t)}
    return sorted(rows)


def pseudo_rows(lexeme: str, texts: Iterable[str]) -> list[tuple[str, str]]:
    """``(term, lexeme)`` rows by which the words of ``texts`` reach a pseudo-lexeme (a
    country, a designation type)."""
    return sorted({(tok, lexeme) for t in texts for tok in tokens(t)})


def pseudo_lexemes(doc: dict[str, Any]) -> list[str]:
    """The country and designation type pseudo-lexemes of a public document."""
    return [COUNTRY_PREFIX + doc["country"], *(TYPE_PREFIX + t for t in doc["types"])]


def pseudo_texts(lexeme: str, vocab: Vocabulary) -> tuple[str, ...]:
    """The words a pseudo-lexeme stands for: the country's names, the type's terms."""
    if lexeme.startswith(COUNTRY_PREFIX):
        return vocab.country_names.get(lexeme[len(COUNTRY_PREFIX):], ())
    return vocab.type_terms.get(lexeme[len(TYPE_PREFIX):], ())
