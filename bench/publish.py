"""Publishing benchmark (not a test): times `cna publish` end to end and prints the figure.

    .venv/bin/python bench/publish.py                        # 10,000 generated records
    .venv/bin/python bench/publish.py --size 2000 --lang ar
    .venv/bin/python bench/publish.py --dataset records.ndjson

The records are bench/search.py's deterministic multilingual dataset (its ``generate``
and bulk ``load``), each given the fields a printed entry shows (phones, e-mails, website,
office hours, verified_on, a named contact), or the records of ``--dataset`` (NDJSON in
the interchange format).  They go into a fresh database (an ephemeral embedded PostgreSQL
unless DATABASE_URL is set); then ``cna publish -o FILE`` runs as a user would run it, and
the wall time from start to the renamed PDF is compared with the goal (2 minutes).

With ``--stages`` the same steps run in this process instead (read the snapshot, lay out,
write the file atomically, as the command does) and each stage's seconds are printed:
the serial ones in this process, and each part's layout, wait and drawing in its own.

With ``--part-entries N`` no document is published: the first States holding N entries
are laid out and drawn as one body part, in this process, ``--rounds`` times, and the CPU
time per entry (``time.process_time``: less at the mercy of other jobs than the wall
clock) of the HTML, the layout and the drawing is printed, the least and the median of
the rounds.  It is the figure to compare changes to the template or the print CSS by.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import Any

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db import engine as db_engine  # noqa: E402

GOAL_SECONDS = 120.0


def _search_bench() -> ModuleType:
    """bench/search.py (its module name would shadow the `search` package)."""
    spec = importlib.util.spec_from_file_location("bench_search", ROOT / "bench" / "search.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def printable(records: list[dict[str, Any]], seed: int = 14) -> list[dict[str, Any]]:
    """The generated records with what a printed entry shows."""
    rng = random.Random(seed)
    for k, r in enumerate(records):
        r["phones"] = [{"number": f"+4122{rng.randrange(10**6, 10**7)}", "kind": "voice",
                        "label": "Switchboard", "restricted": False},
                       {"number": f"+4122{rng.randrange(10**6, 10**7)}", "kind": "fax",
                        "label": None, "restricted": rng.random() < 0.3}]
        r["emails"] = [{"address": f"office{k}@authority.example.org", "label": None,
                        "restricted": False}]
        r["website"] = f"https://authority{k}.example.org"
        r["office_hours"] = [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "09:00",
                              "closes": "17:00"}]
        r["verified_on"] = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
        r["contacts"] = [{"name": f"Officer {k}", "title": {"en": "Head of unit"},
                          "phones": [], "emails": [{"address": f"officer{k}@example.org",
                                                    "label": None, "restricted": False}],
                          "languages": ["en"]}]
    return records


def from_dataset(path: Path) -> list[dict[str, Any]]:
    """Records of an NDJSON file, completed with the output fields the bulk load needs."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            r.setdefault("id", str(uuid.uuid4()))
            r.setdefault("version", 1)
            r.setdefault("status", "active")
            r.setdefault("updated_at", "2026-11-27T00:00:00.000000Z")
            for key in ("parent", "address", "acronym", "website", "time_zone", "notes",
                        "verified_on"):
                r.setdefault(key, None)
            for key in ("phones", "emails", "office_hours", "designations", "contacts"):
                r.setdefault(key, [])
            records.append(r)
    return records


def publish_in_stages(url: str, lang: str, view: str, processes: int | None,
                      out: Path) -> float:
    """What `cna publish` does, in this process, printing each stage's seconds."""
    from app.cli.publish_commands import write_atomically
    from app.publications import parallel

    def stage(name: str, seconds: float) -> None:
        print(f"  {seconds:7.1f}s  {name}", flush=True)

    started = time.perf_counter()
    directory = _snapshot(url, lang, view)
    stage(f"snapshot read ({directory.records} records)", time.perf_counter() - started)
    data = parallel.publish_pdf(directory, processes, on_stage=stage)
    written = time.perf_counter()
    write_atomically(out, data)
    stage("written", time.perf_counter() - written)
    return time.perf_counter() - started


def _snapshot(url: str, lang: str, view: str) -> Any:
    """The directory as ``cna publish`` reads it (one snapshot)."""
    from app.authorities.documents import View
    from app.publications import service

    engine = db_engine.make_engine(url)
    try:
        return service.read_directory(
            engine, service.PublicationQuery(lang=lang, view=View(view)))
    finally:
        engine.dispose()


