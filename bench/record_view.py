"""Record view benchmark (not a test): prints figures.

    .venv/bin/python bench/record_view.py                # 10,000 documents, best of 5
    .venv/bin/python bench/record_view.py --count 50000 --rounds 3

Every record that leaves the service goes through ``view_of`` (the caller's view, keys in
interchange order).  This times it over ``--count`` demo-like stored documents: the demo
records (seed_data/demo/authorities.ndjson) validated and stored the way revisions hold
them, their keys in JSONB's order (shorter keys first), repeated up to the count.  It
prints microseconds per document for each view, alone and followed by the JSON encoding
that search hits and the export add (``compact_json_text``).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.authorities.documents import View, canonical_content, view_of  # noqa: E402
from app.authorities.schemas import validate_record  # noqa: E402
from app.core.jsonenc import compact_json_text  # noqa: E402
from app.reference.data import reference_from_files  # noqa: E402


def jsonb_order(value: Any) -> Any:
    """The key order PostgreSQL's JSONB hands back: shorter keys first, then bytewise."""
    if isinstance(value, dict):
        return {k: jsonb_order(value[k])
                for k in sorted(value, key=lambda k: (len(k.encode()), k.encode()))}
    if isinstance(value, list):
        return [jsonb_order(v) for v in value]
    return value


def stored_documents(count: int) -> list[dict[str, Any]]:
    reference = reference_from_files()
    path = ROOT / "seed_data" / "demo" / "authorities.ndjson"
    base = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = validate_record(json.loads(line), reference)
        base.append({"id": str(record.id or uuid.uuid4()), **canonical_content(record),
                     "version": 1, "updated_at": "2026-05-01T12:00:00.000000Z"})
    return [jsonb_order({**base[i % len(base)], "id": str(uuid.UUID(int=i))})
            for i in range(count)]


def best_microseconds(work: Callable[[dict[str, Any]], object],
                      documents: list[dict[str, Any]], rounds: int) -> float:
    """Best of ``rounds`` passes, per document; results dropped, the collector paused
    (as ``timeit`` does) so that no pass pays for another's garbage."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            for document in documents:
                work(document)
            best = min(best, time.perf_counter() - started)
    finally:
        gc.enable()
    return best / len(documents) * 1e6


def encoded_view(document: dict[str, Any], view: View) -> str:
    return compact_json_text(view_of(document, view))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="documents (default 10000)")
    parser.add_argument("--rounds", type=int, default=5, help="best of N rounds (default 5)")
    args = parser.parse_args()
    documents = stored_documents(args.count)
    for view in (View.public, View.full):
        alone = best_microseconds(partial(view_of, view=view), documents, args.rounds)
        encoded = best_microseconds(partial(encoded_view, view=view), documents, args.rounds)
        print(f"view_of {view.value:6}  {alone:6.2f} µs/document   "
              f"+ JSON {encoded:6.2f} µs/document   ({args.count} documents)")


if __name__ == "__main__":
    main()
