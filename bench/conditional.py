"""Conditional-request benchmark (not a test): what a 304 costs against ``/healthz``.

    .venv/bin/python bench/conditional.py                      # 10,000 generated records
    .venv/bin/python bench/conditional.py --dataset records.ndjson --runs 3 --duration 5

Loads a dataset into a fresh database (an ephemeral embedded PostgreSQL unless
DATABASE_URL is set): ``--size`` records generated as bench/search.py generates them, or
any NDJSON file of interchange records with ``--dataset`` (completed as bench/search.py
completes them), both bulk-loaded with bench/search.py's loader.  Starts ``cna serve`` on
it (uvicorn with the app factory, rate limits lifted, search from Postgres) and, for each
``--clients`` count, drives it for ``--duration`` seconds per run.  Every client asks
in turn, so that all of them are measured under the same load:

- ``/healthz`` (the yardstick: no database),
- ``GET /v1/authorities/{id}`` with a matching ``If-None-Match`` (304),
- the same with ``Accept: text/vcard`` (304),
- ``GET /v1/authorities/{id}.vcf`` with a matching ``If-None-Match`` (304),
- ``GET /v1/changes?after=<head>``, nothing new (200, an empty page),
- the same with its ``If-None-Match`` (304).

Records are taken in turn from a sample of ``--ids`` ids.  Requests carry a network key
(full view) unless ``--anonymous``.  It prints p50/p95/p99 and the mean of each, the ratio
of each mean to ``/healthz``'s mean in the same run, the spread of that ratio over the
runs, and PASS/FAIL against the goal (at most 1.5x).  Then, less sensitive to what else
the machine is doing, the server process's CPU time per request of each kind (user and
system, from /proc, over ``--cpu-requests`` requests asked one after another) against
``/healthz``'s; PostgreSQL's own CPU is not in it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.access.principal import Role  # noqa: E402
from app.access.service import create_key  # noqa: E402
from app.db import engine as db_engine  # noqa: E402
from bench.search import (  # noqa: E402
    free_port,
    fresh_database,
    from_dataset,
    generate,
    load,
    postgres_server,
)

GOAL = 1.5
HEALTHZ = "/healthz"


@dataclass(frozen=True)
class Probe:
    """One kind of request: ``requests`` are asked in turn, each expecting ``status``."""
    label: str
    status: int
    requests: list[tuple[str, dict[str, str]]]
    judged: bool = True


@dataclass
class Timings:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    unexpected: dict[str, int] = field(default_factory=dict)


def prepare_database(server_url: str, records: list[dict[str, Any]]) -> tuple[str, str]:
    """A fresh database holding ``records``; its URL and a network key (full view)."""
    url = fresh_database(server_url, f"cna_bench_conditional_{len(records)}")
    engine = db_engine.make_engine(url)
    try:
        with Session(engine) as session:
            key, _ = create_key(session, Role.network, label="bench/conditional.py")
            session.commit()
    finally:
        engine.dispose()
    load(url, records)
    return url, key


def start_server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url.replace("postgresql+psycopg://", "postgresql://"),
           "CNA_LOG_LEVEL": "warning", "CNA_RATE_LIMIT_ANONYMOUS": "100000000",
           "CNA_RATE_LIMIT_KEY": "100000000",
           # No in-process search index building beside the measurement: 304s never search.
           "CNA_SEARCH_ENGINE": "postgres"}
    env.pop("MEILI_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:create_app",
                               "--factory", "--host", "127.0.0.1", "--port", str(port),
                               "--log-level", "warning", "--no-access-log"],
                              cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + HEALTHZ, timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.terminate()
    raise SystemExit("the server did not answer /healthz within 30 s")


def probes(http: httpx.Client, ids: list[str]) -> list[Probe]:
    """The measured requests, with the validators the server hands out for them."""
    def validator(path: str, headers: dict[str, str]) -> dict[str, str]:
        response = http.get(path, headers=headers)
        response.raise_for_status()
        return {**headers, "If-None-Match": response.headers["etag"]}

    vcard = {"Accept": "text/vcard"}
    record = [(f"/v1/authorities/{i}", validator(f"/v1/authorities/{i}", {})) for i in ids]
    as_vcard = [(f"/v1/authorities/{i}", validator(f"/v1/authorities/{i}", vcard))
                for i in ids]
    vcf = [(f"/v1/authorities/{i}.vcf", validator(f"/v1/authorities/{i}.vcf", {}))
           for i in ids]
    head = "0"
    while True:  # walk the feed to its head, 1000 a page
        page = http.get("/v1/changes", params={"after": head, "limit": 1000})
        page.raise_for_status()
        head = page.json()["next_cursor"]
        if not page.json()["has_more"]:
            break
    feed_path = f"/v1/changes?after={head}"
    return [
        Probe("/healthz", 200, [(HEALTHZ, {})], judged=False),
        Probe("record 304", 304, record),
        Probe("record as vCard 304", 304, as_vcard),
        Probe(".vcf 304", 304, vcf),
        Probe("feed nothing new 200", 200, [(feed_path, {})]),
        Probe("feed nothing new 304", 304, [(feed_path, validator(feed_path, {}))]),
    ]


def drive(base: str, auth: dict[str, str], kinds: list[Probe], clients: int,
          duration: float) -> Timings:
    """``clients`` threads, each asking every probe in turn until ``duration`` is up."""
    timings = Timings({p.label: [] for p in kinds}, {p.label: 0 for p in kinds})
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def client(offset: int) -> None:
        local: dict[str, list[float]] = {p.label: [] for p in kinds}
        bad = dict.fromkeys(local, 0)
        turn = offset
        with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
            while True:  # at least one round, however loaded the machine is
                for probe in kinds:
                    path, headers = probe.requests[turn % len(probe.requests)]
                    started = time.perf_counter()
                    response = http.get(path, headers=headers)
                    local[probe.label].append(time.perf_counter() - started)
                    if response.status_code != probe.status:
                        bad[probe.label] += 1
                turn += clients
                if time.perf_counter() >= deadline:
                    break
        with lock:
            for label, values in local.items():
                timings.latencies[label].extend(values)
                timings.unexpected[label] += bad[label]

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return timings


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, all its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_request(base: str, auth: dict[str, str], kinds: list[Probe], pid: int,
                    count: int) -> dict[str, float]:
    """The server's CPU milliseconds per request of each kind, ``count`` asked in a row."""
    spent = {}
    with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
        for probe in kinds:
            before = process_cpu_seconds(pid)
            for turn in range(count):
                path, headers = probe.requests[turn % len(probe.requests)]
                if http.get(path, headers=headers).status_code != probe.status:
                    raise SystemExit(f"{probe.label}: unexpected status for {path}")
            spent[probe.label] = (process_cpu_seconds(pid) - before) * 1000 / count
    return spent


