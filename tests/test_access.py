"""API keys, roles, the role × route matrix, public reading and rate limits."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.access.keys import digest
from app.access.policy import ROUTE_RULES
from app.access.principal import Role
from app.access.service import create_key, revoke_key
from app.core.settings import get_settings
from app.reference.data import ReferenceData
from tests.conftest import make_record, store

PRINCIPALS = ["anonymous", *[r.value for r in Role], "revoked", "expired", "garbage"]


@pytest.fixture
def keys(session: Session) -> dict[str, str]:
    """One key per role, a network key scoped to FRA, plus revoked and expired keys."""
    made = {role.value: create_key(session, role, label=f"test {role}")[0] for role in Role}
    made["network_fra"] = create_key(session, Role.network, countries=["FRA"])[0]
    made["focal_bra"] = create_key(session, Role.focal_point, countries=["BRA"])[0]
    made["revoked"], row = create_key(session, Role.secretariat)
    revoke_key(session, row.prefix)
    made["expired"] = create_key(session, Role.secretariat,
                                 expires_at=datetime.now(UTC) - timedelta(days=1))[0]
    made["garbage"] = "cna_00000000_" + "A" * 43
    session.commit()
    return made


def auth(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


@pytest.fixture
def bra_record(session: Session, reference: ReferenceData) -> Any:
    return store(session, reference, make_record()).authority


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def test_every_api_route_has_an_access_rule(client: TestClient) -> None:
    routes = {
        (method, route.path)
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.path.startswith("/v1/")
        for method in (route.methods or set())
    }
    missing = routes - set(ROUTE_RULES)
    assert not missing, f"routes without an access rule: {sorted(missing)}"


def _expected(rule_roles: frozenset[Role], anonymous_ok: bool, principal: str) -> str:
    if principal in ("revoked", "expired", "garbage"):
        return "401"
    if principal == "anonymous":
        return "allowed" if anonymous_ok else "401"
    return "allowed" if Role(principal) in rule_roles else "403"


def test_role_route_matrix(client: TestClient, keys: dict[str, str], bra_record: Any) -> None:
    values = {"authority_id": str(bra_record.id), "version": "1", "code": "BRA",
              "proposal_id": str(uuid.uuid4()), "prefix": "ffffffff", "id": str(uuid.uuid4()),
              "account_id": str(uuid.uuid4()), "token": "x" * 43,
              "request_id": str(uuid.uuid4()), "session_id": str(uuid.uuid4())}
    failures = []
    checked = 0
    for (method, path), rule in sorted(ROUTE_RULES.items()):
        if not path.startswith("/v1/"):
            continue
        url = _fill(path, values)
        for principal in PRINCIPALS:
            key = None if principal == "anonymous" else keys[principal]
            # Bodies are empty objects: an allowed caller then gets 2xx/4xx from
            # validation, never 401/403; the matrix is about authorisation.
            response = client.request(method, url, headers=auth(key),
                                      json={} if method in ("POST", "PUT", "PATCH") else None)
            expected = _expected(rule.roles, rule.anonymous, principal)
            actual = response.status_code
            ok = (actual not in (401, 403)) if expected == "allowed" else \
                (actual == int(expected))
            if actual >= 500:
                ok = False
            if not ok:
                failures.append((method, path, principal, expected, actual))
            checked += 1
    assert not failures, failures
    assert checked >= len(PRINCIPALS) * 15


def _signed_in(session: Session, role: Role, status: str = "active",
               **scope: Any) -> str:
    """An account of this role with a live session; returns the session token."""
    from app.accounts.models import Account, AccountSession
    from app.accounts.tokens import new_token, token_digest

    account = Account(id=uuid.uuid4(), email=f"{role}-{uuid.uuid4().hex[:8]}@example.org",
                      display_name=str(role), language="en", role=role.value, status=status,
                      **scope)
    session.add(account)
    session.flush()
    token, now = new_token(), datetime.now(UTC)
    if role in (Role.focal_point, Role.secretariat):  # they need a second factor enrolled
        from app.accounts.totp_models import AccountTotp
        session.add(AccountTotp(account_id=account.id, secret_encrypted="unused",
                                confirmed_at=now))
    session.add(AccountSession(id=uuid.uuid4(), account_id=account.id,
                               token_digest=token_digest(token), created_at=now,
                               last_seen_at=now, expires_at=now + timedelta(hours=1)))
    session.commit()
    return token


def test_role_route_matrix_for_session_callers(client: TestClient, session: Session,
                                               bra_record: Any) -> None:
    """A person signed in is a caller exactly like a key of their role; a session of a
    suspended account is no caller at all (anonymous)."""
    from app.accounts.cookies import CSRF_HEADER, cookie_name
    from app.accounts.tokens import csrf_token

    settings = get_settings()

    def new_sessions() -> dict[str, str]:
        return {
            "official": _signed_in(session, Role.official, authority_ids=[bra_record.id]),
            "network": _signed_in(session, Role.network, countries=["BRA"]),
            "focal_point": _signed_in(session, Role.focal_point, countries=["BRA"]),
            "secretariat": _signed_in(session, Role.secretariat),
            "anonymous": _signed_in(session, Role.secretariat, status="suspended"),
        }

    tokens = new_sessions()
    values = {"authority_id": str(bra_record.id), "version": "1", "code": "BRA",
              "proposal_id": str(uuid.uuid4()), "prefix": "ffffffff", "id": str(uuid.uuid4()),
              "account_id": str(uuid.uuid4()), "token": "x" * 43,
              "request_id": str(uuid.uuid4()), "session_id": str(uuid.uuid4())}
    # Last, each with new sessions: they end the session.
    signing_out = {("DELETE", "/v1/sessions/current"), ("DELETE", "/v1/me/sessions")}
    routes = sorted(ROUTE_RULES.items(), key=lambda item: (item[0] in signing_out, item[0]))
    failures = []
    for (method, path), rule in routes:
        if not path.startswith("/v1/"):
            continue
        if (method, path) in signing_out:
            tokens = new_sessions()
        for principal, token in tokens.items():
            client.cookies.clear()
            headers = {"Cookie": f"{cookie_name(settings)}={token}",
                       CSRF_HEADER: csrf_token(settings.secret_key, token)}
            response = client.request(method, _fill(path, values), headers=headers,
                                      json={} if method in ("POST", "PUT", "PATCH") else None)
            expected = _expected(rule.roles, rule.anonymous, principal)
            actual = response.status_code
            ok = (actual not in (401, 403)) if expected == "allowed" else \
                (actual == int(expected))
            if not ok or actual >= 500:
                failures.append((method, path, principal, expected, actual))
    client.cookies.clear()
    assert not failures, failures


def test_key_is_stored_as_a_digest_and_works_once_shown(session: Session,
                                                        client: TestClient) -> None:
    key, row = create_key(session, Role.official)
    session.commit()
    stored = session.execute(text("select prefix, digest from api_keys")).all()
    assert stored == [(row.prefix, digest(key))]
    assert key not in repr(stored) and digest(key) != key
    response = client.get("/v1/authorities", headers=auth(key))
    assert response.status_code == 200


def test_wrong_secret_with_a_real_prefix_is_refused(session: Session,
                                                    client: TestClient) -> None:
    key, _ = create_key(session, Role.official)
    session.commit()
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    response = client.get("/v1/authorities", headers=auth(forged))
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"] == "Bearer"
    assert forged not in response.text and key not in response.text


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-key", "x"])
def test_malformed_authorization_is_401(client: TestClient, header: str) -> None:
    response = client.get("/v1/authorities", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_last_used_is_recorded(session: Session, client: TestClient) -> None:
    key, row = create_key(session, Role.official)
    session.commit()
    assert row.last_used_at is None
    client.get("/v1/countries/BRA", headers=auth(key))
    used = session.execute(text("select last_used_at from api_keys where prefix = :p"),
                           {"p": row.prefix}).scalar()
    assert used is not None and datetime.now(UTC) - used < timedelta(minutes=1)


def test_keys_api_creates_lists_and_revokes(client: TestClient, keys: dict[str, str]) -> None:
    admin = auth(keys["secretariat"])
    created = client.post("/v1/keys", headers=admin,
                          json={"role": "network", "countries": ["br", "ARG"],
                                "label": "IberRed mirror"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["countries"] == ["ARG", "BRA"] and body["role"] == "network"
    assert body["key"].startswith(f"cna_{body['prefix']}_")
    assert created.headers["cache-control"] == "no-store"
    listed = client.get("/v1/keys", headers=admin).json()["items"]
    assert body["prefix"] in [k["prefix"] for k in listed]
    assert all("key" not in k for k in listed)
    assert client.get("/v1/countries", headers=auth(body["key"])).status_code == 200
    assert client.delete(f"/v1/keys/{body['prefix']}", headers=admin).status_code == 200
    assert client.get("/v1/countries", headers=auth(body["key"])).status_code == 401
    assert client.post("/v1/keys", headers=admin,
                       json={"role": "network", "countries": ["ZZ"]}).status_code == 422


def test_official_sees_contacts_and_anonymous_does_not(client: TestClient,
                                                       keys: dict[str, str],
                                                       bra_record: Any) -> None:
    url = f"/v1/authorities/{bra_record.id}"
    full = client.get(url, headers=auth(keys["official"]))
    public = client.get(url)
    assert full.json()["contacts"][0]["name"] == "Duty officer"
    assert "+556120253009" in full.text
    assert "contacts" not in public.json() and "+556120253009" not in public.text
    assert full.headers["etag"] != public.headers["etag"]


def test_network_scope_limits_what_a_key_reads(session: Session, reference: ReferenceData,
                                               client: TestClient, keys: dict[str, str],
                                               bra_record: Any) -> None:
    fra = store(session, reference, make_record(
        country="FRA", ref="FRA-1", phones=[], emails=[], time_zone="Europe/Paris",
        contacts=[])).authority
    scoped = auth(keys["network_fra"])
    ids = [a["id"] for a in client.get("/v1/authorities", headers=scoped).json()["items"]]
    assert ids == [str(fra.id)]
    assert client.get("/v1/authorities?country=BRA", headers=scoped).json()["items"] == []
    assert client.get(f"/v1/authorities/{bra_record.id}", headers=scoped).status_code == 404
    assert client.get(f"/v1/authorities/{fra.id}", headers=scoped).status_code == 200
    assert client.get("/v1/countries/BRA", headers=scoped).json()["authorities"] == []
    everything = client.get("/v1/authorities", headers=auth(keys["network"])).json()["items"]
    assert len(everything) == 2


@pytest.fixture
def private_directory() -> Iterator[None]:
    import os

    os.environ["CNA_PUBLIC_READ"] = "false"
    get_settings.cache_clear()
    yield
    del os.environ["CNA_PUBLIC_READ"]
    get_settings.cache_clear()


def test_public_read_off_means_401_for_anonymous_except_health_and_docs(
        private_directory: None, client: TestClient, keys: dict[str, str]) -> None:
    for url in ("/v1/authorities", "/v1/countries", "/v1/countries/BRA", "/v1/instruments"):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.headers["content-type"].startswith("application/problem+json")
        assert client.get(url, headers=auth(keys["official"])).status_code == 200
    for url in ("/healthz", "/readyz", "/docs", "/openapi.json"):
        assert client.get(url).status_code == 200, url


def test_rate_limit_gives_429_problem_with_retry_after(db_url: str) -> None:
    import os

    from app.main import create_app

    os.environ["CNA_RATE_LIMIT_ANONYMOUS"] = "5"
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as limited:
            statuses = [limited.get("/v1/countries/BRA").status_code for _ in range(7)]
            last = limited.get("/v1/countries/BRA")
            health = limited.get("/healthz")
    finally:
        del os.environ["CNA_RATE_LIMIT_ANONYMOUS"]
        get_settings.cache_clear()
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    assert last.status_code == 429
    assert last.headers["content-type"] == "application/problem+json"
    assert int(last.headers["retry-after"]) >= 1
    assert last.json()["status"] == 429
    assert health.status_code == 200


READ = ("anonymous", "official", "network", "focal_point", "secretariat")
SECRETARIAT = ("secretariat",)
PROPOSERS = ("focal_point", "secretariat")
ANYONE = READ  # even when public reading is off (signed_out)
DECIDERS = PROPOSERS
ROLES = ("official", "network", "focal_point", "secretariat")

# The access policy, written out independently of the routes' own declarations: a route
# whose rule drifts from this table fails here even though the matrix above (which
# checks that every rule is enforced) would still pass.
POLICY: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/v1/countries"): READ,
    ("GET", "/v1/countries/{code}"): READ,
    ("GET", "/v1/instruments"): READ,
    ("GET", "/v1/authorities"): READ,
    ("GET", "/v1/authorities/{authority_id}"): READ,
    ("GET", "/v1/authorities/{authority_id}/history"): READ,
    ("GET", "/v1/authorities/{authority_id}/versions/{version}"): READ,
    ("POST", "/v1/authorities"): SECRETARIAT,
    ("PUT", "/v1/authorities/{authority_id}"): SECRETARIAT,
    ("PATCH", "/v1/authorities/{authority_id}"): SECRETARIAT,
    ("POST", "/v1/authorities/{authority_id}/withdraw"): SECRETARIAT,
    ("POST", "/v1/import"): SECRETARIAT,
    ("POST", "/v1/keys"): SECRETARIAT,
    ("GET", "/v1/keys"): SECRETARIAT,
    ("DELETE", "/v1/keys/{prefix}"): SECRETARIAT,
    ("POST", "/v1/proposals"): PROPOSERS,
    ("GET", "/v1/proposals"): PROPOSERS,
    ("GET", "/v1/proposals/{proposal_id}"): PROPOSERS,
    ("POST", "/v1/proposals/{proposal_id}/approve"): SECRETARIAT,
    ("POST", "/v1/proposals/{proposal_id}/reject"): SECRETARIAT,
    ("POST", "/v1/proposals/confirmation-approvals"): SECRETARIAT,
    ("GET", "/v1/networks"): READ,
    ("GET", "/v1/networks/{code}"): READ,
    ("GET", "/v1/route"): READ,
    ("GET", "/v1/authorities/{authority_id}.vcf"): READ,
    ("GET", "/v1/publications/directory.pdf"): READ,
    ("POST", "/v1/access-requests"): ANYONE,
    ("GET", "/v1/access-requests"): DECIDERS,
    ("POST", "/v1/access-requests/{request_id}/approve"): DECIDERS,
    ("POST", "/v1/access-requests/{request_id}/reject"): DECIDERS,
    ("GET", "/v1/me/sessions"): ROLES,
    ("DELETE", "/v1/me/sessions"): ROLES,
    ("DELETE", "/v1/me/sessions/{session_id}"): ROLES,
    ("GET", "/v1/me/keys"): ROLES,
    ("POST", "/v1/me/keys"): ROLES,
    ("DELETE", "/v1/me/keys/{prefix}"): ROLES,
}


@pytest.mark.parametrize("route", sorted(POLICY), ids=lambda r: f"{r[0]} {r[1]}")
def test_declared_rules_match_the_access_policy(route: tuple[str, str]) -> None:
    import app.main  # noqa: F401  (registers every route's rule)

    rule = ROUTE_RULES[route]
    declared = {r.value for r in rule.roles} | ({"anonymous"} if rule.anonymous else set())
    assert declared == set(POLICY[route])


def test_keys_cli_create_list_revoke(client: TestClient, db_url: str) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    cna = str(Path(sys.executable).with_name("cna"))
    env = {**os.environ, "DATABASE_URL": db_url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([cna, "keys", *args], capture_output=True, text=True, env=env,
                              timeout=120)

    next_year = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()
    created = run("create", "--role", "network", "--countries", "BRA,ar",
                  "--expires", next_year, "--label", "IberRed")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    prefix = key.split("_")[1]
    assert "ARG, BRA" in created.stderr
    listed = run("list")
    assert prefix in listed.stdout and "network" in listed.stdout
    assert key not in listed.stdout
    assert client.get("/v1/authorities", headers=auth(key)).status_code == 200
    assert run("revoke", prefix).returncode == 0
    assert client.get("/v1/authorities", headers=auth(key)).status_code == 401
    assert prefix not in run("list").stdout
    assert run("create", "--role", "emperor").returncode == 2
    assert run("create", "--role", "official", "--expires", "2001-01-01").returncode == 2
    assert run("create", "--role", "official", "--expires", "9999-12-31").returncode == 2
    assert run("revoke", "deadbeef").returncode == 1
