"""Webhook subscriptions: who may manage them, validation, destinations, the secret."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.access.principal import Role
from app.core.settings import get_settings
from app.webhooks.signing import decrypt_secret
from tests.test_sync_feed import key_for

URL = "http://127.0.0.1:9/hook"


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Test receivers listen on 127.0.0.1: allow private destinations."""
    monkeypatch.setenv("CNA_WEBHOOK_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("CNA_WEBHOOK_ALLOW_PRIVATE")
    get_settings.cache_clear()


def subscribe(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/v1/webhooks", json={"url": URL, **body}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_a_network_key_subscribes_and_sees_its_secret_once(
        client: TestClient, session: Session, allow_private: None) -> None:
    network = key_for(Role.network)
    created = subscribe(client, network, description="EJN mirror")
    assert created["secret"].startswith("whsec_")
    assert created["status"] == "active"
    assert created["event_types"] == ["authority.upsert", "authority.withdraw"]
    assert created["countries"] is None
    assert "secret" not in client.get(f"/v1/webhooks/{created['id']}", headers=network).json()
    listed = client.get("/v1/webhooks", headers=network).json()["items"]
    assert [w["id"] for w in listed] == [created["id"]] and "secret" not in listed[0]
    stored = session.execute(text("SELECT secret_ciphertext FROM webhook_endpoints")).scalar_one()
    assert created["secret"] not in stored
    assert created["secret"][6:] not in stored
    assert decrypt_secret(stored) == created["secret"]


def test_who_may_manage_which_subscription(client: TestClient, allow_private: None) -> None:
    owner, other = key_for(Role.network), key_for(Role.network)
    secretariat = key_for(Role.secretariat)
    created = subscribe(client, owner)
    path = f"/v1/webhooks/{created['id']}"
    assert client.get(path, headers=other).status_code == 404
    assert client.get("/v1/webhooks", headers=other).json()["items"] == []
    assert client.delete(path, headers=other).status_code == 404
    assert client.get(path, headers=secretariat).status_code == 200
    assert len(client.get("/v1/webhooks", headers=secretariat).json()["items"]) == 1
    official = client.post("/v1/webhooks", json={"url": URL}, headers=key_for(Role.official))
    assert official.status_code == 403
    anonymous = client.get("/v1/webhooks")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert client.delete(path, headers=owner).status_code == 204
    assert client.get(path, headers=owner).status_code == 404


def test_subscriptions_are_validated(client: TestClient, allow_private: None) -> None:
    headers = key_for(Role.secretariat)
    response = client.post("/v1/webhooks", headers=headers, json={
        "url": "ftp://example.org/x", "event_types": ["authority.upsert", "record.eaten"],
        "countries": ["BR", "ZZZ"]})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert "/body/countries/1" in pointers
    response = client.post("/v1/webhooks", headers=headers, json={
        "url": "ftp://example.org/x", "event_types": ["authority.upsert", "record.eaten"]})
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert pointers == {"/body/url", "/body/event_types/1"}
    created = subscribe(client, headers, countries=["br", "ARG"],
                        event_types=["authority.withdraw"])
    assert created["countries"] == ["ARG", "BRA"]
    assert created["event_types"] == ["authority.withdraw"]


def test_a_scoped_network_key_subscribes_only_within_its_countries(
        client: TestClient, allow_private: None) -> None:
    scoped = key_for(Role.network, countries=["BRA", "ARG"])
    assert subscribe(client, scoped)["countries"] == ["ARG", "BRA"]
    assert subscribe(client, scoped, countries=["BRA"])["countries"] == ["BRA"]
    outside = client.post("/v1/webhooks", headers=scoped, json={"url": URL,
                                                                "countries": ["FRA"]})
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["pointer"] == "/body/countries"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/x", "http://localhost/x",
                                 "http://10.1.2.3/x", "http://[::1]/x",
                                 "http://169.254.169.254/latest", "https://192.168.0.10/"])
def test_private_and_loopback_destinations_are_refused_by_default(
        client: TestClient, url: str) -> None:
    assert get_settings().webhook_allow_private is False
    response = client.post("/v1/webhooks", headers=key_for(Role.secretariat), json={"url": url})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == "/body/url"
    assert "non-public" in response.json()["errors"][0]["detail"]
