"""One shape: every route that emits a record emits the same keys in the same order at
every depth, the order of the output model (``AuthorityOut``, docs/interchange.md), and
the public view of it has no contacts and no restricted entries on any of them."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.authorities.documents import View, canonical_content, view_of
from app.authorities.models import Authority
from app.authorities.schemas import AuthorityOut, validate_record
from app.authorities.shape import _apply, public_record_shape, record_shape
from app.authorities.transfer import csv_columns
from app.db import engine as db_engine
from app.reference.data import ReferenceData
from app.webhooks.delivery import run_once
from tests.conftest import make_record, store
from tests.test_webhooks_api import allow_private  # noqa: F401  (fixture)
from tests.test_webhooks_delivery import Receiver, receiver, subscribe  # noqa: F401

# The CSV header as it was written out by hand before it was derived from the model.
CSV_HEADER_BEFORE = [
    "id", "ref", "country", "kind", "name", "name_local", "acronym", "status", "version",
    "updated_at", "type", "instrument", "article", "territory", "since", "until",
    "languages", "channels", "means", "urgent_channels", "urgent_means",
    "legal_basis_convention", "dual_criminality", "phones", "emails", "website", "time_zone",
    "verified_on", "interpol_requests",
]


def assert_in_shape(value: Any, tree: dict[str, Any], where: str) -> None:
    """Every object the model declares holds exactly its keys, in its order."""
    assert isinstance(value, dict), where
    assert list(value) == list(tree), f"{where}: {list(value)} != {list(tree)}"
    for key, inner in tree.items():
        if inner is None or value[key] is None:
            continue
        items = value[key] if isinstance(value[key], list) else [value[key]]
        for i, item in enumerate(items):
            assert_in_shape(item, inner, f"{where}/{key}/{i}")


def assert_public(record: dict[str, Any], where: str) -> None:
    assert "contacts" not in record, where
    for key in ("phones", "emails"):
        assert record[key] and not [x for x in record[key] if x["restricted"]], where


def test_the_shape_is_the_output_models_declaration_order() -> None:
    tree = record_shape().tree
    assert list(tree) == list(AuthorityOut.model_fields)
    assert list(tree)[:3] == ["id", "ref", "country"]
    assert list(tree)[-3:] == ["status", "version", "updated_at"]
    designation = tree["designations"]
    assert list(designation["requirements"]) == [
        "legal_basis_convention", "dual_criminality", "interpol_requests", "notes"]
    assert list(tree["contacts"]["phones"]) == ["number", "kind", "label", "restricted"]
    assert tree["name"] is None  # a text map: its keys are data
    assert "contacts" not in public_record_shape().tree


def test_the_csv_header_is_derived_and_unchanged() -> None:
    assert csv_columns() == CSV_HEADER_BEFORE


def test_a_stored_document_in_jsonb_order_comes_out_in_model_order_in_both_views(
        reference: ReferenceData) -> None:
    document = {"id": "5f0c2a8e-8a4b-4f7e-9a55-1d3c2b7e9f10", "version": 1,
                "updated_at": "2026-05-01T12:00:00.000000Z",
                **canonical_content(validate_record(make_record(), reference))}
    shuffled = json.loads(json.dumps(document, sort_keys=True))
    assert list(shuffled) != list(record_shape().tree)
    assert_in_shape(view_of(shuffled, View.full), record_shape().tree, "full")
    public = view_of(shuffled, View.public)
    assert_in_shape(public, public_record_shape().tree, "public")
    assert_public(public, "public")
    # The compiled shaping and the generic walk it falls back on agree, order included.
    for view, shape in ((View.full, record_shape()), (View.public, public_record_shape())):
        walked = _apply(shuffled, shape, public=view is View.public)
        assert json.dumps(walked) == json.dumps(view_of(shuffled, view))
    # A document older than a field gets the field's default; an unknown key is not emitted.
    older = {**shuffled, "designations": [
        {k: v for k, v in d.items() if k != "notification"} for d in shuffled["designations"]]}
    del older["designations"][0]["requirements"]["interpol_requests"]
    older["retired_field"] = 1
    full = view_of(older, View.full)
    assert_in_shape(full, record_shape().tree, "older")
    assert full["designations"][0]["notification"] is None
    assert full["designations"][0]["requirements"]["interpol_requests"] is None


def _records_by_route(client: TestClient, authority: Authority,
                      headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The current version of ``authority`` as each route emits it."""
    aid = str(authority.id)

    def get(url: str, **params: Any) -> Any:
        response = client.get(url, params=params, headers=headers)
        assert response.status_code == 200, (url, response.text[:300])
        return response

    found: dict[str, dict[str, Any]] = {
        "read": get(f"/v1/authorities/{aid}").json(),
        "list": next(r for r in get("/v1/authorities", country="BRA").json()["items"]
                     if r["id"] == aid),
        "version": get(f"/v1/authorities/{aid}/versions/{authority.version}").json(),
        "feed": [e["record"] for e in get("/v1/changes").json()["items"]
                 if e["id"] == aid][-1],
        "export": next(r for r in map(json.loads, get("/v1/export").text.splitlines())
                       if r["id"] == aid),
    }
    deadline = time.monotonic() + 10  # the in-process index may take the write in a moment
    while "search" not in found:
        hits = get("/v1/search", q="Departamento").json()["hits"]
        matching = [h["record"] for h in hits if h["record"]["id"] == aid
                    and h["record"]["version"] == authority.version]
        if matching:
            found["search"] = matching[0]
        else:
            assert time.monotonic() < deadline, "the record never showed up in search"
            time.sleep(0.05)
    return found


