"""The in-process engine: an index per API process, derived from Postgres.

Used by default when Meilisearch is not configured (``CNA_SEARCH_ENGINE=postgres``
selects the SQL engine instead).  It answers exactly as the Postgres engine does (same
folding, tokens, synonyms, country and designation pseudo-terms, typo budget and ranking
rules), from structures held in memory:

- postings: token → documents, one map per field class (A: name, acronym and their
  transliterations; B: parent body, locality and theirs), plus country → documents (C)
  and designation type → documents (D), and the filter postings (kind, designation keys);
- the vocabulary: every indexed word and the lexemes it stands for (itself, a country, a
  designation type), kept sorted for prefixes (bisect) and with a deletion index for typos
  (SymSpell: every word's deletions of up to 1 letter, 2 for words of 7 letters or more,
  taken within its first ``DELETE_PREFIX`` letters; candidates are then checked with the
  exact distance, so the lookup is complete within the budget and never scans the
  vocabulary);
- per document: what the filters and highlights need.

**Bitsets.** A query works on sets of document numbers held as Python ints (bit n:
document n): a word's documents, the filters, the candidates.  The postings of the filters
and facet values, and of the words of ``BITS_CACHED_FROM`` documents or more, keep their
bitset (rebuilt on the next query after one of their documents changed); smaller postings
are merged as sets and turned into one bitset.  So the facets cost one ``&`` and one
``bit_count`` per facet value, whatever the number of candidates, and the ranking splits
the candidates with ``&`` and takes a page from the lowest bits (document numbers follow
id order after a build; once they do not, the bucket of the page is listed and sorted).

**Compact.**  What is held between queries is kept small (at 100,000 records an API
process holds the index for good): the postings of a word are a sorted tuple of document
numbers, or a roaring bitmap (pyroaring) from ``SMALL_POSTINGS`` documents on; the
deletion index is two sorted numpy arrays (``DeletionTable``); every word, field name and
value of the documents is one interned string; and a build hands the heap it freed back
to the system.  Queries still work on Python-int bitsets, made from these.

**Keeping in step.** The index is built from ``search_documents`` (the active rows) and
the head of ``changes`` read in the same snapshot.  After that it applies the authorities
named by change rows past its head: a poller thread checks ``max(seq)`` every
``CNA_SEARCH_POLL_SECONDS`` (writes from any process become visible within about that), and a write
made through this process marks the index stale when it commits (``note_write``, called
by the application's ``after_commit`` listener), so the next search in the process
catches up first (read-your-writes).  Change rows get their ``seq`` in commit
order (migration 0004), so reading ``seq > head`` never skips one.  A write never waits
for the index: it only sets a flag.  Each API process holds its own copy.

**Given, not fetched.** The settings values and the reference vocabulary come in as an
``IndexConfig`` from the application; nothing here imports ``app``.

**Hits** are rendered from the revision the index holds (one query for the ones not in the
per-process cache of rendered records, keyed by ``(id, version, view)``), redacted through
``view_of``.
"""

from __future__ import annotations

import array
import bisect
import ctypes
import ctypes.util
import gc
import heapq
import logging
import sys
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pyroaring import BitMap
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from search.documents import (
    COUNTRY_PREFIX,
    TYPE_PREFIX,
    Vocabulary,
    dkey,
    name_texts,
    other_texts,
)
from search.engine import FACETS, EngineResult, SearchQuery, synonyms
from search.postgres import PostgresEngine
from search.text import (
    MIN_PREFIX_LENGTH,
    ONE_TYPO_FROM,
    TWO_TYPOS_FROM,
    distance,
    match_cost,
    query_words,
    tokens,
    typo_budget,
)

log = logging.getLogger(__name__)

DELETE_PREFIX = 7
MAX_INDEXES = 3  # per process (tests switch databases; a server has one)
CATCH_UP_BATCH = 5000
LOAD_BATCH = 500  # rows read at a time by a build (their JSON is the build's peak)
BUILD_RETRY_SECONDS = 30.0  # after a failed build (Postgres answers meanwhile)
# A build reads one snapshot while it works between fetches; on a busy machine that work
# can outlast the session's idle-in-transaction limit (60 s), which is meant for requests.
BUILD_IDLE_LIMIT = "15min"
BITS_CACHED_FROM = 64  # word postings of this many documents keep their bitset cached
PREFIX_CACHED_FROM = 64  # prefixes reaching this many words keep their documents
PREFIXES_KEPT = 256
FEW_CANDIDATES = 256  # facets of fewer candidates are counted per document
SMALL_POSTINGS = 32  # postings of fewer documents are a sorted tuple, bigger a bitmap
PENDING_DELETES = 65536  # deletions held in a dict before being merged into the arrays


# --- bitsets: a set of document numbers as a Python int (bit n: document n) ------------

def to_bits(docs: Iterable[int]) -> int:
    """The bitset of these document numbers (one pass, no big-int work per number)."""
    docs = docs if isinstance(docs, (set, frozenset, list, tuple)) else list(docs)
    if not docs:
        return 0
    buf = bytearray((max(docs) >> 3) + 1)
    for n in docs:
        buf[n >> 3] |= 1 << (n & 7)
    return int.from_bytes(buf, "little")


_BYTE_BITS = tuple(tuple(j for j in range(8) if b >> j & 1) for b in range(256))


def _bytes_of(bits: int) -> bytes:
    return bits.to_bytes((bits.bit_length() + 7) >> 3, "little")


def _expand(data: bytes, byte_numbers: list[int], k: int | None = None) -> list[int]:
    """The set bits of the given bytes of ``data``, ascending (the first ``k``)."""
    out: list[int] = []
    table = _BYTE_BITS
    for i in byte_numbers:
        base = i << 3
        out.extend([base + j for j in table[data[i]]])
        if k is not None and len(out) >= k:
            return out[:k]
    return out


def bitmap_bits(docs: BitMap) -> int:
    """The bitset of a roaring bitmap's documents (numpy: no Python work per number)."""
    if not docs:
        return 0
    numbers = np.frombuffer(docs.to_array(), dtype=np.uint32)
    flags = np.zeros(int(numbers[-1]) + 1, dtype=np.uint8)
    flags[numbers] = 1
    return int.from_bytes(np.packbits(flags, bitorder="little").tobytes(), "little")


