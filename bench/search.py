"""Search benchmark (not a test): prints figures.

    .venv/bin/python bench/search.py                 # 10k and 100k, 20 s per phase
    .venv/bin/python bench/search.py --sizes 10000 --duration 10 --runs 3
    .venv/bin/python bench/search.py --dataset records.ndjson --runs 3

For each size it generates a deterministic multilingual dataset (seeded), or takes the
records of ``--dataset`` (NDJSON of interchange records), loads it in bulk into a fresh
database (an ephemeral embedded PostgreSQL unless DATABASE_URL is set), and then, ``--runs``
times, starts ``cna serve`` on it and drives it over HTTP with 8 concurrent clients:

- the **first pass**: one pass of ``/v1/search`` over a mix of at least 500 distinct
  queries (names, prefixes, typos, country names in several languages, filters), begun
  the moment search first answers from the in-process index after the start (the server
  answers from Postgres before that; ``/healthz`` answers as soon as it listens).
  Whatever the server still does in the background then runs during the pass;
- the **steady state**: ``/healthz`` and ``/v1/search`` (the same mix, in turn) for
  ``--duration`` seconds each.

It prints p50/p95/p99 and requests per second for each, the first pass as a share of the
steady state, the spread over the runs, the goals as PASS/FAIL, and the plan of the SQL
engine's candidate scan (EXPLAIN).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db import engine as db_engine  # noqa: E402
from app.db.local_postgres import LocalPostgres, embedded_bin_dir  # noqa: E402
from app.db.migrate import upgrade_head  # noqa: E402
from app.reference.data import read_json  # noqa: E402
from app.reference.service import seed_reference  # noqa: E402
from app.search.indexing import vocabulary  # noqa: E402
from search.documents import (  # noqa: E402
    COUNTRY_PREFIX,
    TYPE_PREFIX,
    pseudo_rows,
    public_document,
    tsvector_literal,
    vocabulary_rows,
)
from search.engine import SearchQuery  # noqa: E402
from search.postgres import explain  # noqa: E402

WORDS = {
    "en": ["Ministry", "Justice", "Office", "International", "Cooperation", "Department",
           "Prosecution", "Central", "Authority", "Legal", "Assistance", "Maritime",
           "Division", "Bureau", "Federal", "National", "Affairs", "Criminal", "Police"],
    "fr": ["Ministère", "Justice", "Bureau", "Coopération", "internationale", "Direction",
           "pénale", "Parquet", "général", "Entraide", "judiciaire", "Service"],
    "es": ["Ministerio", "Justicia", "Oficina", "Cooperación", "Internacional", "Dirección",
           "Fiscalía", "General", "Asistencia", "Jurídica", "Unidad", "Extradiciones"],
    "pt": ["Ministério", "Justiça", "Procuradoria", "Cooperação", "Jurídica",
           "Departamento", "Internacional", "Recuperação", "Ativos", "Regional"],
    "de": ["Bundesamt", "für", "Justiz", "Referat", "Internationale", "Rechtshilfe",
           "Strafsachen", "Bundesministerium", "Generalstaatsanwaltschaft"],
    "ru": ["Министерство", "юстиции", "Управление", "международного", "сотрудничества",
           "Генеральная", "прокуратура", "правовой", "помощи", "Департамент"],
    "ar": ["وزارة", "العدل", "إدارة", "التعاون", "الدولي", "النيابة", "العامة", "مكتب",
           "تسليم", "المجرمين"],
    "zh": ["司法部", "国际合作局", "最高人民检察院", "外交部", "条约法律司", "公安部"],
}
SYLLABLES = ["ka", "lo", "mi", "ren", "to", "vas", "qu", "el", "dor", "an", "sir", "bel",
             "nor", "tan", "ve", "zu", "ix", "om", "pra", "lin"]
CITIES = ["São Paulo", "Genève", "Zürich", "Kraków", "Bogotá", "Québec", "Málaga",
          "Reykjavík", "Ciudad de México", "Brasília", "Cairo", "Москва", "北京", "Tōkyō"]


def invented(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def generate(n: int, seed: int = 20261127) -> list[dict[str, Any]]:
    """``n`` deterministic fictional records in the interchange format."""
    rng = random.Random(seed)
    countries = [c for c in read_json("countries.json")]
    articles = [(i["code"], a["article"], a["type"]) for i in read_json("instruments.json")
                for a in i["articles"]]
    records = []
    for k in range(n):
        country = rng.choice(countries)
        langs = rng.sample(list(WORDS), 2)
        name = {lang: " ".join([*rng.sample(WORDS[lang], min(4, len(WORDS[lang]))),
                                invented(rng)]) for lang in langs}
        parent = {langs[0]: " ".join(rng.sample(WORDS[langs[0]], 3))}
        designations = []
        for _ in range(rng.randint(1, 3)):
            instrument, article, type_ = rng.choice(articles)
            designations.append({
                "type": type_, "instrument": instrument, "article": article, "territory": [],
                "scope": None, "since": "2005-01-01", "until": None, "notification": None,
                "languages": sorted(set(rng.sample(["en", "fr", "es", "ar", "ru", "zh", "pt",
                                                    "de"], 2))),
                "channels": sorted(set(rng.sample(["central_authority", "diplomatic",
                                                   "direct_judicial", "interpol"], 2))),
                "means": ["email"], "urgent": None,
                "requirements": {"legal_basis_convention": None, "dual_criminality": None,
                                 "notes": None}})
        records.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "ref": f"BENCH-{k}", "country": country["alpha3"],
            "kind": rng.choice(["central_authority", "competent_authority", "focal_point"]),
            "name": name, "acronym": None, "parent": parent,
            "address": {"lines": [], "locality": rng.choice(CITIES), "region": None,
                        "postal_code": None},
            "phones": [], "emails": [], "website": None, "time_zone": None,
            "office_hours": [], "designations": designations, "contacts": [], "notes": None,
            "verified_on": None, "status": "active", "version": 1,
            "updated_at": "2026-11-27T00:00:00.000000Z",
        })
    return records


def load(url: str, records: list[dict[str, Any]]) -> None:
    """Bulk load (COPY) authorities, designations, revisions, changes and search rows."""
    terms: set[tuple[str, str]] = set()
    vocab = vocabulary()
    for code, names in vocab.country_names.items():
        terms.update(pseudo_rows(COUNTRY_PREFIX + code, names))
    for code, words in vocab.type_terms.items():
        terms.update(pseudo_rows(TYPE_PREFIX + code, words))
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        with cur.copy("COPY authorities (id, country, ref, kind, name, acronym, parent, "
                      "address, office_hours, notes, status, version) FROM STDIN") as copy:
            for r in records:
                copy.write_row([r["id"], r["country"], r.get("ref"), r["kind"],
                                json.dumps(r["name"]), r.get("acronym"),
                                json.dumps(r.get("parent")), json.dumps(r.get("address")),
                                json.dumps(r.get("office_hours") or []),
                                json.dumps(r.get("notes")), r["status"], r["version"]])
        with cur.copy("COPY designations (authority_id, position, type, instrument, article,"
                      " territory, languages, channels, means, requirements) FROM STDIN") \
                as copy:
            for r in records:
                for i, d in enumerate(r["designations"]):
                    copy.write_row([r["id"], i, d["type"], d["instrument"], d["article"],
                                    d.get("territory") or [], d["languages"], d["channels"],
                                    d["means"], json.dumps(d["requirements"])])
        with cur.copy("COPY revisions (authority_id, version, document, actor, actor_role) "
                      "FROM STDIN") as copy:
            for r in records:
                copy.write_row([r["id"], r["version"], json.dumps(r, ensure_ascii=False),
                                "bench", "system"])
        with cur.copy("COPY changes (authority_id, version, op, country, mirrored_at) "
                      "FROM STDIN") as copy:
            for r in records:
                copy.write_row([r["id"], r["version"], "upsert", r["country"],
                                "2026-11-27"])
        with cur.copy("COPY search_documents (authority_id, version, country, status, kind, "
                      "types, instruments, languages, dkeys, terms, document) FROM STDIN") \
                as copy:
            for r in records:
                doc = public_document(r)
                terms.update(vocabulary_rows(doc))
                copy.write_row([r["id"], r["version"], r["country"], r["status"], r["kind"],
                                doc["types"],
                                doc["instruments"], doc["languages"], doc["dkeys"],
                                tsvector_literal(doc), json.dumps(doc, ensure_ascii=False)])
        with cur.copy("COPY search_terms (term, lexeme) FROM STDIN") as copy:
            for t in terms:
                copy.write_row(t)
        conn.commit()
        cur.execute("ANALYZE")


def queries(records: list[dict[str, Any]], count: int = 600, seed: int = 7) \
        -> list[dict[str, Any]]:
    """At least ``count`` distinct queries: names, prefixes, typos, country names in
    several languages, and filtered ones."""
    rng = random.Random(seed)
    countries = read_json("countries.json")
    named = [r for r in records if r["designations"] and r["status"] == "active"]
    out: dict[str, dict[str, Any]] = {}
    while len(out) < count:
        r = rng.choice(named)
        words = [w for text_ in r["name"].values() for w in text_.split()]
        word = rng.choice(words)
        kind = len(out) % 6
        if kind == 0:
            q: dict[str, Any] = {"q": " ".join(rng.sample(words, 2))}
        elif kind == 1:
            q = {"q": word[:rng.randint(2, max(2, min(6, len(word))))]}
        elif kind == 2 and len(word) >= 5:
            i = rng.randrange(1, len(word) - 1)
            q = {"q": word[:i] + word[i + 1] + word[i] + word[i + 2:]}  # transposition
        elif kind == 3:
            c = rng.choice(countries)
            lang = rng.choice(["fr", "de", "ru", "ar", "zh", "ja", "es", "en"])
            q = {"q": c["names"].get(lang, c["names"]["en"])}
        elif kind == 4:
            q = {"q": word, "country": r["country"]}
        else:
            q = {"q": rng.choice(["extradition", "entraide judiciaire", "экстрадиция", "引渡",
                                  "mutual legal assistance", "asistencia judicial"]) + " "
                 + word, "type": r["designations"][0]["type"]}
        out[json.dumps(q, sort_keys=True, ensure_ascii=False)] = q
    return list(out.values())


def from_dataset(path: Path) -> list[dict[str, Any]]:
    """The records of an NDJSON file, completed as bench/publish.py completes them."""
    spec = importlib.util.spec_from_file_location("bench_publish",
                                                  ROOT / "bench" / "publish.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    records: list[dict[str, Any]] = module.from_dataset(path)
    return records


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def drive(base: str, path: str, params: list[dict[str, Any]], duration: float,
          clients: int = 8, once: bool = False) -> dict[str, float]:
    """``clients`` threads asking ``path`` with ``params`` in turn for ``duration``
    seconds (``once``: each parameter set once, however long that takes)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def worker(offset: int) -> None:
        local: list[float] = []
        bad = 0
        with httpx.Client(base_url=base, timeout=30) as http:
            i = offset
            while (i < len(params)) if once else (time.perf_counter() < deadline):
                p = params[i % len(params)] if params else None
                i += clients
                t0 = time.perf_counter()
                response = http.get(path, params=p)
                local.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    bad += 1
        with lock:
            latencies.extend(local)
            errors[0] += bad

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {"requests": len(latencies), "errors": errors[0], "rps": len(latencies) / elapsed,
            "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
            "mean": statistics.fmean(latencies) * 1000 if latencies else 0.0}


@contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of DATABASE_URL's server, or of a throwaway embedded PostgreSQL destroyed
    on exit.  The other bench scripts use it too."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    local = LocalPostgres(bin_dir=Path(embedded_bin_dir()),
                          data_dir=Path(tempfile.mkdtemp(prefix="cna-bench-pg-")),
                          durable=False)
    local.start()
    try:
        yield local.url()
    finally:
        local.destroy()


def fresh_database(server_url: str, name: str) -> str:
    """A new database ``name`` on the server (dropped first if it exists), migrated and
    holding the reference data: its URL.  The other bench scripts use it too."""
    from sqlalchemy.engine import make_url

    admin = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    upgrade_head(url)
    engine = db_engine.make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            seed_reference(session)
    finally:
        engine.dispose()
    return url


def prepare(server_url: str, label: str, records: list[dict[str, Any]]) \
        -> tuple[str, list[dict[str, Any]], dict[str, str]]:
    """A fresh database holding ``records``: its URL, the query mix and three plans."""
    url = fresh_database(server_url, f"cna_bench_{label}")
    t0 = time.perf_counter()
    load(url, records)
    print(f"[{label}] {len(records)} records loaded in {time.perf_counter() - t0:.1f}s",
          flush=True)
    mix = queries(records)
    engine = db_engine.make_engine(url)
    with Session(engine) as session:
        plans = {q["q"]: explain(session, SearchQuery(q=q["q"])) for q in mix[:3]}
    engine.dispose()
    return url, mix, plans


