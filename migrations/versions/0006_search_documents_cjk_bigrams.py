"""search documents rebuilt: Chinese and Japanese indexed as bigrams

The tokenizer (search/text.py) now cuts runs of Han and kana into overlapping bigrams.
``search_documents`` and ``search_terms`` are derived from the revisions, so they are
rebuilt here.  No schema change.

The builder is frozen in this file: the tokenizer, the public document and the SQL as
they were when this migration was written (search/text.py, search/documents.py), with
no import of ``app`` or ``search``, so that what this migration writes never changes
with later code.  The country names and designation type words come from the
reference tables (seeded from the same files).  A later tokenizer ships its own
migration, or ``cna reindex --postgres-only`` rebuilds with the code installed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 11:50:00
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from unidecode import unidecode

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
COUNTRY_PREFIX = "~c~"
TYPE_PREFIX = "~t~"

# --- the tokenizer, as search/text.py had it ------------------------------------------

_KEEP_MARKS = {"\u3099", "\u309a"}
_EXTRA = str.maketrans({"ı": "i", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe",
                        "þ": "th", "ð": "d", "ħ": "h", "ŧ": "t"})
_WORD = re.compile(r"\w+")
_CJK = re.compile("[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                  "\uf900-\ufaff\U00020000-\U0003134f]+")
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u", "ј": "j", "љ": "lj",
    "њ": "nj", "ћ": "c", "ђ": "dj", "џ": "dz", "ќ": "kj", "ѓ": "gj", "ѕ": "dz",
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed
                   if ch in _KEEP_MARKS or not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept).casefold().translate(_EXTRA)


def _cjk_pieces(word: str) -> list[str]:
    pieces: list[str] = []
    pos = 0
    for m in _CJK.finditer(word):
        if m.start() > pos:
            pieces.append(_fold(word[pos:m.start()]))
        start, end = m.span()
        if end - start == 1:
            pieces.append(_fold(word[start:end]))
        for i in range(start, end - 1):
            pieces.append(_fold(word[i:i + 2]))
        pos = end
    if pos < len(word):
        pieces.append(_fold(word[pos:]))
    return pieces


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for word in _WORD.findall(_fold(text)):
        if word.isascii() or not _CJK.search(word):
            out.append(word)
        else:
            out.extend(_cjk_pieces(word))
    return out


def _transliterations(text: str) -> list[str]:
    if not any(ord(ch) > 127 and ch.isalpha() for ch in text):
        return []
    out = [unidecode(text)]
    folded = _fold(text)
    if any("\u0400" <= ch <= "\u04ff" for ch in folded):
        out.append("".join(_CYRILLIC.get(ch, ch) for ch in folded))
    own = set(_tokens(text))
    return [t for t in dict.fromkeys(out) if set(_tokens(t)) - own]


# --- the public document, as search/documents.py had it -------------------------------

def _dkey(*values: str | None) -> str | None:
    parts = [f"{k}={v}" for k, v in zip(("t", "i", "l", "c"), values, strict=True)
             if v is not None]
    return "|".join(parts) or None


def _designation_keys(designations: Iterable[dict[str, Any]]) -> list[str]:
    keys: set[str] = set()
    for d in designations:
        options: list[list[str | None]] = [
            [None, d["type"]], [None, d["instrument"]],
            [None, *d.get("languages", [])], [None, *d.get("channels", [])],
        ]
        for combo in itertools.product(*options):
            key = _dkey(*combo)
            if key is not None:
                keys.add(key)
    return sorted(keys)


def _texts(value: dict[str, str] | None) -> list[str]:
    return list(value.values()) if value else []


def _public_document(record: dict[str, Any]) -> dict[str, Any]:
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
        "name_translit": [t for n in names for t in _transliterations(n)],
        "other_translit": [t for o in others for t in _transliterations(o)],
        "types": sorted({d["type"] for d in designations}),
        "instruments": sorted({d["instrument"] for d in designations}),
        "languages": sorted({lang for d in designations for lang in d["languages"]}),
        "channels": sorted({c for d in designations for c in d["channels"]}),
        "dkeys": _designation_keys(designations),
    }


def _name_texts(doc: dict[str, Any]) -> list[str]:
    return [*doc["name"].values(), *([doc["acronym"]] if doc.get("acronym") else []),
            *doc["name_translit"]]


def _other_texts(doc: dict[str, Any]) -> list[str]:
    return [*doc["parent"].values(), *([doc["locality"]] if doc.get("locality") else []),
            *doc["other_translit"]]


def _lexeme_literal(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsvector_literal(doc: dict[str, Any]) -> str:
    weights: dict[str, set[str]] = {}
    for w, texts in (("A", _name_texts(doc)), ("B", _other_texts(doc))):
        for t in texts:
            for tok in _tokens(t):
                weights.setdefault(tok, set()).add(w)
    weights.setdefault(COUNTRY_PREFIX + doc["country"], set()).add("C")
    for t in doc["types"]:
        weights.setdefault(TYPE_PREFIX + t, set()).add("D")
    parts = []
    for lexeme, ws in sorted(weights.items()):
        positions = ",".join(f"{i + 1}{w}" for i, w in enumerate(sorted(ws)))
        parts.append(f"{_lexeme_literal(lexeme)}:{positions}")
    return " ".join(parts)


# --- the rows -------------------------------------------------------------------------

def _pseudo_texts(conn: sa.Connection) -> dict[str, tuple[str, ...]]:
    """Pseudo-lexeme -> its words: a country's names in every language (with their
    transliterations), a designation type's names, synonyms and code."""
    out: dict[str, tuple[str, ...]] = {}
    for alpha3, names in conn.execute(sa.text("SELECT alpha3, names FROM countries")):
        out[COUNTRY_PREFIX + alpha3] = tuple(dict.fromkeys(
            [*names.values(), *(t for n in names.values() for t in _transliterations(n))]))
    for code, names, synonyms in conn.execute(sa.text(
            "SELECT code, names, synonyms FROM designation_types")):
        out[TYPE_PREFIX + code] = tuple(dict.fromkeys(
            [*names.values(), *(s for syns in synonyms.values() for s in syns),
             code.replace("_", " ")]))
    return out