def bit_numbers(bits: int) -> list[int]:
    """The document numbers of a bitset, ascending.  numpy finds the non-zero bytes (a
    Python loop over every byte of a bitset of 100,000 documents costs a millisecond);
    a dense bitset is unpacked whole."""
    if not bits:
        return []
    data = _bytes_of(bits)
    raw = np.frombuffer(data, dtype=np.uint8)
    if bits.bit_count() > len(data):
        return np.flatnonzero(np.unpackbits(raw, bitorder="little")).tolist()
    return _expand(data, np.flatnonzero(raw).tolist())


def lowest_bits(bits: int, k: int) -> list[int]:
    """The ``k`` smallest document numbers of a bitset, ascending."""
    if not bits or k <= 0:
        return []
    data = _bytes_of(bits)
    return _expand(data, np.flatnonzero(np.frombuffer(data, dtype=np.uint8))[:k].tolist(), k)


DocSet = tuple[int, ...] | BitMap


class Postings:
    """key → the documents holding it, with the bitset of the big ones cached (dropped
    when the key's documents change, rebuilt on the next query).  Most words are in a
    few documents: those are a sorted tuple (a Python set costs some 200 bytes even for
    one number); from ``SMALL_POSTINGS`` documents on, a roaring bitmap (pyroaring)."""

    __slots__ = ("_bits", "cached_from", "sets")

    def __init__(self, cached_from: int = BITS_CACHED_FROM) -> None:
        self.sets: dict[str, DocSet] = {}
        self._bits: dict[str, int] = {}
        self.cached_from = cached_from

    def add(self, key: str, n: int) -> None:
        s = self.sets.get(key)
        if s is None:
            self.sets[key] = (n,)
        elif isinstance(s, BitMap):
            s.add(n)
        elif not s or s[-1] < n:  # documents are mostly added in number order
            self.sets[key] = (*s, n) if len(s) < SMALL_POSTINGS else BitMap((*s, n))
        elif n not in s:
            i = bisect.bisect_left(s, n)
            grown = (*s[:i], n, *s[i:])
            self.sets[key] = grown if len(grown) <= SMALL_POSTINGS else BitMap(grown)
        self._bits.pop(key, None)

    def discard(self, key: str, n: int) -> None:
        s = self.sets.get(key)
        if isinstance(s, BitMap):
            s.discard(n)
        elif s is not None and n in s:
            self.sets[key] = tuple(m for m in s if m != n)
        self._bits.pop(key, None)

    def get(self, key: str) -> DocSet | None:
        return self.sets.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self.sets

    def bits(self, key: str) -> int:
        b = self._bits.get(key)
        if b is None:
            s = self.sets.get(key)
            if not s:
                return 0
            b = bitmap_bits(s) if isinstance(s, BitMap) else to_bits(s)
            if len(s) >= self.cached_from:
                self._bits[key] = b
        return b


class ReadWriteLock:
    """Searches share the index; applying changes excludes them.  A waiting writer
    holds off new readers, so a stream of searches cannot starve catch-up."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False

    def acquire_read(self, blocking: bool = True) -> bool:
        with self._cond:
            if self._writer and not blocking:
                return False
            while self._writer:
                self._cond.wait()
            self._readers += 1
            return True

    def release_read(self) -> None:
        with self._cond:
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            while self._writer:
                self._cond.wait()
            self._writer = True
            while self._readers:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


@dataclass(frozen=True)
class IndexConfig:
    """What an index and its holder are given: the reference vocabulary and the settings
    values (``CNA_SEARCH_READY_WAIT_SECONDS``, ``CNA_SEARCH_POLL_SECONDS``,
    ``CNA_SEARCH_RENDER_CACHE``)."""

    vocabulary: Vocabulary
    ready_wait_seconds: float
    poll_seconds: float
    render_cache: int


# --- the index ------------------------------------------------------------------------


def _deletes(word: str, depth: int) -> set[str]:
    """Every string obtained by deleting up to ``depth`` letters of the word's prefix."""
    head = word[:DELETE_PREFIX]
    out = {head}
    level = {head}
    for _ in range(depth):
        level = {w[:i] + w[i + 1:] for w in level for i in range(len(w))}
        out |= level
    return out


def _index_depth(term: str) -> int:
    """How many deletions a vocabulary word needs indexed to be found by typos."""
    if len(term) >= TWO_TYPOS_FROM - 2:
        return 2
    if len(term) >= ONE_TYPO_FROM - 1:
        return 1
    return 0


class DeletionTable:
    """The SymSpell deletion index, compact: deletion → the vocabulary words it comes
    from, held as two numpy arrays sorted together, the deletion's hash (64 bits, the
    process's own ``hash``: the index lives and dies in one process) and the word's
    number; a dict of strings and lists cost some 150 bytes a deletion, these 12.  The
    deletions of words added since the last merge wait unsorted in two compact arrays
    (scanned whole by numpy; merged once they reach ``PENDING_DELETES``).  A hash shared
    by two deletions only adds a candidate, which the exact distance then rejects."""

    __slots__ = ("_hashes", "_new_hashes", "_new_numbers", "_numbers", "words")

    def __init__(self) -> None:
        self.words: list[str] = []  # word number → word
        self._hashes = np.zeros(0, dtype=np.int64)
        self._numbers = np.zeros(0, dtype=np.int32)
        self._new_hashes = array.array("q")
        self._new_numbers = array.array("i")

    def add(self, word: str, deletions: Iterable[str]) -> None:
        number = len(self.words)
        self.words.append(word)
        hashes = [hash(d) for d in deletions]
        self._new_hashes.extend(hashes)
        self._new_numbers.extend([number] * len(hashes))

    def merge(self, unless_fewer_than: int = 0) -> None:
        """Sort the waiting deletions into the arrays (if there are that many)."""
        if not self._new_hashes or len(self._new_hashes) < unless_fewer_than:
            return
        hashes = np.concatenate([self._hashes, np.frombuffer(self._new_hashes, np.int64)])
        numbers = np.concatenate([self._numbers,
                                  np.frombuffer(self._new_numbers, np.int32)])
        order = np.argsort(hashes, kind="stable")
        self._hashes, self._numbers = hashes[order], numbers[order]
        self._new_hashes = array.array("q")
        self._new_numbers = array.array("i")

    def words_of(self, deletions: Iterable[str]) -> list[str]:
        """The words sharing one of these deletions (each once, in no given order)."""
        keys = np.fromiter((hash(d) for d in deletions), dtype=np.int64)
        found: set[int] = set()
        if len(self._hashes):
            lo = np.searchsorted(self._hashes, keys, side="left")
            hi = np.searchsorted(self._hashes, keys, side="right")
            for i, j in zip(lo.tolist(), hi.tolist(), strict=True):
                if i < j:
                    found.update(self._numbers[i:j].tolist())
        if self._new_hashes:
            new = np.frombuffer(self._new_hashes, np.int64)
            hit = np.isin(new, keys)
            found.update(np.frombuffer(self._new_numbers, np.int32)[hit].tolist())
        words = self.words
        return [words[n] for n in found]


