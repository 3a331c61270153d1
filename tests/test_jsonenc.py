"""Compact JSON held long: the bytes hold the JSON and not the writer's spare room."""

from __future__ import annotations

import json
import tracemalloc

from app.core.jsonenc import compact_json, compact_json_kept

RECORD = {"name": {"en": "Ministry of Justice", "ar": "وزارة العدل", "zh": "司法部"},
          "country": "EGY", "numbers": list(range(40))}


def _bytes_held(make: object, count: int = 200) -> float:
    tracemalloc.start()
    try:
        kept = [make() for _ in range(count)]  # type: ignore[operator]
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(kept) == count
    return held / count


def test_kept_json_is_the_same_json_in_an_allocation_of_its_own_size() -> None:
    assert compact_json_kept(RECORD) == compact_json(RECORD)
    assert json.loads(compact_json_kept(RECORD)) == RECORD
    size = len(compact_json(RECORD))
    assert _bytes_held(lambda: compact_json_kept(RECORD)) < size + 100
    # what the copy is for: orjson's own bytes hold far more than their JSON
    assert _bytes_held(lambda: compact_json(RECORD)) > 4 * size