def part_cpu(url: str, lang: str, view: str, entries: int, rounds: int) -> None:
    """The first States holding ``entries`` entries laid out and drawn as one body part,
    ``rounds`` times, in this process; the CPU milliseconds per entry of each step."""
    from dataclasses import replace

    from app.publications import parallel, service

    directory = _snapshot(url, lang, view)
    states: list[service.StateSection] = []
    count = 0
    for state in directory.states:
        if count >= entries:
            break
        states.append(state)
        count += sum(len(group.entries) for group in state.groups)
    part = replace(directory, states=states)
    gc.disable()  # as in a part's own process
    steps: dict[str, list[float]] = {"HTML": [], "layout": [], "drawing": [], "all": []}
    pages = 0
    for _ in range(rounds):
        started = time.process_time()
        html = service.render_html(part, part="body", with_annex=False)
        written = time.process_time()
        document = parallel._document(html, parallel.BODY_CSS)
        laid_out = time.process_time()
        document.write_pdf()
        drawn = time.process_time()
        pages = len(document.pages)
        for step, seconds in (("HTML", written - started), ("layout", laid_out - written),
                              ("drawing", drawn - laid_out), ("all", drawn - started)):
            steps[step].append(1000 * seconds / max(1, count))
        del document
        gc.collect()
    print(f"one part of {count} entries ({len(states)} States, {pages} pages), "
          f"{rounds} round(s), CPU ms per entry (least / median):")
    for step, values in steps.items():
        print(f"  {step:8s} {min(values):6.2f} / {statistics.median(values):6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="records to generate")
    parser.add_argument("--dataset", type=Path, help="NDJSON records instead of generated ones")
    parser.add_argument("--lang", default="en", help="language of the document")
    parser.add_argument("--view", default="full", choices=["public", "full"])
    parser.add_argument("--keep", type=Path, help="keep the PDF at this path")
    parser.add_argument("--stages", action="store_true",
                        help="run in this process and print each stage's seconds")
    parser.add_argument("--processes", type=int, help="as `cna publish --processes`")
    parser.add_argument("--part-entries", type=int,
                        help="lay out one part of this many entries in this process, "
                             "and print its CPU time per entry, instead of publishing")
    parser.add_argument("--rounds", type=int, default=3,
                        help="with --part-entries: how many times")
    args = parser.parse_args()
    bench = _search_bench()
    records = (from_dataset(args.dataset) if args.dataset
               else printable(bench.generate(args.size)))
    servers = ExitStack()  # closed in the finally below
    server_url = servers.enter_context(bench.postgres_server())
    try:
        url = bench.fresh_database(server_url, f"cna_bench_publish_{len(records)}")
        t0 = time.perf_counter()
        bench.load(url, records)
        print(f"[{len(records)}] loaded in {time.perf_counter() - t0:.1f}s", flush=True)
        if args.part_entries:
            part_cpu(url, args.lang, args.view, args.part_entries, max(1, args.rounds))
            return
        with tempfile.TemporaryDirectory(prefix="cna-bench-publish-") as work:
            out = args.keep or Path(work) / "directory.pdf"
            env = {**os.environ, "DATABASE_URL": url.replace("postgresql+psycopg://",
                                                            "postgresql://"),
                   "CNA_LOG_LEVEL": "warning"}
            if args.stages:
                elapsed = publish_in_stages(url, args.lang, args.view, args.processes, out)
            else:
                cna = str(Path(sys.executable).with_name("cna"))
                options = ["--processes", str(args.processes)] if args.processes else []
                started = time.perf_counter()
                done = subprocess.run([cna, "publish", "--lang", args.lang, "--view",
                                       args.view, *options, "-o", str(out)], env=env,
                                      cwd=ROOT)
                elapsed = time.perf_counter() - started
                if done.returncode != 0:
                    raise SystemExit(f"cna publish failed ({done.returncode})")
            pages = len(PdfReader(out).pages)
            size_mb = out.stat().st_size / 2**20
    finally:
        servers.close()
    print()
    print(f"cna publish --lang {args.lang} --view {args.view}: {len(records)} records, "
          f"{pages} pages, {size_mb:.1f} MiB in {elapsed:.1f}s "
          f"({len(records) / elapsed:.0f} records/s)")
    verdict = "PASS" if elapsed <= GOAL_SECONDS else "FAIL"
    print(f"  {verdict}  {len(records)} records published in under {GOAL_SECONDS:.0f}s: "
          f"{elapsed:.1f}s")


if __name__ == "__main__":
    main()