@dataclass(slots=True)
class Doc:
    id: uuid.UUID
    version: int
    country: str
    kind: str
    types: list[str]
    instruments: list[str]
    languages: list[str]
    dkeys: tuple[str, ...]  # designation keys of two fields or more (filters)
    a_tokens: tuple[str, ...]
    b_tokens: tuple[str, ...]
    fields: list[tuple[str, str]]  # (field, text) for highlights


@dataclass
class WordSets:
    """The documents one query word reaches, by how (see search/postgres.py), as
    bitsets."""

    p: int = 0  # exact or prefix: 0 typos
    t1: int = 0
    t2: int = 0
    e: int = 0  # exact
    a: int = 0  # attribute classes of any match
    b: int = 0
    c: int = 0
    d: int = 0

    def all(self) -> int:
        return self.p | self.t1 | self.t2


@dataclass(frozen=True, slots=True)
class PrefixPostings:
    terms: tuple[str, ...]
    docs: int
    a: int
    b: int
    c: int
    d: int


@dataclass
class MemoryResult(EngineResult):
    docnos: list[int] = field(default_factory=list)
    matched_terms: set[str] = field(default_factory=set)
    engine: str = "memory"
    # Where the result came from, for its hits (the render cache, the token matches).
    holder: Holder | None = None
    index: MemoryIndex | None = None


