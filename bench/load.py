"""Sustained mixed load over HTTP, then a check that nothing was lost (a benchmark, not a test).

    .venv/bin/python bench/load.py [--duration 60] [--clients 16] [--workers 2]

Starts a throwaway PostgreSQL (the embedded one) unless --database-url is given, loads the
demo data, starts `cna serve` with the given number of workers, and runs 16 concurrent
clients for 60 s: 70% search, 15% record reads, 10% feed polling, 5% writes with
If-Match.  It prints throughput, p50/p95/p99 per kind and error counts, then verifies:
zero 5xx, a feed consumer's mirror equals the export, and every accepted write is in
history exactly as it was returned.  Exits 1 when a verification fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db.local_postgres import LocalPostgres, embedded_bin_dir  # noqa: E402

CNA = str(Path(sys.executable).with_name("cna"))
MIX = [("search", 70), ("read", 15), ("feed", 10), ("write", 5)]
QUERIES = [
    "ministry", "ministere", "Ministério", "justice", "justicia", "Министерство", "юстиции",
    "extradition", "extradición", "экстрадиция", "引渡", "mutual legal assistance",
    "entraide judiciaire", "Brazil", "Brésil", "Brasilien", "Бразилия", "البرازيل", "巴西",
    "Allemagne", "Alemania", "Германия", "Procurad", "minis", "extradtion", "Ministery",
    "Brazill", "Sao Paulo", "prosecutor", "fiscalía", "interpol", "central authority",
    "transfer of sentenced persons", "Misr", "Ministerstvo yustitsii", "Bundesamt",
    "federal", "attorney general", "police", "customs", "maritime", "coast guard",
]
FILTERS: list[dict[str, str]] = [
    {}, {}, {}, {"type": "extradition"}, {"type": "mutual_legal_assistance"},
    {"country": "BRA"}, {"language": "en"}, {"instrument": "untoc"}, {"kind": "central_authority"},
]


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    transport_errors: Counter[str] = field(default_factory=Counter)
    accepted_writes: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([CNA, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"cna {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


async def client_loop(http: httpx.AsyncClient, key: str, ids: list[str], deadline: float,
                      results: Results, rng: random.Random) -> None:
    kinds = [k for k, w in MIX for _ in range(w)]
    cursor: str | None = None
    auth = {"Authorization": f"Bearer {key}"}
    while time.monotonic() < deadline:
        kind = rng.choice(kinds)
        started = time.perf_counter()
        try:
            if kind == "search":
                params = {"q": rng.choice(QUERIES), **rng.choice(FILTERS)}
                response = await http.get("/v1/search", params=params)
            elif kind == "read":
                response = await http.get(f"/v1/authorities/{rng.choice(ids)}")
            elif kind == "feed":
                params = {"limit": "100"} | ({"after": cursor} if cursor else {})
                response = await http.get("/v1/changes", params=params)
                if response.status_code == 200:
                    cursor = response.json()["next_cursor"]
            else:
                record_id = rng.choice(ids)
                current = await http.get(f"/v1/authorities/{record_id}", headers=auth)
                response = await http.patch(
                    f"/v1/authorities/{record_id}",
                    headers={**auth, "If-Match": current.headers.get("etag", "")},
                    json={"notes": {"en": f"load test write {rng.random():.12f}"}},
                    params={"reason": "bench/load.py"},
                )
                if response.status_code == 200:
                    body = response.json()
                    results.accepted_writes.append((record_id, body["version"], body))
        except httpx.HTTPError as exc:
            results.transport_errors[f"{kind}:{type(exc).__name__}"] += 1
            continue
        results.latencies[kind].append(time.perf_counter() - started)
        results.statuses[kind][response.status_code] += 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(results: Results, elapsed: float) -> int:
    total = sum(len(v) for v in results.latencies.values())
    print(f"\n{total} requests in {elapsed:.1f} s: {total / elapsed:.1f} req/s")
    print(f"{'kind':8} {'count':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
          "  statuses")
    for kind, _ in MIX:
        values = results.latencies[kind]
        print(f"{kind:8} {len(values):7d} {len(values) / elapsed:8.1f} "
              f"{percentile(values, 50) * 1000:8.1f} {percentile(values, 95) * 1000:8.1f} "
              f"{percentile(values, 99) * 1000:8.1f}  "
              f"{dict(sorted(results.statuses[kind].items()))}")
    server_errors = sum(n for c in results.statuses.values() for s, n in c.items() if s >= 500)
    print(f"5xx: {server_errors}; transport errors: {dict(results.transport_errors)}")
    return server_errors


def verify(base: str, key: str, results: Results) -> list[str]:
    problems: list[str] = []
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=auth, timeout=120) as http:
        mirror: dict[str, dict[str, Any]] = {}
        cursor: str | None = None
        while True:
            page = http.get("/v1/changes", params={"limit": "1000"} | (
                {"after": cursor} if cursor else {})).json()
            for entry in page["items"]:
                mirror[entry["id"]] = entry["record"]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        export = {}
        for line in http.get("/v1/export").text.splitlines():
            if line.strip():
                record = json.loads(line)
                export[record["id"]] = record
        if mirror != export:
            missing = set(export) - set(mirror)
            differing = [i for i in export if i in mirror and mirror[i] != export[i]]
            problems.append(f"feed mirror != export: {len(missing)} missing, "
                            f"{len(differing)} differing")
        for record_id, version, body in results.accepted_writes:
            stored = http.get(f"/v1/authorities/{record_id}/versions/{version}")
            if stored.status_code != 200 or stored.json() != body:
                problems.append(f"accepted write {record_id} v{version} is not in history "
                                "as returned")
        print(f"verified: feed mirror of {len(mirror)} records vs export of {len(export)}; "
              f"{len(results.accepted_writes)} accepted writes checked against history")
    return problems


async def load(base: str, key: str, clients: int, duration: float, seed: int) -> Results:
    results = Results()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        ids: list[str] = []
        cursor = None
        while True:
            page = (await http.get("/v1/authorities", params={"limit": "200"} | (
                {"cursor": cursor} if cursor else {}))).json()
            ids += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        deadline = time.monotonic() + duration
        await asyncio.gather(*(client_loop(http, key, ids, deadline, results,
                                           random.Random(seed + n)) for n in range(clients)))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    parser.add_argument("--database-url", default=None,
                        help="use this (empty) database instead of a throwaway embedded one")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the workload")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cna-load-"))
    server_db: LocalPostgres | None = None
    url = args.database_url
    if url is None:
        server_db = LocalPostgres(bin_dir=embedded_bin_dir(), data_dir=work / "pg")
        server_db.start()
        url = server_db.url()
    env = {**os.environ, "DATABASE_URL": url, "CNA_LOG_LEVEL": "warning",
           "CNA_RATE_LIMIT_ANONYMOUS": "10000000", "CNA_RATE_LIMIT_KEY": "10000000"}
    api: subprocess.Popen[bytes] | None = None
    try:
        run(["migrate"], env)
        run(["seed"], env)
        key = run(["keys", "create", "--role", "secretariat", "--label", "load"], env).strip()
        port = free_port()
        api = subprocess.Popen([CNA, "serve", "--port", str(port), "--workers",
                                str(args.workers)], env=env, stdout=subprocess.DEVNULL,
                               stderr=(work / "server.log").open("wb"))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        print(f"server: {args.workers} worker(s) on {base}; {args.clients} clients for "
              f"{args.duration:g} s; mix {dict(MIX)}")
        started = time.monotonic()
        results = asyncio.run(load(base, key, args.clients, args.duration, args.seed))
        server_errors = report(results, time.monotonic() - started)
        problems = verify(base, key, results)
        if server_errors:
            problems.append(f"{server_errors} responses were 5xx")
        for problem in problems:
            print("FAILED:", problem)
        print("verification:", "FAILED" if problems else "passed")
        return 1 if problems else 0
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=30)
        if server_db is not None:
            server_db.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