def report_cpu(kinds: list[Probe], runs: list[dict[str, float]]) -> None:
    print(f"\nserver CPU per request (ms), {len(runs)} run(s); ratio = against /healthz's "
          f"in the same run")
    for probe in kinds:
        values = [run[probe.label] for run in runs]
        ratios = [run[probe.label] / run[HEALTHZ] for run in runs]
        print(f"{probe.label:<24} {statistics.median(values):>7.3f} ms  median "
              f"{statistics.median(ratios):.2f}x (runs {min(ratios):.2f}-{max(ratios):.2f}x)")


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {"n": len(ordered), "mean": statistics.fmean(ordered) * 1000, "p50": pct(0.50),
            "p95": pct(0.95), "p99": pct(0.99)}


def report(clients: int, kinds: list[Probe], runs: list[Timings]) -> list[bool]:
    """Print one table per client count; the verdicts of the judged probes."""
    print(f"\n{clients} client(s), {len(runs)} run(s); latencies in ms, ratio = mean / "
          f"/healthz mean in the same run")
    print(f"{'request':<24} {'run':>3} {'n':>6} {'mean':>7} {'p50':>7} {'p95':>7} "
          f"{'p99':>7} {'ratio':>6} {'bad':>4}")
    verdicts = []
    for probe in kinds:
        ratios = []
        for k, timings in enumerate(runs, 1):
            s = summary(timings.latencies[probe.label])
            health = summary(timings.latencies[HEALTHZ])
            ratio = s["mean"] / health["mean"]
            ratios.append(ratio)
            print(f"{probe.label:<24} {k:>3} {s['n']:>6} {s['mean']:>7.2f} {s['p50']:>7.2f} "
                  f"{s['p95']:>7.2f} {s['p99']:>7.2f} {ratio:>5.2f}x "
                  f"{timings.unexpected[probe.label]:>4}")
        if probe.judged:
            middle = statistics.median(ratios)
            errors = sum(t.unexpected[probe.label] for t in runs)
            ok = middle <= GOAL and errors == 0
            verdicts.append(ok)
            print(f"  {'PASS' if ok else 'FAIL'}  {probe.label}, {clients} client(s): median "
                  f"{middle:.2f}x /healthz (runs {min(ratios):.2f}-{max(ratios):.2f}x), "
                  f"goal <= {GOAL}x" + (f"; {errors} unexpected status(es)" if errors else ""))
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--size", type=int, default=10_000,
                        help="generate this many records (default 10000)")
    source.add_argument("--dataset", type=Path,
                        help="an NDJSON file of interchange records instead")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8],
                        help="concurrent clients, one measurement each (default 1 8)")
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds per run and client count (default 5)")
    parser.add_argument("--runs", type=int, default=3, help="runs per client count (default 3)")
    parser.add_argument("--ids", type=int, default=200,
                        help="records asked for, taken in turn (default 200)")
    parser.add_argument("--cpu-requests", type=int, default=1000,
                        help="requests of each kind for the server CPU figures, 0 for none "
                             "(default 1000)")
    parser.add_argument("--anonymous", action="store_true",
                        help="ask without a key (the public view)")
    args = parser.parse_args()

    records = from_dataset(args.dataset) if args.dataset else generate(args.size)
    servers = ExitStack()  # closed in the finally below
    server_url = servers.enter_context(postgres_server())
    server = None
    try:
        url, key = prepare_database(server_url, records)
        server, base = start_server(url)
        auth = {} if args.anonymous else {"Authorization": f"Bearer {key}"}
        ids = [r["id"] for r in random.Random(17).sample(records, min(args.ids, len(records)))]
        with httpx.Client(base_url=base, headers=auth, timeout=60) as http:
            kinds = probes(http, ids)
        print(f"{len(records)} records, {len(ids)} asked in turn, "
              f"{'anonymous (public view)' if args.anonymous else 'network key (full view)'}; "
              f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
              f"{os.getloadavg()[2]:.2f}", flush=True)
        drive(base, auth, kinds, 1, min(1.0, args.duration))  # warm up, not counted
        verdicts = []
        for clients in args.clients:
            runs = [drive(base, auth, kinds, clients, args.duration) for _ in range(args.runs)]
            verdicts += report(clients, kinds, runs)
        if args.cpu_requests:
            report_cpu(kinds, [cpu_per_request(base, auth, kinds, server.pid, args.cpu_requests)
                               for _ in range(args.runs)])
        print(f"\nload after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
              f"{sum(verdicts)} of {len(verdicts)} PASS")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        servers.close()


if __name__ == "__main__":
    main()