class MemoryIndex:
    def __init__(self, vocab: Vocabulary) -> None:
        self.docs: list[Doc | None] = []
        self.docno: dict[uuid.UUID, int] = {}
        self.active = BitMap()
        self._active_bits: int | None = None
        self.post_a = Postings()
        self.post_b = Postings()
        # filters and facets: few keys, every bitset cached
        self.by_country = Postings(cached_from=1)
        # each document's country as a small number, for the country facet (numpy)
        self.country_numbers: dict[str, int] = {}
        self.country_codes: list[str] = []
        self.country_of = np.zeros(1024, dtype=np.intp)
        self._matrix: tuple[list[tuple[str, str]], Any] | None = None
        self._prefixes: dict[str, PrefixPostings] = {}
        self.by_type = Postings(cached_from=1)
        self.by_kind = Postings(cached_from=1)
        self.by_dkey = Postings(cached_from=1)
        self.by_instrument = Postings(cached_from=1)
        self.by_language = Postings(cached_from=1)
        self.pseudo: dict[str, tuple[str, ...]] = {}  # term → pseudo-lexemes it stands for
        self.terms: set[str] = set()
        self.sorted_terms: list[str] = []
        self.deletes = DeletionTable()
        self.ordered = True  # docnos follow id order (ties need no key)
        self.sort_key: list[int] = []
        self.country_tokens: dict[str, list[tuple[str, frozenset[str]]]] = {}
        self.type_tokens: dict[str, list[tuple[str, frozenset[str]]]] = {}
        self.head = 0
        self._country_words: dict[str, frozenset[str]] = {}
        self.lock = ReadWriteLock()
        new_terms: list[str] = []
        for code, names in vocab.country_names.items():
            self.country_tokens[code] = [(n, frozenset(tokens(n))) for n in names]
            for n in names:
                for tok in tokens(n):
                    self._pseudo_term(tok, COUNTRY_PREFIX + code, new_terms)
        for code, words in vocab.type_terms.items():
            self.type_tokens[code] = [(w, frozenset(tokens(w))) for w in words]
            for w in words:
                for tok in tokens(w):
                    self._pseudo_term(tok, TYPE_PREFIX + code, new_terms)
        self._add_terms(new_terms)

    # vocabulary
    def _pseudo_term(self, term: str, lexeme: str, new_terms: list[str]) -> None:
        held = self.pseudo.get(term, ())
        if lexeme not in held:
            self.pseudo[term] = (*held, sys.intern(lexeme))
        if term not in self.terms:
            self.terms.add(term)
            new_terms.append(term)

    def _add_terms(self, new_terms: list[str]) -> None:
        if not new_terms:
            return
        if len(new_terms) > 64:
            self.sorted_terms = sorted(self.terms)
        else:
            for t in new_terms:
                bisect.insort(self.sorted_terms, t)
        for t in new_terms:
            depth = _index_depth(t)
            if depth:
                self.deletes.add(t, _deletes(t, depth))

    # documents
    def _put(self, row: dict[str, Any], new_terms: list[str]) -> None:
        doc_id = uuid.UUID(str(row["id"]))
        n = self.docno.get(doc_id)
        if n is not None:
            self._remove(n)
        if row["status"] != "active":
            return
        if n is None:
            n = len(self.docs)
            self.docs.append(None)
            self.sort_key.append(doc_id.int)
            if n and self.sort_key[n - 1] > doc_id.int:
                self.ordered = False
            self.docno[doc_id] = n
        # Every document's words, field names and values are one string each across the
        # index (the JSON of each row would otherwise hold its own copies for good).
        intern = sys.intern
        a_tokens = tuple({intern(t): None for x in name_texts(row) for t in tokens(x)})
        b_tokens = tuple({intern(t): None for x in other_texts(row) for t in tokens(x)})
        fields = [(intern(f"name.{k}"), v) for k, v in row["name"].items()]
        if row.get("acronym"):
            fields.append(("acronym", row["acronym"]))
        fields += [(intern(f"parent.{k}"), v) for k, v in (row.get("parent") or {}).items()]
        if row.get("locality"):
            fields.append(("address.locality", row["locality"]))
        doc = Doc(id=doc_id, version=int(row["version"]), country=intern(row["country"]),
                  kind=intern(row["kind"]), types=[intern(t) for t in row["types"]],
                  instruments=[intern(i) for i in row["instruments"]],
                  languages=[intern(lang) for lang in row["languages"]],
                  dkeys=tuple(intern(k) for k in row["dkeys"] if "|" in k),
                  a_tokens=a_tokens, b_tokens=b_tokens, fields=fields)
        self.docs[n] = doc
        self.active.add(n)
        self._active_bits = None
        for t in a_tokens:
            self.post_a.add(t, n)
        for t in b_tokens:
            self.post_b.add(t, n)
        for t in (*a_tokens, *b_tokens):
            if t not in self.terms:
                self.terms.add(t)
                new_terms.append(t)
        for postings, key in self._value_keys(doc):
            postings.add(key, n)
        self._set_country_of(n, doc.country)
        for k in row["dkeys"]:
            if "|" not in k:  # one-field keys: postings; combined ones are checked per doc
                self.by_dkey.add(k, n)

    def _set_country_of(self, n: int, country: str) -> None:
        number = self.country_numbers.get(country)
        if number is None:
            number = self.country_numbers[country] = len(self.country_codes)
            self.country_codes.append(country)
        if n >= len(self.country_of):
            grown = np.zeros(max(2 * len(self.country_of), n + 1), dtype=np.intp)
            grown[:len(self.country_of)] = self.country_of
            self.country_of = grown
        self.country_of[n] = number

    def _value_keys(self, doc: Doc) -> Iterator[tuple[Postings, str]]:
        """The filter and facet postings a document is in (its country, kind, types,
        instruments and languages)."""
        yield self.by_country, doc.country
        yield self.by_kind, doc.kind
        for t in doc.types:
            yield self.by_type, t
        for i in doc.instruments:
            yield self.by_instrument, i
        for lang in doc.languages:
            yield self.by_language, lang

    @staticmethod
    def by_dkey_of(doc: Doc) -> set[str]:
        return {f"t={t}" for t in doc.types} | {f"i={i}" for i in doc.instruments} | {
            part for k in doc.dkeys for part in k.split("|")}

    def _remove(self, n: int) -> None:
        doc = self.docs[n]
        if doc is None:
            return
        for t in doc.a_tokens:
            self.post_a.discard(t, n)
        for t in doc.b_tokens:
            self.post_b.discard(t, n)
        for postings, key in self._value_keys(doc):
            postings.discard(key, n)
        for k in self.by_dkey_of(doc):
            self.by_dkey.discard(k, n)
        self.active.discard(n)
        self._active_bits = None
        self.docs[n] = None

    def apply(self, rows: Iterable[dict[str, Any]], gone: Iterable[uuid.UUID] = (),
              merge: bool = True) -> None:
        """Put these public documents (any status) and drop the ``gone`` ids (``merge``:
        sort the new words' deletions in once there are many; a build does it once at
        its end)."""
        with self.lock.writing():
            self._matrix = None
            self._prefixes.clear()
            new_terms: list[str] = []
            for row in rows:
                self._put(row, new_terms)
            for doc_id in gone:
                n = self.docno.get(doc_id)
                if n is not None:
                    self._remove(n)
            self._add_terms(new_terms)
            if merge:
                self.deletes.merge(unless_fewer_than=PENDING_DELETES)

    def version_of(self, n: int) -> int | None:
        doc = self.docs[n]
        return doc.version if doc is not None else None

    # query words
    def _lexeme_docs(self, lexemes: Iterable[str], ws: WordSets) -> int:
        """The documents the lexemes reach (added to the word's attribute classes)."""
        a = b = c = d = 0
        few_a: set[int] = set()  # small postings: one set union, one conversion
        few_b: set[int] = set()
        for lx in lexemes:
            if lx.startswith(COUNTRY_PREFIX):
                c |= self.by_country.bits(lx[len(COUNTRY_PREFIX):])
            elif lx.startswith(TYPE_PREFIX):
                d |= self.by_type.bits(lx[len(TYPE_PREFIX):])
            else:
                s = self.post_a.get(lx)
                if s:
                    if len(s) >= BITS_CACHED_FROM:
                        a |= self.post_a.bits(lx)
                    else:
                        few_a.update(s)
                s = self.post_b.get(lx)
                if s:
                    if len(s) >= BITS_CACHED_FROM:
                        b |= self.post_b.bits(lx)
                    else:
                        few_b.update(s)
        if few_a:
            a |= to_bits(few_a)
        if few_b:
            b |= to_bits(few_b)
        ws.a |= a
        ws.b |= b
        ws.c |= c
        ws.d |= d
        return a | b | c | d

    def _lexemes(self, terms: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for t in terms:
            if t in self.post_a or t in self.post_b:
                out.add(t)
            p = self.pseudo.get(t)
            if p:
                out.update(p)
        return out

    def prefix_terms(self, word: str) -> list[str]:
        i = bisect.bisect_left(self.sorted_terms, word)
        out = []
        terms = self.sorted_terms
        while i < len(terms) and terms[i].startswith(word):
            out.append(terms[i])
            i += 1
        return out

    def typo_terms(self, word: str) -> dict[str, int]:
        """Vocabulary words within the word's typo budget, with their distance (> 0)."""
        budget = typo_budget(word)
        if not budget:
            return {}
        out: dict[str, int] = {}
        for t in self.deletes.words_of(_deletes(word, budget)):
            if t == word or abs(len(t) - len(word)) > budget:
                continue
            dist = distance(word, t, budget)
            if dist <= budget:
                out[t] = dist
        return out

    def _prefix_postings(self, word: str) -> PrefixPostings:
        """The documents of the vocabulary words ``word`` is a prefix of (itself aside),
        by attribute class.  Short prefixes reach thousands of words; like Meilisearch's
        word-prefix postings, those reaching ``PREFIX_CACHED_FROM`` words or more are
        kept (dropped whenever changes are applied)."""
        cached = self._prefixes.get(word)
        if cached is not None:
            return cached
        prefixed = [t for t in self.prefix_terms(word) if t != word]
        ws = WordSets()
        docs = self._lexeme_docs(self._lexemes(prefixed), ws)
        entry = PrefixPostings(tuple(prefixed), docs, ws.a, ws.b, ws.c, ws.d)
        if len(prefixed) >= PREFIX_CACHED_FROM:
            if len(self._prefixes) >= PREFIXES_KEPT:
                self._prefixes.pop(next(iter(self._prefixes)), None)
            self._prefixes[word] = entry
        return entry

    def word_sets(self, word: str, last: bool, syn: dict[str, list[str]],
                  matched: set[str]) -> WordSets:
        ws = WordSets()
        alternatives = [word, *syn.get(word, [])]
        matched.update(alternatives)
        exact_lex = set(alternatives) | self._lexemes(alternatives)
        ws.e |= self._lexeme_docs(exact_lex, ws)
        ws.p |= ws.e
        if last and len(word) >= MIN_PREFIX_LENGTH:
            prefix = self._prefix_postings(word)
            matched.update(prefix.terms)
            ws.p |= prefix.docs
            ws.a |= prefix.a
            ws.b |= prefix.b
            ws.c |= prefix.c
            ws.d |= prefix.d
        typos = self.typo_terms(word)
        for t, dist in typos.items():
            if last and len(word) >= MIN_PREFIX_LENGTH and t.startswith(word):
                continue  # a prefix match: 0 typos (already in p)
            matched.add(t)
            reached = self._lexeme_docs(self._lexemes([t]), ws)
            if dist == 1:
                ws.t1 |= reached
            else:
                ws.t2 |= reached
        return ws

    # search
    def search(self, query: SearchQuery) -> MemoryResult:
        self.lock.acquire_read()
        try:
            return self._search(query)
        finally:
            self.lock.release_read()

    def try_search(self, query: SearchQuery) -> MemoryResult | None:
        """As ``search``, or None at once while changes are being applied."""
        if not self.lock.acquire_read(blocking=False):
            return None
        try:
            return self._search(query)
        finally:
            self.lock.release_read()

    def _search(self, query: SearchQuery) -> MemoryResult:
        words = query_words(query.q)
        syn = synonyms()
        matched: set[str] = set()
        universe: int | None = None
        if query.countries is not None:
            universe = 0
            for c in query.countries:
                universe |= self.by_country.bits(c)
        if query.kind:
            s = self.by_kind.bits(query.kind)
            universe = s & universe if universe is not None else s
        parts = [dkey(type_=query.type), dkey(instrument=query.instrument),
                 dkey(language=query.language), dkey(channel=query.channel)]
        for part in parts:
            if part:
                s = self.by_dkey.bits(part)
                universe = s & universe if universe is not None else s
        key = dkey(query.type, query.instrument, query.language, query.channel)
        if key and "|" in key and universe:
            docs = self.docs
            universe = to_bits([n for n in bit_numbers(universe)
                                if (d := docs[n]) is not None and key in d.dkeys])
        sets = [self.word_sets(w, i == len(words) - 1, syn, matched)
                for i, w in enumerate(words)]
        if sets:
            first = sets[0].all()
            candidates = first & universe if universe is not None else first
        else:
            candidates = universe if universe is not None else self.active_bits()
        total = candidates.bit_count()
        facets = self._facets(candidates, total)
        page = self._page(candidates, sets, query.offset, query.limit)
        docs = self.docs
        ids = [d.id for n in page if (d := docs[n]) is not None]
        return MemoryResult(ids=ids, total=total, facets=facets, docnos=page,
                            matched_terms=matched)

    def active_bits(self) -> int:
        bits = self._active_bits
        if bits is None:
            bits = self._active_bits = bitmap_bits(self.active)
        return bits

    def _facet_postings(self) -> tuple[tuple[str, Postings], ...]:
        return (("country", self.by_country), ("types", self.by_type),
                ("instruments", self.by_instrument), ("languages", self.by_language))

    def _facets(self, candidates: int, total: int) -> dict[str, dict[str, int]]:
        """Each facet value's count among the candidates: a popcount of the candidates
        and the value's documents (few candidates: counted per document)."""
        out: dict[str, dict[str, int]] = {f: {} for f in FACETS}
        if not total:
            return out
        if total <= FEW_CANDIDATES:
            docs = self.docs
            for n in bit_numbers(candidates):
                d = docs[n]
                if d is None:
                    continue
                country = out["country"]
                country[d.country] = country.get(d.country, 0) + 1
                for name, values in (("types", d.types), ("instruments", d.instruments),
                                     ("languages", d.languages)):
                    counts = out[name]
                    for v in dict.fromkeys(values):
                        counts[v] = counts.get(v, 0) + 1
            return out
        out["country"] = self._country_counts(candidates)
        labels, matrix = self._value_matrix()
        if labels:
            words = np.frombuffer(candidates.to_bytes(matrix.shape[1] * 8, "little"),
                                  dtype=np.uint64)
            counts = np.bitwise_count(matrix & words).sum(axis=1).tolist()
            for (name, value), count in zip(labels, counts, strict=True):
                if count:
                    out[name][value] = count
        return out

    def _value_matrix(self) -> tuple[list[tuple[str, str]], Any]:
        """The documents of every type, instrument and language as the rows of one
        matrix of 64-bit words (built again after changes): their counts among the
        candidates are one vectorised AND and popcount."""
        cached = self._matrix
        if cached is not None:
            return cached
        labels: list[tuple[str, str]] = []
        rows = []
        words = (len(self.docs) + 63) >> 6
        for name, postings in self._facet_postings():
            if name == "country":
                continue
            for value, members in postings.sets.items():
                if members:
                    labels.append((name, value))
                    rows.append(np.frombuffer(postings.bits(value).to_bytes(words * 8, "little"),
                                              dtype=np.uint64))
        matrix = np.stack(rows) if rows else np.zeros((0, words), dtype=np.uint64)
        self._matrix = (labels, matrix)
        return self._matrix

    def _country_counts(self, candidates: int) -> dict[str, int]:
        """The country facet of many candidates: one vectorised count over the documents'
        country numbers, weighted by the candidates' bits (some 250 countries: a
        bitset intersection per country costs ten times as much at 100,000 records)."""
        n = len(self.docs)
        raw = np.frombuffer(candidates.to_bytes((n + 7) >> 3, "little"), dtype=np.uint8)
        weights = np.unpackbits(raw, count=n, bitorder="little")
        counts = np.bincount(self.country_of[:n], weights=weights,
                             minlength=len(self.country_codes))
        codes = self.country_codes
        values = counts.tolist()
        return {codes[i]: int(values[i]) for i in np.flatnonzero(counts).tolist()}

    def _smallest(self, k: int, docs: int) -> list[int]:
        if self.ordered:
            return lowest_bits(docs, k)
        numbers = list(bit_numbers(docs))
        if k >= len(numbers):
            return sorted(numbers, key=self.sort_key.__getitem__)
        return heapq.nsmallest(k, numbers, key=self.sort_key.__getitem__)

    def _page(self, candidates: int, sets: list[WordSets], offset: int,
              limit: int) -> list[int]:
        """Ranking rules: words matched (the first k), typos, attribute, exactness, id."""
        if not candidates:
            return []
        if not sets:
            return self._smallest(offset + limit, candidates)[offset:offset + limit]
        # groups by words matched, most first
        levels = [candidates]
        for ws in sets[1:]:
            nxt = levels[-1] & ws.all()
            if not nxt:
                break
            levels.append(nxt)
        out: list[int] = []
        skip = offset
        for k in range(len(levels), 0, -1):
            group = levels[k - 1] ^ levels[k] if k < len(levels) else levels[k - 1]
            size = group.bit_count()
            if skip >= size:
                skip -= size
                continue
            for bucket in self._buckets(group, sets[:k]):
                size = bucket.bit_count()
                if skip >= size:
                    skip -= size
                    continue
                need = skip + limit - len(out)
                taken = self._smallest(need, bucket)[skip:]
                skip = 0
                out += taken
                if len(out) >= limit:
                    return out[:limit]
        return out

    @staticmethod
    def _buckets(group: int, sets: list[WordSets]) -> list[int]:
        """``group`` split by (typos, attribute, -exactness) summed over ``sets``, in order."""
        buckets: dict[tuple[int, int, int], int] = {(0, 0, 0): group}
        for ws in sets:
            nxt: dict[tuple[int, int, int], int] = {}
            for (t0, a0, x0), docs in buckets.items():
                rest_t = docs
                for t, tset in ((0, ws.p), (1, ws.t1), (2, ws.t2)):
                    part = rest_t & tset
                    if not part:
                        continue
                    rest_t ^= part
                    rest_a = part
                    for a, aset in ((0, ws.a), (1, ws.b), (2, ws.c), (3, ws.d)):
                        if a < 3:
                            sub = rest_a & aset
                            if not sub:
                                continue
                            rest_a ^= sub
                        else:
                            sub = rest_a
                            if not sub:
                                continue
                        ex = sub & ws.e
                        for x, s in ((1, ex), (0, sub ^ ex)):
                            if s:
                                key = (t0 + t, a0 + a, x0 - x)
                                nxt[key] = nxt.get(key, 0) | s
                    if not rest_t:
                        break
            buckets = nxt
        return [buckets[k] for k in sorted(buckets)]

    # highlights
    def country_words(self, code: str) -> frozenset[str]:
        """Every word of the country's names (one test before trying each name)."""
        words = self._country_words.get(code)
        if words is None:
            words = frozenset(t for _, toks in self.country_tokens.get(code, ()) for t in toks)
            self._country_words[code] = words
        return words

    def token_matches(self, matched: set[str], words: list[str]) -> Any:
        """Whether a folded token of a field value answers the query: it is one of the
        terms the query reached, or (not in the vocabulary) it matches a word directly."""
        syn = synonyms()
        terms = self.terms
        outside: dict[str, bool] = {}

        def matches(token: str) -> bool:
            if token in matched:
                return True
            if token in terms:
                return False
            hit = outside.get(token)
            if hit is None:
                hit = outside[token] = any(
                    token in syn.get(word, ()) or match_cost(
                        word, token, prefix_allowed=i == len(words) - 1) is not None
                    for i, word in enumerate(words))
            return hit
        return matches


# --- loading from Postgres ----------------------------------------------------------


def _rows_of(result: Any) -> list[dict[str, Any]]:
    return [{**row.document, "status": row.status, "version": row.version}
            for row in result]


def _return_free_memory() -> None:
    """Hand the heap the build freed (its rows, its sorting buffers) back to the system:
    glibc keeps it for the process otherwise, some 50 MiB at 10,000 records."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc
        return
    if trim is not None:
        trim(0)


def _load(engine: Engine, index: MemoryIndex) -> int:
    """Put the active search documents into the index; the change head of the same
    snapshot."""
    with engine.connect() as conn:
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        conn.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = '{BUILD_IDLE_LIMIT}'"))
        head = conn.execute(text("SELECT coalesce(max(seq), 0) FROM changes")).scalar_one()
        result = conn.execution_options(yield_per=LOAD_BATCH).execute(text(
            "SELECT authority_id, version, status, document FROM search_documents "
            "WHERE status = 'active' ORDER BY authority_id"))
        # partitions() without a size fetches every row at once (a text() query takes
        # no yield_per from the connection): the whole table's JSON, the build's peak.
        for part in result.partitions(LOAD_BATCH):
            index.apply(_rows_of(part), merge=False)
        conn.rollback()
    return int(head)


def build(engine: Engine, vocab: Vocabulary) -> MemoryIndex:
    """A fresh index of the active search documents, with the change head of the same
    snapshot."""
    index = MemoryIndex(vocab)
    index.head = _load(engine, index)
    index.sorted_terms = sorted(index.terms)
    index.deletes.merge()
    gc.collect()  # the rows read are garbage now: not to be frozen below
    _return_free_memory()
    # The index is millions of long-lived objects: left to the cyclic collector, every
    # full collection walks them all (pauses of tens of milliseconds at 100k records in
    # the middle of requests).  Frozen, the collector skips them; they hold no cycles and
    # are still freed by reference counting when the index is replaced.
    gc.freeze()
    return index


class Holder:
    """The index of one database, its catch-up and (when started) its poller."""

    def __init__(self, engine: Engine, config: IndexConfig) -> None:
        self.engine = engine
        self.config = config
        self.index: MemoryIndex | None = None
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.generation = -1
        self.writes = 0  # commits of this process that wrote search documents
        self.polling = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._catch_up_lock = threading.Lock()
        self.last_check = 0.0
        self.render_cache: OrderedDict[tuple[uuid.UUID, int, str], bytes] = OrderedDict()
        self._render_lock = threading.Lock()
        self.warm_with: tuple[Any, Any] | None = None  # (view, render) once built
        self.warmed = threading.Event()

    def build(self) -> None:
        try:
            started = time.perf_counter()
            generation = self.writes
            index = build(self.engine, self.config.vocabulary)
            log.info("search index built", extra={
                "documents": len(index.active),
                "seconds": round(time.perf_counter() - started, 2)})
            if self.warm_with is not None:
                # Before the index is published: the first searches find what it builds
                # on first use already there, and no warm-up competes with them.
                self._warm_quietly(index, *self.warm_with)
            self.index = index
            self.generation = generation
            self.last_check = time.monotonic()
            self.error = None
        except BaseException as e:
            self.error = e
            log.exception("search index build failed")
        finally:
            self.ready.set()

    def catch_up(self) -> None:
        """Apply the authorities of change rows past the head (or rebuild after a reset)."""
        with self._catch_up_lock:
            index = self.index
            if index is None:
                return
            generation = self.writes
            with self.engine.connect() as conn:
                head = conn.execute(text("SELECT coalesce(max(seq), 0) FROM changes")) \
                    .scalar_one()
                if head < index.head:  # the database was reset or restored
                    conn.rollback()
                    self.index = build(self.engine, self.config.vocabulary)
                    self.generation = generation
                    self._clear_render_cache()
                    return
                while head > index.head:
                    changes = conn.execute(text(
                        "SELECT seq, authority_id FROM changes WHERE seq > :s AND seq <= :h "
                        "ORDER BY seq LIMIT :n"),
                        {"s": index.head, "h": head, "n": CATCH_UP_BATCH}).all()
                    if not changes:
                        break
                    ids = list({c.authority_id for c in changes})
                    rows = _rows_of(conn.execute(text(
                        "SELECT authority_id, version, status, document FROM search_documents "
                        "WHERE authority_id = ANY(:ids)"), {"ids": ids}))
                    found = {uuid.UUID(r["id"]) for r in rows}
                    index.apply(rows, gone=[i for i in ids if i not in found])
                    index.head = int(changes[-1].seq)
                conn.rollback()
            self.generation = generation
            self.last_check = time.monotonic()

    def current(self) -> MemoryIndex | None:
        """The index, caught up with this process's writes (None: not ready)."""
        if not self.ready.is_set():
            self.ready.wait(self.config.ready_wait_seconds)
        if self.index is None:
            return None
        if self._behind():
            self.catch_up()
        return self.index

    def fresh(self) -> MemoryIndex | None:
        """The index if it can answer without a database round trip: built, and caught
        up with this process's writes (None: it cannot, use ``current``)."""
        if not self.ready.is_set() or self.index is None or self._behind():
            return None
        return self.index

    def _behind(self) -> bool:
        stale_after = self.config.poll_seconds
        return self.generation != self.writes or (
            not self.polling and time.monotonic() - self.last_check > stale_after)

    # poller
    def start_polling(self) -> None:
        if self._thread is not None:
            return
        self.polling = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, name="search-index-poll",
                                        daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        if not self.ready.is_set():
            self.build()
        while not self._stop.wait(self.config.poll_seconds):
            if self.index is None:  # the build failed: try again, less often
                if not self._stop.wait(BUILD_RETRY_SECONDS):
                    self.build()
                continue
            try:
                self.catch_up()
            except Exception:
                log.warning("search index catch-up failed", exc_info=True)
                self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(5)
        self.polling = False

    # rendered hits
    def warm(self, view: Any, render: Any, batch: int = 1000,
             index: MemoryIndex | None = None) -> int:
        """Render every record of ``index`` (by default the one held) in ``view`` into
        the cache, so that the first searches after a start need no database read;
        returns how many were rendered.  Nothing when they do not all fit in the cache:
        an arbitrary part would rarely be what is asked."""
        index = index if index is not None else self.index
        if index is None:
            return 0
        keys = [(d.id, d.version) for d in list(index.docs) if d is not None]
        if len(keys) > self.config.render_cache:
            self.warmed.set()
            return 0
        with self.engine.connect() as conn:
            for start in range(0, len(keys), batch):
                if self._stop.is_set():
                    break
                self.rendered(conn, keys[start:start + batch], view, render)
            conn.rollback()
        self.warmed.set()
        return len(keys)

    def warm_searches(self, index: MemoryIndex | None = None) -> int:
        """Ask ``index`` (by default the one held) what it builds on first use and
        keeps: everything (no words: the facets of every document) and each short
        prefix whose documents it keeps, those reaching the most words first.  The
        answers are dropped; returns how many were asked."""
        index = index if index is not None else self.index
        if index is None:
            return 0
        reach: dict[str, int] = {}
        for term in index.sorted_terms:
            for length in (MIN_PREFIX_LENGTH, MIN_PREFIX_LENGTH + 1):
                if len(term) > length:
                    reach[term[:length]] = reach.get(term[:length], 0) + 1
        prefixes = sorted((p for p, words in reach.items() if words >= PREFIX_CACHED_FROM),
                          key=reach.__getitem__, reverse=True)[:PREFIXES_KEPT]
        for q in ["", *prefixes]:
            if self._stop.is_set():
                break
            index.search(SearchQuery(q=q))
        return 1 + len(prefixes)

    def _warm_quietly(self, index: MemoryIndex, view: Any, render: Any) -> None:
        try:
            started = time.perf_counter()
            asked = self.warm_searches(index)
            count = self.warm(view, render, index=index)
            log.info("search index warmed", extra={
                "searches": asked, "records": count,
                "seconds": round(time.perf_counter() - started, 2)})
        except Exception:
            log.warning("search index warm-up failed", exc_info=True)

    def _clear_render_cache(self) -> None:
        with self._render_lock:
            self.render_cache.clear()

    def rendered(self, conn_session: Any | None, keys: list[tuple[uuid.UUID, int]],
                 view: Any, render: Any) \
            -> dict[uuid.UUID, tuple[bytes, dict[str, Any] | None]] | None:
        """JSON of each ``(id, version)`` revision in ``view`` (one query for misses;
        without a session, None when any is missing)."""
        out: dict[uuid.UUID, tuple[bytes, dict[str, Any] | None]] = {}
        missing: list[tuple[uuid.UUID, int]] = []
        with self._render_lock:
            for key in keys:
                hit = self.render_cache.get((key[0], key[1], view.value))
                if hit is None:
                    missing.append(key)
                else:
                    self.render_cache.move_to_end((key[0], key[1], view.value))
                    out[key[0]] = (hit, None)
        if missing:
            if conn_session is None:
                return None
            rows = conn_session.execute(text(
                "SELECT r.authority_id, r.version, r.document FROM revisions r "
                "JOIN unnest(CAST(:ids AS uuid[]), CAST(:versions AS int[])) AS k(id, v) "
                "ON r.authority_id = k.id AND r.version = k.v"),
                {"ids": [k[0] for k in missing], "versions": [k[1] for k in missing]}).all()
            for row in rows:  # rendered outside the lock: searches read the cache meanwhile
                out[row.authority_id] = (render(row.document), row.document)
            with self._render_lock:
                for row in rows:
                    self.render_cache[(row.authority_id, row.version, view.value)] = \
                        out[row.authority_id][0]
                while len(self.render_cache) > self.config.render_cache:
                    self.render_cache.popitem(last=False)
        return out


class MemoryEngine:
    """The in-process index of the database ``database()`` reaches, behind the engine
    contract; Postgres answers while the index is not built.

    It holds the index of each database it is asked about (one in a server; tests bind
    others), the least recently used dropped past ``MAX_INDEXES``.  ``start`` builds and
    keeps one in step; a commit of this process that wrote search documents reaches it
    through ``note_write`` (the application's listener calls it)."""

    name = "memory"

    def __init__(self, database: Callable[[], Engine], config: IndexConfig) -> None:
        self.database = database
        self.config = config
        self._holders: OrderedDict[str, Holder] = OrderedDict()
        self._lock = threading.Lock()
        # the database an engine reaches, looked up on every search: kept per engine
        self._keys: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()

    def _key(self, engine: Engine) -> str:
        key = self._keys.get(engine)
        if key is None:
            key = self._keys[engine] = engine.url.render_as_string(hide_password=False)
        return key

    def _keep(self, key: str, holder: Holder) -> None:
        """Hold ``holder`` for ``key`` (under the lock), stopping the oldest past the cap."""
        self._holders[key] = holder
        while len(self._holders) > MAX_INDEXES:
            _, old = self._holders.popitem(last=False)
            old.stop()

    def holder_for(self, engine: Engine, build: bool = False) -> Holder | None:
        """The index holder of ``engine``'s database; without one, None, or with
        ``build`` a new one built now."""
        key = self._key(engine)
        with self._lock:
            holder = self._holders.get(key)
            if holder is not None:
                self._holders.move_to_end(key)
                return holder
            if not build:
                return None
            holder = Holder(engine, self.config)
            self._keep(key, holder)
        if not holder.polling:
            holder.build()
        return holder

    def note_write(self, engine: Engine) -> None:
        """A transaction of this process that wrote search documents in ``engine``'s
        database committed: its index (if any) is behind until it catches up."""
        holder = self.holder_for(engine)
        if holder is not None:
            holder.writes += 1

    def start(self, engine: Engine, warm: tuple[Any, Any] | None = None) -> Holder:
        """Build (in the background) and keep in step the index of ``engine``'s database;
        with ``warm`` (a view and its render function), fill the render cache once built."""
        key = self._key(engine)
        with self._lock:
            holder = self._holders.get(key)
            if holder is None or holder.engine is not engine:
                if holder is not None:
                    holder.stop()
                holder = Holder(engine, self.config)
                self._keep(key, holder)
        holder.warm_with = warm
        holder.start_polling()
        return holder

    def stop(self, engine: Engine) -> None:
        with self._lock:
            holder = self._holders.pop(self._key(engine), None)
        if holder is not None:
            holder.stop()

    def stop_all(self) -> None:
        with self._lock:
            holders, self._holders = list(self._holders.values()), OrderedDict()
        for holder in holders:
            holder.stop()

    @contextmanager
    def running(self, engine: Engine,
                warm: tuple[Any, Any] | None = None) -> Iterator[Holder]:
        """For the application's lifespan: the index of ``engine``'s database kept in
        step while the block runs; every index of this engine stopped after it."""
        holder = self.start(engine, warm)
        try:
            yield holder
        finally:
            self.stop_all()

    def refresh(self, engine: Engine) -> None:
        """Catch up now (tests; the poller does it every ``CNA_SEARCH_POLL_SECONDS``)."""
        holder = self.holder_for(engine)
        if holder is not None:
            holder.ready.wait(holder.config.ready_wait_seconds)
            holder.catch_up()

    def search(self, query: SearchQuery, session: Session | None = None) -> EngineResult:
        bind = session.get_bind() if session is not None else self.database()
        holder = self.holder_for(bind, build=True) if isinstance(bind, Engine) else None
        index = holder.current() if holder is not None else None
        if holder is None or index is None:
            return PostgresEngine().search(query, session)
        return self._from(holder, index, index.search(query))

    def try_search(self, query: SearchQuery) -> EngineResult | None:
        holder = self.holder_for(self.database())
        index = holder.fresh() if holder is not None else None
        if holder is None or index is None:
            return None
        result = index.try_search(query)
        return self._from(holder, index, result) if result is not None else None

    @staticmethod
    def _from(holder: Holder, index: MemoryIndex, result: MemoryResult) -> MemoryResult:
        result.holder, result.index = holder, index
        return result
