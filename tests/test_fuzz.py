"""Schemathesis against the live OpenAPI schema of a real server, as anonymous and as a
secretariat key.

Each role runs Schemathesis's examples and coverage phases (every boundary and invalid
value the schema implies: NUL bytes, huge numbers, extreme dates, wrong types...), its
fuzzing phase and its stateful phase (sequences following the links between operations,
e.g. create a record then read, change and withdraw it).  The server is uvicorn on a
loopback port, on the test's own database, with its rate limits lifted (otherwise most
operations would only ever see 429).  Any 5xx, any status or content type the OpenAPI
does not document and any body that does not match its schema fails the test, whose
message lists every distinct failure per operation with a curl line reproducing it.

Deterministic: a fixed seed, derandomized generation, no example database.  The budget is
``CNA_FUZZ_EXAMPLES`` examples per operation in the fuzzing phase and scenarios in the
stateful phase (``make test``: the default below; ``.ci/run`` exports a larger one).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.access.principal import Role
from app.core.settings import get_settings
from app.db import engine as db_engine
from app.reference.data import ReferenceData
from tests.conftest import make_record, store
from tests.fuzz_support import (
    EDGE_BINDING,
    KeyKeeper,
    Seeds,
    capture_server_errors,
    live_server,
    run_fuzz,
)

EXAMPLES = int(os.environ.get("CNA_FUZZ_EXAMPLES", "40"))
SEED = 20260511
# Far above what a fuzz run sends in a minute: the limiter never refuses.
LIFTED_RATE_LIMIT = str(10**9)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PHASES = {"coverage": ("examples", "coverage"), "fuzzing": ("fuzzing",),
          "stateful": ("stateful",)}


# The parts of a record that must agree with the reference data (country, designations,
# phone numbers of that country, language tags...) are taken from a valid record; its
# free text (ref, acronym, address) is generated.
PINNED_FIELDS = ("country", "kind", "status", "name", "parent", "notes", "designations",
                 "phones", "emails", "contacts", "website", "time_zone", "office_hours",
                 "verified_on")


FREE_TEXT = ("ref", "acronym", "address.locality", "address.lines[*]")


def _pins(prefix: str, record: dict[str, Any]) -> dict[str, Any]:
    return {**{f"{prefix}{name}": record[name] for name in PINNED_FIELDS},
            **{f"{prefix}{name}": EDGE_BINDING for name in FREE_TEXT}}


@dataclass
class FuzzTarget:
    url: str
    seeds: Seeds


@pytest.fixture
def fuzz_target(db_url: str, session: Session, reference: ReferenceData,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[FuzzTarget]:
    """A live server with one record, its rate limits lifted."""
    monkeypatch.setenv("CNA_RATE_LIMIT_ANONYMOUS", LIFTED_RATE_LIMIT)
    monkeypatch.setenv("CNA_RATE_LIMIT_KEY", LIFTED_RATE_LIMIT)
    # The budgets of sign-in, password reset and access requests, lifted as far as their
    # settings allow (the 429s they give are tested in their own files).
    for name, most in (("CNA_SIGN_IN_FREE_FAILURES", 1000), ("CNA_SIGN_IN_LOCK_FAILURES", 1000),
                       ("CNA_SIGN_IN_ADDRESS_FREE_FAILURES", 100_000),
                       ("CNA_PASSWORD_RESET_PER_HOUR", 1000),
                       ("CNA_PASSWORD_RESET_ADDRESS_PER_HOUR", 100_000),
                       ("CNA_ACCESS_REQUESTS_PER_DAY", 100)):
        monkeypatch.setenv(name, str(most))
    # Thousands of requests: keep warnings and errors, not one access line per request.
    monkeypatch.setenv("CNA_LOG_LEVEL", "warning")
    get_settings.cache_clear()
    record = make_record()
    authority = store(session, reference, record).authority
    seeds = Seeds(
        parameters={"authority_id": str(authority.id), "version": 1,
                    "if-match": f'"{authority.version}-full"', "dry_run": True},
        bodies={"POST /v1/authorities": make_record(ref="FUZZ-SEED"),
                "PUT /v1/authorities/{authority_id}": record,
                "PATCH /v1/authorities/{authority_id}": {"acronym": "DRCI-MJSP"},
                "POST /v1/import": [record, make_record(ref="FUZZ-SEED-2")]},
        pinned={
            "POST /v1/authorities": _pins("body.", record),
            "PUT /v1/authorities/{authority_id}": {**_pins("body.", record),
                                                   "body.ref": record["ref"]},
            "POST /v1/import": _pins("body.[*].", record),
        },
    )
    from app.main import create_app

    try:
        with live_server(create_app()) as url:
            yield FuzzTarget(url=url, seeds=seeds)
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("phase", list(PHASES))
@pytest.mark.parametrize("role", ["anonymous", "secretariat"])
def test_fuzz(fuzz_target: FuzzTarget, role: str, phase: str) -> None:
    key = KeyKeeper(db_engine.get_engine(), Role.secretariat) if role == "secretariat" else None
    with capture_server_errors() as server_errors:
        report = run_fuzz(fuzz_target.url, key=key, phases=PHASES[phase], examples=EXAMPLES,
                          seed=SEED, seeds=fuzz_target.seeds, server_errors=server_errors)
    # The run reached the operations (not a skip counted as a pass, not a wall of 429s),
    # and the secretariat's key was accepted: some of its writes went through.
    assert report.requests_per_phase[phase] > 0, report.render()
    assert len(report.statuses_by_operation) >= 10, report.render()
    assert report.statuses[429] == 0, report.render()
    if role == "secretariat":
        assert any(label.split()[0] in WRITE_METHODS for label in report.successes), \
            report.render()
    assert not report.findings and not report.errors, report.render()


def test_regression_every_v1_operation_documents_the_refusals_it_can_give(
        client: TestClient) -> None:
    """Found by the fuzzer: a bad Authorization header gives 401 on any route, and the
    rate limiter 429, but the schema did not say so."""
    schema = client.get("/openapi.json").json()
    missing = [
        (method, path, status)
        for path, operations in schema["paths"].items() if path.startswith("/v1/")
        for method, operation in operations.items()
        for status in ("401", "429", "500", "503")
        if status not in operation["responses"]
    ]
    assert not missing, missing
    keys = schema["paths"]["/v1/keys"]["post"]["responses"]
    assert "403" in keys and "413" in keys
    assert "403" not in schema["paths"]["/v1/countries"]["get"]["responses"]
