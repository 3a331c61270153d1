"""The compact structures of the in-process index give what the plain Python ones they
replace gave (a dict of sets for postings, a dict of strings for the SymSpell deletions),
on random data, additions, updates and removals included; and an index kept in step by
changes answers as one built afresh from the final documents (hits, totals, facets: the
vocabulary, as before, keeps the words of removed documents)."""

from __future__ import annotations

import random
import uuid
from typing import Any

from pyroaring import BitMap

from app.search.indexing import vocabulary
from search import memory
from search.engine import SearchQuery
from tests.test_search_memory import _synthetic_rows


def test_postings_hold_what_a_dict_of_sets_holds() -> None:
    rng = random.Random(3)
    postings = memory.Postings()
    reference: dict[str, set[int]] = {}
    keys = [f"w{k}" for k in range(400)]
    for step in range(20_000):
        key = rng.choice(keys[:5] if step % 4 else keys)  # a few keys grow big
        n = rng.randrange(3000) if step % 7 else step  # mostly out of order
        if rng.random() < 0.3:
            postings.discard(key, n)
            reference.get(key, set()).discard(n)
        else:
            postings.add(key, n)
            reference.setdefault(key, set()).add(n)
        if step % 997 == 0:
            for k in keys:
                assert (k in postings) == (k in reference)
                assert postings.bits(k) == memory.to_bits(reference.get(k, ()))
    big = [k for k, s in postings.sets.items() if isinstance(s, BitMap)]
    small = [k for k, s in postings.sets.items() if isinstance(s, tuple)]
    assert big and small  # both forms were exercised
    for k in keys:
        held = postings.get(k)
        assert sorted(held or ()) == sorted(reference.get(k, ()))
        if isinstance(held, tuple):
            assert list(held) == sorted(held)
        assert postings.bits(k) == memory.to_bits(reference.get(k, ()))


def test_bitmap_bits_are_the_bitset_of_the_same_numbers() -> None:
    rng = random.Random(4)
    for size in (0, 1, 7, 300, 5000):
        members = {rng.randrange(200_000) for _ in range(size)}
        assert memory.bitmap_bits(BitMap(members)) == memory.to_bits(members)


def test_deletion_table_finds_what_a_dict_of_deletions_finds() -> None:
    rng = random.Random(5)
    letters = "abcdeéklmnorstu"
    table = memory.DeletionTable()
    reference: dict[str, set[str]] = {}
    words: list[str] = []

    def add(word: str) -> None:
        if word in words:  # the index adds a word to its vocabulary once
            return
        deletions = memory._deletes(word, memory._index_depth(word))
        table.add(word, deletions)
        for d in deletions:
            reference.setdefault(d, set()).add(word)
        words.append(word)

    def check() -> None:
        for _ in range(200):
            w = rng.choice(words)
            i = rng.randrange(len(w))
            probe = rng.choice([w, w[:i] + w[i + 1:], w[:i] + "x" + w[i:],
                                "".join(rng.choices(letters, k=rng.randint(3, 9)))])
            deletions = memory._deletes(probe, 2)
            expected = {t for d in deletions for t in reference.get(d, ())}
            found = table.words_of(deletions)
            assert len(found) == len(set(found))
            assert set(found) == expected, probe

    for _ in range(3000):
        add("".join(rng.choices(letters, k=rng.randint(4, 12))))
    check()  # all waiting, unsorted
    table.merge()
    check()  # all sorted
    for _ in range(300):
        add("".join(rng.choices(letters, k=rng.randint(4, 12))))
    check()  # sorted and waiting together
    table.merge(unless_fewer_than=10**9)
    check()  # too few to merge: still waiting
    table.merge()
    check()


def _answers(index: memory.MemoryIndex, queries: list[SearchQuery]) -> list[Any]:
    out = []
    for q in queries:
        r = index.search(q)
        out.append((r.ids, r.total, r.facets))
    return out


def test_an_index_kept_in_step_answers_as_one_built_afresh() -> None:
    rows = _synthetic_rows(900, seed=21)
    rng = random.Random(22)
    kept = memory.MemoryIndex(vocabulary())
    kept.apply(rows[:600])
    final = {r["id"]: r for r in rows[:600]}
    # updates (renamed, moved), removals, withdrawals and late arrivals, in batches
    for batch in range(6):
        changed = []
        for r in rng.sample(list(final.values()), 40):
            new = {**r, "version": r["version"] + 1, "country": rng.choice(["KEN", "FRA"]),
                   "name": {"en": f"Bureau Zorvath{batch} {rng.choice(['North', 'West'])}"}}
            final[r["id"]] = new
            changed.append(new)
        gone = [uuid.UUID(i) for i in rng.sample(sorted(final), 15)]
        for g in gone:
            final.pop(str(g))
        withdrawn = rng.choice(list(final.values()))
        final.pop(withdrawn["id"])
        arrivals = rows[600 + batch * 50:650 + batch * 50]
        final.update({r["id"]: r for r in arrivals})
        kept.apply([*changed, {**withdrawn, "status": "withdrawn"}, *arrivals], gone=gone)
    fresh = memory.MemoryIndex(vocabulary())
    fresh.apply(sorted(final.values(), key=lambda r: uuid.UUID(r["id"])))
    assert len(kept.active) == len(fresh.active) == len(final)
    queries = [SearchQuery(q=q, limit=30) for q in (
        "", "ministry", "justice south", "zorvath3", "zorvat", "zorvath2 west", "burea",
        "mnistry", "jsutice", "kenya", "france bureau", "extradition", "nort")]
    queries += [SearchQuery(q="justice", countries=["KEN"], limit=50),
                SearchQuery(q="bureau", type="extradition", language="fr", limit=50),
                SearchQuery(q="", kind="central_authority", offset=20, limit=40)]
    assert _answers(kept, queries) == _answers(fresh, queries)