@pytest.mark.parametrize("view", [View.public, View.full])
def test_every_route_emits_the_same_record_in_the_models_order(
        client: TestClient, session: Session, reference: ReferenceData, bra: Authority,
        keys: dict[str, str], receiver: Receiver, view: View) -> None:  # noqa: F811
    headers = {} if view is View.public else {"Authorization": f"Bearer {keys['secretariat']}"}
    subscribe(client, receiver.url)
    changed = store(session, reference, make_record(
        acronym="DRCI-2", notes={"fr": "Les demandes en espagnol sont acceptées."},
        phones=[{"number": "+55 61 2025-3100", "kind": "fax", "restricted": False},
                *make_record()["phones"]])).authority
    assert changed.version == 2
    tree = (public_record_shape() if view is View.public else record_shape()).tree

    records = _records_by_route(client, changed, headers)
    assert run_once(db_engine.get_engine()).succeeded >= 1
    webhook = [m["data"]["record"] for m in receiver.delivered()
               if m["data"]["id"] == str(changed.id)][-1]
    assert webhook["version"] == 2
    if view is View.full:  # webhooks carry the full view: compared with the full routes
        records["webhook"] = webhook
    else:
        assert_in_shape(webhook, record_shape().tree, "webhook")
        assert "contacts" in webhook  # and the full view is what they send

    for route, record in records.items():
        assert_in_shape(record, tree, route)
        if view is View.public:
            assert_public(record, route)
    # Same keys, same order, same values, text maps included: one rendering everywhere.
    texts = {route: json.dumps(record, ensure_ascii=False) for route, record in records.items()}
    assert len(set(texts.values())) == 1, texts

    history = client.get(f"/v1/authorities/{changed.id}/history", headers=headers).json()
    last = history["versions"][-1]
    assert last["version"] == 2
    paths = [change["path"] for change in last["changes"]]
    top_level = [path.split("/")[1] for path in paths]
    order = list(tree)
    assert top_level == sorted(top_level, key=order.index)  # changes in the model's order
    assert "/acronym" in paths and "/notes/fr" in paths and "/phones/0/number" in paths
    if view is View.public:
        assert not [p for p in paths if p.startswith("/contacts")]
