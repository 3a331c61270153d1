"""Dependencies in one direction: the import contracts hold (the same check as
``make lint``), migrations import no application code, and the search listener is
attached at start-up, once."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import grimp
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from app.search import indexing
from tests.import_contracts import import_cycles

ROOT = Path(__file__).resolve().parents[1]


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_migration_imports_application_code() -> None:
    migrations = sorted((ROOT / "migrations" / "versions").glob("*.py"))
    assert len(migrations) > 10
    offenders = {m.name: roots & {"app", "search", "seed_data"}
                 for m in migrations if (roots := _imported_roots(m)) & {"app", "search",
                                                                           "seed_data"}}
    assert offenders == {}


def test_the_import_contracts_hold() -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "lint-imports"),
                           "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


def test_import_cycles_are_the_strongly_connected_modules() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"),
                               ("p.c", "p.d"), ("p.d", "p.e"), ("p.e", "p.d"),
                               ("p.f", "p.a"), ("p.g", "q.x"), ("q.x", "p.g")]:
        graph.add_import(importer=importer, imported=imported)
    assert import_cycles(graph, "p") == [["p.a", "p.b", "p.c"], ["p.d", "p.e"]]
    assert import_cycles(graph, "q") == []  # the cycle through p is not inside q


def test_the_search_listener_is_attached_once_however_often_it_is_installed() -> None:
    listener = indexing._forget_the_write
    indexing.install_search_listener()
    indexing.install_search_listener()
    assert event.contains(OrmSession, "after_transaction_end", listener)
    registered = [fn for fn in OrmSession().dispatch.after_transaction_end if fn is listener]
    assert len(registered) == 1


def test_importing_attaches_nothing_and_create_app_attaches_the_listener() -> None:
    script = (
        "from sqlalchemy import event\n"
        "from sqlalchemy.orm import Session\n"
        "import app.main, app.cli.main, app.authorities.service, app.search.service\n"
        "from app.search.indexing import _forget_the_write as listener\n"
        "print(event.contains(Session, 'after_transaction_end', listener),\n"
        "      len(Session().dispatch.after_commit))\n"
        "from app.main import create_app\n"
        "create_app()\n"
        "print(event.contains(Session, 'after_transaction_end', listener))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.split() == ["False", "0", "True"]


def test_a_started_app_without_meili_url_loads_none_of_what_few_requests_need() -> None:
    # Each is megabytes of every API process (issue 17, goal 2), needed only by the
    # Meilisearch engine, by a secret read back, by a TOTP enrolment, or by a webhook
    # (httpx, which also loads rich and pygments for its command line), or by publishing
    # (weasyprint, pypdf, and PyICU for the States' order).
    script = (
        "import os, sys\n"
        "os.environ.pop('MEILI_URL', None)\n"
        "from app.main import create_app\n"
        "from app.core.settings import get_settings\n"
        "from app.search.engines import engine_from_settings\n"
        "create_app()\n"
        "print(type(engine_from_settings(get_settings())).__name__)\n"
        "print(sorted(m for m in ('meilisearch', 'requests', 'cryptography', 'segno',\n"
        "                         'httpx', 'rich', 'weasyprint', 'pypdf', 'icu')\n"
        "             if m in sys.modules))\n")
    env = {k: v for k, v in os.environ.items() if k != "MEILI_URL"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True, env=env)
    assert done.stdout.split("\n")[:2] == ["MemoryEngine", "[]"]


def test_the_meilisearch_client_a_secret_read_back_and_a_webhook_load_what_they_need() -> None:
    script = (
        "import sys\n"
        "from search.meili import MeiliClient\n"
        "from app.core import crypto\n"
        "client = MeiliClient('http://127.0.0.1:9', timeout=0.5).client\n"
        "print(type(client).__name__, 'requests' in sys.modules)\n"
        "secret = crypto.encrypt('s', 'ctx', 'k' * 32)\n"
        "print(crypto.decrypt(secret, 'ctx', 'k' * 32), 'cryptography' in sys.modules)\n"
        "from app.webhooks.service import RefusedDestination, pin_destination\n"
        "try:\n"
        "    pin_destination('http://[::1', allow_private=True)\n"
        "except RefusedDestination as refused:\n"
        "    print(refused, 'httpx' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.split("\n")[:3] == ["Client True", "s True",
                                            "not a valid URL True"]
