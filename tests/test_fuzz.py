"""Schemathesis against the live OpenAPI schema, as anonymous and as a secretariat key.

Checks: no 5xx, responses conform to the schema, status codes are documented, content
types are right.  Bounded by ``CNA_FUZZ_EXAMPLES`` examples per operation (default 25).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.reference.data import ReferenceData
from tests.conftest import make_record, store

EXAMPLES = int(os.environ.get("CNA_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]


@pytest.fixture
def fuzz_app(client: TestClient, session: Session, reference: ReferenceData) -> Iterator[
        tuple[object, str]]:
    store(session, reference, make_record())
    key, _ = create_key(session, Role.secretariat)
    session.commit()
    yield client.app, key


def _fuzz(app: object, headers: dict[str, str]) -> list[str]:
    """Run every operation; return one line per failing operation."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        operations += 1

        @given(case=operation.as_strategy())
        @FUZZ_SETTINGS
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report all
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")
    assert operations >= 20
    return failures


FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                         suppress_health_check=list(HealthCheck), database=None,
                         phases=[Phase.explicit, Phase.generate])


def test_fuzz_anonymous(fuzz_app: tuple[object, str]) -> None:
    app, _ = fuzz_app
    failures = _fuzz(app, {})
    assert not failures, "\n\n".join(failures)


def test_fuzz_secretariat(fuzz_app: tuple[object, str]) -> None:
    app, key = fuzz_app
    failures = _fuzz(app, {"Authorization": f"Bearer {key}"})
    assert not failures, "\n\n".join(failures)


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
