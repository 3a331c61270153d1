"""Memory benchmark of the in-process search index (not a test): prints figures.

    .venv/bin/python bench/memory.py                          # 10k and 100k
    .venv/bin/python bench/memory.py --sizes 10000 --runs 3
    .venv/bin/python bench/memory.py --dataset records.ndjson --sizes 5000

For each size it loads the records (bench/search.py's generated dataset, or the first N
interchange records of ``--dataset``) in bulk into a fresh database (an ephemeral embedded
PostgreSQL unless DATABASE_URL is set), then in a fresh subprocess per run builds the index
from Postgres exactly as an API process does (``search.memory.build``) and prints: the
process's resident memory (psutil) before and after the build, the build time, in-process
search latency p50/p95/p99 over bench/search.py's query mix, and what each structure of
the index holds (a deep ``sys.getsizeof`` sum per attribute, shared objects counted once,
in attribute order).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def search_bench() -> Any:
    """bench/search.py, imported by its package path (as bench/conditional.py does), so
    that its name does not shadow the ``search`` package."""
    from bench import search as bench_search

    return bench_search


def deep_size(obj: Any, seen: set[int]) -> int:
    """Bytes reachable from ``obj`` not already in ``seen`` (containers, slotted objects,
    numpy arrays by their buffers, bitmaps by their own ``__sizeof__``)."""
    import numpy as np

    total = 0
    stack = [obj]
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, np.ndarray):
            total += o.nbytes + 112
            continue
        if type(o).__name__ in ("BitMap", "FrozenBitMap"):  # roaring: its serialized size
            total += sys.getsizeof(o) + len(o.serialize())
            continue
        total += sys.getsizeof(o)
        if isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, (list, tuple, set, frozenset)):
            stack.extend(o)
        elif isinstance(o, (str, bytes, int, float, bool)) or o is None:
            continue
        else:
            slots = [s for cls in type(o).__mro__ for s in getattr(cls, "__slots__", ())]
            stack.extend(getattr(o, s) for s in slots if hasattr(o, s))
            if hasattr(o, "__dict__") and not callable(o):
                stack.append(vars(o))
    return total


def worker(url: str, queries_file: str, breakdown: bool) -> None:
    """One run in this (fresh) process: build, measure, search; one JSON line out."""
    import psutil
    from sqlalchemy import create_engine

    from app.search.indexing import vocabulary
    from search.engine import SearchQuery
    from search.memory import build

    process = psutil.Process()
    vocab = vocabulary()
    engine = create_engine(url)
    with engine.connect() as conn:  # connected before the first figure
        conn.exec_driver_sql("SELECT 1")
    rss_before = process.memory_info().rss
    t0 = time.perf_counter()
    index = build(engine, vocab)
    build_s = time.perf_counter() - t0
    rss_after = process.memory_info().rss
    mix = json.loads(Path(queries_file).read_text())
    searches = [SearchQuery(q=q.get("q", ""),
                            countries=[q["country"]] if q.get("country") else None,
                            type=q.get("type")) for q in mix]
    for query in searches:  # one pass first: prefix caches, lazily kept bitsets
        index.search(query)
    first_rss = process.memory_info().rss
    times = []
    for _ in range(3):
        for query in searches:
            t = time.perf_counter()
            index.search(query)
            times.append((time.perf_counter() - t) * 1000)
    rss_searched = process.memory_info().rss
    sizes: dict[str, int] = {}
    if breakdown:
        seen: set[int] = set()
        for name in list(vars(index)):
            if name == "lock":
                continue
            sizes[name] = deep_size(getattr(index, name), seen)
    cuts = statistics.quantiles(times, n=100)
    print(json.dumps({"rss_before": rss_before, "rss_after": rss_after,
                      "rss_first_pass": first_rss, "rss_searched": rss_searched,
                      "build_s": build_s, "p50": cuts[49], "p95": cuts[94], "p99": cuts[98],
                      "searches": len(times), "docs": len(index.active),
                      "terms": len(index.terms), "sizes": sizes}))


def records_of(dataset: str | None, n: int) -> list[dict[str, Any]]:
    if dataset is None:
        return list(search_bench().generate(n))
    out = []
    with open(dataset, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
                if len(out) == n:
                    break
    return out


def prepare(server_url: str, n: int, dataset: str | None) -> tuple[str, list[Any]]:
    bench = search_bench()
    url = bench.fresh_database(server_url, f"cna_bench_memory_{n}")
    records = records_of(dataset, n)
    bench.load(url, records)
    return url, list(bench.queries(records))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dataset", help="NDJSON of interchange records (first N used)")
    parser.add_argument("--runs", type=int, default=1, help="fresh processes per size")
    parser.add_argument("--no-breakdown", action="store_true",
                        help="skip the per-structure sizes (they take a while at 100k)")
    parser.add_argument("--worker", nargs=2, metavar=("URL", "QUERIES"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], not args.no_breakdown)
        return

    servers = ExitStack()  # closed in the finally below
    server_url = servers.enter_context(search_bench().postgres_server())
    mib = 2**20
    try:
        for n in args.sizes:
            url, mix = prepare(server_url, n, args.dataset)
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump(mix, f)
            runs = []
            for run in range(args.runs):
                cmd = [sys.executable, __file__, "--worker", url, f.name]
                if args.no_breakdown or run:
                    cmd.append("--no-breakdown")
                out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                                     cwd=ROOT).stdout
                r = json.loads(out.strip().splitlines()[-1])
                runs.append(r)
                print(f"[{n}] run {run + 1}: {r['docs']} docs, {r['terms']} words; RSS "
                      f"{r['rss_before'] / mib:.0f} MiB before the build, "
                      f"{r['rss_after'] / mib:.0f} MiB after "
                      f"(+{(r['rss_after'] - r['rss_before']) / mib:.0f}), "
                      f"{r['rss_searched'] / mib:.0f} MiB after {r['searches']} searches; "
                      f"build {r['build_s']:.1f} s; search p50 {r['p50']:.2f} ms, "
                      f"p95 {r['p95']:.2f} ms, p99 {r['p99']:.2f} ms", flush=True)
                if r["sizes"]:
                    total = sum(r["sizes"].values())
                    print(f"[{n}]   structures (deep sizeof, MiB; {total / mib:.0f} in all):")
                    for name, size in sorted(r["sizes"].items(), key=lambda kv: -kv[1]):
                        if size >= mib / 10:
                            print(f"[{n}]     {name:<20} {size / mib:8.1f}")
            os.unlink(f.name)
            if len(runs) > 1:
                def spread(key: str, scale: float = 1.0, runs: list[Any] = runs) -> str:
                    values = [r[key] / scale for r in runs]
                    return (f"{statistics.median(values):.1f} "
                            f"(min {min(values):.1f}, max {max(values):.1f})")
                print(f"[{n}] over {len(runs)} runs: RSS after build {spread('rss_after', mib)}"
                      f" MiB; after searches {spread('rss_searched', mib)} MiB; build "
                      f"{spread('build_s')} s; p50 {spread('p50')} ms; p95 {spread('p95')}"
                      f" ms; p99 {spread('p99')} ms", flush=True)
    finally:
        servers.close()


if __name__ == "__main__":
    main()
