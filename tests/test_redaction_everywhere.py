"""Named contacts and restricted phones and e-mails never reach anonymous callers, by any
route that returns records: reads, history, search, export, feed, route card, vCard,
web pages and errors."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.reference.data import ReferenceData
from tests.conftest import make_record, store

SECRETS = [
    "Duty officer", "duty@drci.example.org", "+556120253002",  # the contact
    "+556120253009", "Night desk",  # a restricted phone (E.164) and its label
    "internal@drci.example.org",  # a restricted e-mail
]
PUBLIC = ["+556120253000", "mla@drci.example.org"]


def _routes(authority_id: str) -> list[str]:
    return [
        "/v1/authorities",
        "/v1/authorities?status=all&country=BRA",
        f"/v1/authorities/{authority_id}",
        f"/v1/authorities/{authority_id}/history",
        f"/v1/authorities/{authority_id}/versions/1",
        f"/v1/authorities/{authority_id}/versions/2",
        f"/v1/authorities/{authority_id}.vcf",
        "/v1/search?q=Departamento",
        "/v1/search?q=DRCI&country=BRA",
        "/v1/changes",
        "/v1/export",
        "/v1/export?format=csv",
        "/v1/countries/BRA",
        "/v1/route?from=FRA&to=BRA&type=mutual_legal_assistance",
        "/",
        "/?q=Departamento",
        f"/authorities/{authority_id}",
        "/route?from=FRA&to=BRA&type=mutual_legal_assistance",
    ]


def _get(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return response


def test_no_route_shows_restricted_data_to_anonymous_callers(
        client: TestClient, session: Session, reference: ReferenceData) -> None:
    record = store(session, reference, make_record()).authority
    store(session, reference, make_record(acronym="DRCI2"))  # version 2, same secrets
    deadline = time.monotonic() + 10  # search may index asynchronously
    while time.monotonic() < deadline and \
            "Departamento" not in client.get("/v1/search?q=Departamento").text:
        time.sleep(0.1)
    leaks = []
    public_seen = 0
    for url in _routes(str(record.id)):
        text = _get(client, url).text
        leaks += [(url, secret) for secret in SECRETS if secret in text]
        public_seen += any(p in text for p in PUBLIC)
    assert not leaks, leaks
    # The public parts are there, so the routes really returned the record.
    assert public_seen >= 10


def test_errors_do_not_echo_restricted_data(client: TestClient, session: Session,
                                            reference: ReferenceData) -> None:
    record = store(session, reference, make_record()).authority
    for url in (f"/v1/authorities/{record.id}/versions/99",
                "/v1/route?from=FRA&to=BRA&type=extradition",
                "/v1/search?q=Duty&limit=9999"):
        text = client.get(url).text
        assert not [s for s in SECRETS if s in text], url