def serve_once(url: str, label: str, mix: list[dict[str, Any]], duration: float) \
        -> dict[str, Any]:
    """Start the server, wait until search answers from the in-process index, then the
    first pass over the mix, then the steady state; stop the server."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url.replace("postgresql+psycopg://",
                                                    "postgresql://"),
           "CNA_LOG_LEVEL": "warning", "CNA_RATE_LIMIT_ANONYMOUS": "100000000"}
    env.pop("MEILI_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:create_app",
                               "--factory", "--host", "127.0.0.1", "--port", str(port),
                               "--log-level", "warning", "--no-access-log"],
                              cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        for _ in range(600):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        listening = time.perf_counter() - started
        rss_before = _rss(server.pid)
        # The in-process index builds in the background; until it is ready search
        # answers from Postgres.  "After a start" is from the first answer of the
        # engine the server will use: the first moment its index can answer at all.
        wanted = os.environ.get("CNA_SEARCH_ENGINE", "memory")
        answered = ""
        while time.perf_counter() - started < 600:
            answered = httpx.get(base + "/v1/search", params={"q": "ministry"},
                                 timeout=60).json()["engine"]
            if answered == wanted:
                break
            time.sleep(0.05)
        ready = time.perf_counter() - started
        print(f"[{label}] listening {listening:.1f}s, engine {answered} ready {ready:.1f}s "
              "after start", flush=True)
        first_pass = measured(server.pid, base, "/v1/search", mix, 0, once=True)
        health = measured(server.pid, base, "/healthz", [], duration)
        search = measured(server.pid, base, "/v1/search", mix, duration)
        rss_after = _rss(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    return {"healthz": health, "search": search, "first_pass": first_pass,
            "engine": answered, "ready_s": ready, "rss_mb": (rss_before, rss_after)}


def run_size(server_url: str, label: str, records: list[dict[str, Any]], duration: float,
             runs: int) -> dict[str, Any]:
    url, mix, plans = prepare(server_url, label, records)
    measured = []
    for k in range(runs):
        one = serve_once(url, label, mix, duration)
        print(f"[{label}] run {k + 1}/{runs}: first pass {one['first_pass']['rps']:.0f} req/s,"
              f" steady {one['search']['rps']:.0f} req/s "
              f"({one['first_pass']['rps'] / one['search']['rps']:.0%}), "
              f"p99 {one['search']['p99']:.1f} ms", flush=True)
        measured.append(one)
    return {"size": len(records), "label": label, "queries": len(mix), "runs": measured,
            "plans": plans}


def measured(pid: int, base: str, path: str, params: list[dict[str, Any]], duration: float,
             once: bool = False) -> dict[str, float]:
    """``drive``, with the server's CPU time per request (milliseconds): less sensitive
    than wall-clock figures to what else the machine runs."""
    before = _cpu(pid)
    m = drive(base, path, params, duration, once=once)
    m["cpu_ms"] = (_cpu(pid) - before) * 1000 / max(1, m["requests"])
    return m


def _cpu(pid: int) -> float:
    """CPU seconds the server process has used, user and system."""
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _rss(pid: int) -> float:
    """Resident memory of the server process, MiB."""
    try:
        import psutil

        return float(psutil.Process(pid).memory_info().rss) / 2**20
    except Exception:  # psutil missing or the process gone
        return float("nan")


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    """median (min–max) of the runs."""
    if len(values) == 1:
        return fmt.format(values[0])
    return (fmt.format(statistics.median(values)) + " (" + fmt.format(min(values)) + "–"
            + fmt.format(max(values)) + ")")


def first_share(run: dict[str, Any]) -> float:
    """The first pass's throughput as a share of the steady state's, same run."""
    return float(run["first_pass"]["rps"] / run["search"]["rps"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000],
                        help="generated datasets of these sizes (ignored with --dataset)")
    parser.add_argument("--dataset", type=Path,
                        help="an NDJSON file of interchange records instead of generated ones")
    parser.add_argument("--duration", type=float, default=20.0,
                        help="seconds per measured phase")
    parser.add_argument("--runs", type=int, default=1,
                        help="server starts per dataset (the spread is printed)")
    args = parser.parse_args()
    servers = ExitStack()  # closed in the finally below
    server_url = servers.enter_context(postgres_server())
    try:
        if args.dataset:
            datasets = [("dataset", from_dataset(args.dataset))]
        else:
            datasets = [(str(n), generate(n)) for n in args.sizes]
        results = [run_size(server_url, label, records, args.duration, args.runs)
                   for label, records in datasets]
    finally:
        servers.close()
    print()
    print(f"{'size':>7} {'run':>3} {'endpoint':<38} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'CPU ms/req':>10} {'errors':>6}")
    for r in results:
        for k, run in enumerate(r["runs"], 1):
            for label, name in (("first_pass", "/v1/search first pass after start"),
                                ("healthz", "/healthz"), ("search", "/v1/search steady")):
                m = run[label]
                print(f"{r['size']:>7} {k:>3} {name:<38} "
                      f"{m['rps']:>8.0f} {m['p50']:>8.1f} {m['p95']:>8.1f} {m['p99']:>8.1f} "
                      f"{m['cpu_ms']:>10.2f} {m['errors']:>6}")

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    print()
    print(f"Over {len(results[0]['runs'])} run(s), median (min–max):")
    for r in results:
        runs = r["runs"]
        print(f"[{r['size']}] engine {runs[0]['engine']}; {r['queries']} distinct queries; "
              f"index ready {spread([x['ready_s'] for x in runs])} s after start")
        print(f"  first pass: {spread([x['first_pass']['rps'] for x in runs], '{:.0f}')} "
              f"req/s, p50 {spread([x['first_pass']['p50'] for x in runs])} ms, "
              f"p99 {spread([x['first_pass']['p99'] for x in runs])} ms; "
              f"{spread([first_share(x) for x in runs], '{:.0%}')} of the steady state; "
              f"{spread([x['first_pass']['rps'] / x['healthz']['rps'] for x in runs], '{:.2f}')}"
              "x /healthz")
        by_cpu = [x["search"]["cpu_ms"] / x["first_pass"]["cpu_ms"] for x in runs]
        print(f"  server CPU per search: first pass "
              f"{spread([x['first_pass']['cpu_ms'] for x in runs], '{:.2f}')} ms, steady "
              f"{spread([x['search']['cpu_ms'] for x in runs], '{:.2f}')} ms: the first pass "
              f"at {spread(by_cpu, '{:.0%}')} of the steady state by CPU")
        print(f"  steady: {spread([x['search']['rps'] for x in runs], '{:.0f}')} req/s = "
              f"{spread([x['search']['rps'] / x['healthz']['rps'] for x in runs], '{:.2f}')}x "
              f"/healthz ({spread([x['healthz']['rps'] for x in runs], '{:.0f}')} req/s); "
              f"p50 {spread([x['search']['p50'] for x in runs])}, "
              f"p95 {spread([x['search']['p95'] for x in runs])}, "
              f"p99 {spread([x['search']['p99'] for x in runs])} ms")
        print(f"  server RSS {spread([x['rss_mb'][0] for x in runs], '{:.0f}')} MiB once up, "
              f"{spread([x['rss_mb'][1] for x in runs], '{:.0f}')} MiB after the run")
        for q, plan in r["plans"].items():
            seq = "Seq Scan on search_documents" in plan
            print(f"  EXPLAIN (postgres engine) {q!r}: {'SEQ SCAN' if seq else 'index'}: "
                  f"{plan.splitlines()[0].strip()}")
    print()
    print("Goals (on the median of the runs):")
    small = next((r for r in results if r["size"] == 10_000), results[0])
    runs = small["runs"]
    ratio = statistics.median(x["search"]["rps"] / x["healthz"]["rps"] for x in runs)
    p99 = statistics.median(x["search"]["p99"] for x in runs)
    print(f"  {verdict(ratio >= 0.25)}  search throughput >= 25% of /healthz at "
          f"{small['size']}: {ratio:.0%}")
    print(f"  {verdict(p99 <= 50)}  p99 <= 50 ms at {small['size']}: {p99:.1f} ms")
    print(f"  {verdict(p99 <= 15)}  p99 <= 15 ms at {small['size']} (issue 17): {p99:.1f} ms")
    for r in results:
        share = statistics.median(first_share(x) for x in r["runs"])
        print(f"  {verdict(share >= 0.8)}  first pass >= 80% of the steady state at "
              f"{r['size']}: {share:.0%}")
    if len(results) >= 2:
        b = results[-1]
        p95_small = statistics.median(x["search"]["p95"] for x in runs)
        p95_big = statistics.median(x["search"]["p95"] for x in b["runs"])
        growth = p95_big / p95_small
        print(f"  {verdict(growth <= 2)}  p95 at {b['size']} <= 2x p95 at {small['size']}: "
              f"{growth:.2f}x ({p95_big:.1f} vs {p95_small:.1f} ms)")


if __name__ == "__main__":
    main()
