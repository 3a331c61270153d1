"""The in-process index (search/memory.py): it keeps in step with the change rows, a new
process builds it from scratch, and its typo lookup finds exactly what the rule allows."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.db import engine as db_engine
from search import documents as search_documents
from search import memory
from search.text import distance, typo_budget
from tests.conftest import make_record
from tests.search_support import crafted, demo_client, demo_url

__all__ = ["demo_client", "demo_url"]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    key, _ = create_key(session, Role.secretariat)
    session.commit()
    return {"Authorization": f"Bearer {key}"}


def _refs(client: TestClient, q: str) -> list[str]:
    response = client.get("/v1/search", params={"q": q, "limit": 50})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["engine"] == "memory"
    return [h["record"]["ref"] for h in page["hits"]]


def test_a_write_an_update_and_a_withdrawal_are_visible_at_once(
        client: TestClient, admin: dict[str, str]) -> None:
    assert _refs(client, "Quorvalin") == []
    created = client.post("/v1/authorities", headers=admin, json=make_record(
        ref="MEM-1", name={"en": "Quorvalin Liaison Office"}))
    assert created.status_code == 201, created.text
    assert _refs(client, "Quorvalin") == ["MEM-1"]
    assert _refs(client, "Quorvalinn") == ["MEM-1"]  # typo, on a word added since the build
    url = f"/v1/authorities/{created.json()['id']}"
    changed = make_record(ref="MEM-1", name={"en": "Thessomir Liaison Office"})
    updated = client.put(url, headers={**admin, "If-Match": '"1-full"'}, json=changed)
    assert updated.status_code == 200, updated.text
    assert _refs(client, "Quorvalin") == []
    assert _refs(client, "Thessomir") == ["MEM-1"]
    page = client.get("/v1/search", params={"q": "Thessomir"}).json()
    assert page["hits"][0]["record"]["version"] == 2
    withdrawn = client.post(f"{url}/withdraw", headers=admin, json={"reason": "test"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert _refs(client, "Thessomir") == []
    assert client.get("/v1/search", params={"q": "Thessomir"}).json()["total"] == 0


def test_writes_of_another_process_arrive_through_the_poller(
        client: TestClient, admin: dict[str, str]) -> None:
    assert _refs(client, "Vindral") == []
    # A write this process does not hear about (as if another worker made it): only the
    # poller, reading the change rows, can bring it in.
    before = search_documents.write_generation()
    created = client.post("/v1/authorities", headers=admin, json=make_record(
        ref="MEM-2", name={"en": "Vindral Office"}))
    assert created.status_code == 201
    search_documents._write_generation = before  # the commit's signal, taken back
    deadline = time.monotonic() + 5
    while _refs(client, "Vindral") != ["MEM-2"]:
        assert time.monotonic() < deadline, "the poller did not bring the write in"
        time.sleep(0.05)


def test_public_view_and_network_scope_hold(client: TestClient, admin: dict[str, str],
                                            session: Session) -> None:
    for record in (make_record(ref="MEM-BRA", name={"en": "Ostravel Bureau"}),
                   crafted("MEM-ISL", "Ostravel Bureau")):
        assert client.post("/v1/authorities", headers=admin, json=record).status_code == 201
    public = client.get("/v1/search", params={"q": "Ostravel"}).json()
    assert public["total"] == 2
    blob = json.dumps(public)
    assert "contacts" not in public["hits"][0]["record"]
    assert "internal@drci.example.org" not in blob and "(61) 2025-3009" not in blob
    key, _ = create_key(session, Role.network, countries=["BRA"])
    session.commit()
    scoped = client.get("/v1/search", params={"q": "Ostravel"},
                        headers={"Authorization": f"Bearer {key}"}).json()
    assert [h["record"]["ref"] for h in scoped["hits"]] == ["MEM-BRA"]
    assert scoped["facets"]["country"] == {"BRA": 1}
    assert "contacts" in scoped["hits"][0]["record"]  # key holders get the full view
    # the per-process cache of rendered records never serves one view to the other
    again = client.get("/v1/search", params={"q": "Ostravel"}).json()
    assert all("contacts" not in h["record"] for h in again["hits"])


def test_a_new_process_builds_the_index_from_scratch(
        client: TestClient, admin: dict[str, str], db_url: str) -> None:
    client.post("/v1/authorities", headers=admin, json=make_record(
        ref="MEM-3", name={"en": "Calyndor Service"}))
    script = (
        "import json, sys\n"
        "from app.db import engine as e\n"
        "from search import memory\n"
        "from search.engine import SearchQuery\n"
        "engine = e.make_engine(sys.argv[1])\n"
        "index = memory.build(engine)\n"
        "r = index.search(SearchQuery(q='Calyndr'))\n"
        "print(json.dumps({'ids': [str(i) for i in r.ids], 'total': r.total,\n"
        "                  'documents': len(index.active), 'head': index.head}))\n")
    out = subprocess.run([sys.executable, "-c", script, db_url], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=120)
    built = json.loads(out.stdout.strip().splitlines()[-1])
    live = client.get("/v1/search", params={"q": "Calyndr"}).json()
    assert built["total"] == live["total"] == 1
    assert built["ids"] == [h["record"]["id"] for h in live["hits"]]
    assert built["documents"] == 1 and built["head"] >= 1


def test_typo_lookup_is_exactly_the_budget(demo_client: Any) -> None:
    """The deletion index finds every vocabulary word within the budget, and no other."""
    holder = memory.holder_for(db_engine.get_engine())
    assert holder is not None
    index = holder.current()
    assert index is not None
    rng = random.Random(5)
    vocab = sorted(index.terms)
    words = [w for w in vocab if len(w) >= 5]
    probes = []
    for w in rng.sample(words, 60):
        i = rng.randrange(len(w))
        probes += [w, w[:i] + w[i + 1:], w[:i] + "x" + w[i:], w[:i] + "q" + w[i + 1:],
                   w[:i] + w[i + 1:i + 2] + w[i:i + 1] + w[i + 2:]]
    for probe in probes:
        budget = typo_budget(probe)
        expected = {t: d for t in vocab if t != probe and budget
                    and (d := distance(probe, t, budget)) <= budget}
        assert index.typo_terms(probe) == expected, probe