def _insert_terms(conn: sa.Connection, rows: list[tuple[str, str]]) -> None:
    if not rows:
        return
    conn.execute(
        sa.text("INSERT INTO search_terms (term, lexeme) "
                "SELECT x.t, x.l FROM unnest(CAST(:terms AS text[]), "
                "CAST(:lexemes AS text[])) AS x(t, l) WHERE NOT EXISTS "
                "(SELECT 1 FROM search_terms s WHERE s.term = x.t AND s.lexeme = x.l)"),
        {"terms": [r[0] for r in rows], "lexemes": [r[1] for r in rows]},
    )


def _write(conn: sa.Connection, record: dict[str, Any],
           pseudo: dict[str, tuple[str, ...]], present: set[str]) -> None:
    doc = _public_document(record)
    _insert_terms(conn, sorted({(tok, tok) for t in (*_name_texts(doc), *_other_texts(doc))
                                for tok in _tokens(t)}))
    for lexeme in [COUNTRY_PREFIX + doc["country"], *(TYPE_PREFIX + t for t in doc["types"])]:
        if lexeme not in present:
            _insert_terms(conn, sorted({(tok, lexeme) for t in pseudo.get(lexeme, ())
                                        for tok in _tokens(t)}))
            present.add(lexeme)
    conn.execute(
        sa.text("""
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
         "dkeys": doc["dkeys"], "terms": _tsvector_literal(doc),
         "document": json.dumps(doc, ensure_ascii=False, separators=(",", ":"))},
    )


def upgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM search_terms"))
    pseudo = _pseudo_texts(conn)
    present: set[str] = set()
    last: uuid.UUID | None = None
    while True:
        rows = conn.execute(
            sa.text("""
                SELECT a.id, r.document FROM authorities a
                JOIN revisions r ON r.authority_id = a.id AND r.version = a.version
                WHERE (CAST(:last AS uuid) IS NULL OR a.id > CAST(:last AS uuid))
                ORDER BY a.id LIMIT :n
            """), {"last": last, "n": BATCH}).all()
        if not rows:
            return
        for _, document in rows:
            record = document if isinstance(document, dict) else json.loads(document)
            _write(conn, record, pseudo, present)
        last = rows[-1][0]


def downgrade() -> None:
    # Derived data only: an older version rebuilds it with `cna reindex --postgres-only`.
    pass
