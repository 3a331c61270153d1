"""A person's own sessions (list, end one, sign out everywhere) and personal API keys."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.access.models import ApiKey
from app.accounts.cookies import CSRF_HEADER, cookie_name
from app.accounts.models import Account, AccountEvent
from app.core.settings import get_settings
from tests.test_accounts import PASSWORD, auth, person


def sign_in(client: TestClient, email: str, device: str) -> dict[str, str]:
    """A new session; returns the headers that make a request with it (not kept in the
    client's cookie jar, so several sessions can be used side by side)."""
    client.cookies.clear()
    response = client.post("/v1/sessions", json={"email": email, "password": PASSWORD},
                           headers={"User-Agent": device})
    assert response.status_code == 201, response.text
    name = cookie_name(get_settings())
    token = client.cookies[name]
    client.cookies.clear()
    return {"Cookie": f"{name}={token}", CSRF_HEADER: response.json()["csrf_token"]}


def me(client: TestClient, headers: dict[str, str]) -> Any:
    client.cookies.clear()
    return client.get("/v1/me", headers=headers).json()



def official(client: TestClient, session: Session, keys: dict[str, str], authority: Any,
             email: str = "off@example.org") -> None:
    person(client, session, keys["secretariat"], email, "official",
           authority_ids=[str(authority.id)])
    client.cookies.clear()


def test_my_sessions_are_listed_with_device_address_last_seen_and_which_is_mine(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    official(client, session, keys, bra)
    laptop = sign_in(client, "off@example.org", "Laptop browser")
    phone = sign_in(client, "off@example.org", "Phone browser")
    listed = client.get("/v1/me/sessions", headers=laptop)
    assert listed.status_code == 200, listed.text
    assert listed.headers["cache-control"] == "no-store"
    items = listed.json()["items"]
    by_device = {i["device"]: i for i in items}
    assert by_device["Laptop browser"]["current"] is True
    assert by_device["Phone browser"]["current"] is False
    assert all(i["address"] == "testclient" and i["last_seen_at"] for i in items)
    assert sum(i["current"] for i in items) == 1
    # Signed out sessions are not listed.
    client.cookies.clear()
    assert client.delete("/v1/sessions/current", headers=phone).status_code == 204
    devices = {i["device"] for i in
               client.get("/v1/me/sessions", headers=laptop).json()["items"]}
    assert "Phone browser" not in devices and "Laptop browser" in devices


def test_ending_one_of_my_sessions_and_never_someone_elses(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    official(client, session, keys, bra, "one@example.org")
    official(client, session, keys, bra, "two@example.org")
    laptop = sign_in(client, "one@example.org", "Laptop")
    phone = sign_in(client, "one@example.org", "Phone")
    other = sign_in(client, "two@example.org", "Other")
    other_id = next(i["id"] for i in client.get("/v1/me/sessions", headers=other)
                    .json()["items"] if i["current"])
    phone_id = next(i["id"] for i in client.get("/v1/me/sessions", headers=phone)
                    .json()["items"] if i["current"])
    client.cookies.clear()
    assert client.delete(f"/v1/me/sessions/{other_id}", headers=laptop).status_code == 404
    assert me(client, other)["kind"] == "session"
    ended = client.delete(f"/v1/me/sessions/{phone_id}", headers=laptop)
    assert ended.status_code == 204, ended.text
    assert "set-cookie" not in ended.headers  # not this session: its cookie stays
    assert me(client, phone)["kind"] == "anonymous"
    assert me(client, laptop)["kind"] == "session"
    assert client.delete(f"/v1/me/sessions/{phone_id}", headers=laptop).status_code == 404
    # Without the CSRF token nothing ends.
    no_csrf = {"Cookie": laptop["Cookie"]}
    laptop_id = next(i["id"] for i in client.get("/v1/me/sessions", headers=laptop)
                     .json()["items"] if i["current"])
    assert client.delete(f"/v1/me/sessions/{laptop_id}", headers=no_csrf).status_code == 403
    assert me(client, laptop)["kind"] == "session"
    own = client.delete(f"/v1/me/sessions/{laptop_id}", headers=laptop)
    assert own.status_code == 204 and "set-cookie" in own.headers
    assert me(client, laptop)["kind"] == "anonymous"


def test_sign_out_everywhere_ends_every_session_of_mine_only(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    official(client, session, keys, bra, "one@example.org")
    official(client, session, keys, bra, "two@example.org")
    laptop = sign_in(client, "one@example.org", "Laptop")
    phone = sign_in(client, "one@example.org", "Phone")
    other = sign_in(client, "two@example.org", "Other")
    client.cookies.clear()
    response = client.delete("/v1/me/sessions", headers=phone)
    assert response.status_code == 204, response.text
    assert "set-cookie" in response.headers
    assert me(client, laptop)["kind"] == "anonymous"
    assert me(client, phone)["kind"] == "anonymous"
    assert me(client, other)["kind"] == "session"
    session.expire_all()
    account = session.scalars(select(Account).where(
        col(Account.email) == "one@example.org")).one()
    assert "signed_out_everywhere" in session.scalars(select(AccountEvent.action).where(
        col(AccountEvent.account_id) == account.id)).all()


def test_a_key_is_no_person_for_my_sessions_and_keys(client: TestClient,
                                                     keys: dict[str, str]) -> None:
    key = auth(keys["secretariat"])
    for method, url in (("GET", "/v1/me/sessions"), ("DELETE", "/v1/me/sessions"),
                        ("GET", "/v1/me/keys"), ("POST", "/v1/me/keys")):
        response = client.request(method, url, headers=key,
                                  json={} if method == "POST" else None)
        assert response.status_code == 409, (method, url, response.text)
    assert client.get("/v1/me/keys").status_code == 401


def test_a_personal_key_has_my_role_and_at_most_my_countries(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    csrf = person(client, session, keys["secretariat"], "net@example.org", "network",
                  countries=["BRA", "ARG"])
    headers = {CSRF_HEADER: csrf}
    mine = client.post("/v1/me/keys", headers=headers, json={"label": "my laptop"})
    assert mine.status_code == 201, mine.text
    assert mine.headers["cache-control"] == "no-store"
    body = mine.json()
    assert (body["role"], body["countries"]) == ("network", ["ARG", "BRA"])
    narrow = client.post("/v1/me/keys", headers=headers, json={"countries": ["bra"]})
    assert narrow.status_code == 201 and narrow.json()["countries"] == ["BRA"]
    wider = client.post("/v1/me/keys", headers=headers, json={"countries": ["BRA", "FRA"]})
    assert wider.status_code == 403
    assert wider.json()["errors"][0]["pointer"] == "/body/countries"
    higher = client.post("/v1/me/keys", headers=headers, json={"role": "secretariat"})
    assert higher.status_code == 403
    assert higher.json()["errors"][0]["pointer"] == "/body/role"
    # The key works as a network key of those countries, and is listed as mine.
    key = narrow.json()["key"]
    as_key = client.get("/v1/me", headers=auth(key)).json()
    assert (as_key["kind"], as_key["role"], as_key["countries"]) == (
        "key", "network", ["BRA"])
    listed = client.get("/v1/me/keys").json()["items"]
    assert sorted(k["prefix"] for k in listed) == sorted(
        [body["prefix"], narrow.json()["prefix"]])
    assert all("key" not in k for k in listed)
    stored = session.scalars(select(ApiKey).where(
        col(ApiKey.prefix) == body["prefix"])).one()
    assert stored.account_id is not None and stored.created_by == f"account:{stored.account_id}"


def test_an_official_key_has_no_countries(client: TestClient, session: Session,
                                          keys: dict[str, str], bra: Any) -> None:
    csrf = person(client, session, keys["secretariat"], "off@example.org", "official",
                  authority_ids=[str(bra.id)])
    refused = client.post("/v1/me/keys", headers={CSRF_HEADER: csrf},
                          json={"countries": ["BRA"]})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "/body/countries"
    made = client.post("/v1/me/keys", headers={CSRF_HEADER: csrf}, json={})
    assert made.status_code == 201 and made.json()["role"] == "official"


def test_revoking_my_key_and_never_someone_elses(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    csrf = person(client, session, keys["secretariat"], "off@example.org", "official",
                  authority_ids=[str(bra.id)])
    made = client.post("/v1/me/keys", headers={CSRF_HEADER: csrf}, json={}).json()
    secretariat_prefix = keys["secretariat"].split("_")[1]
    assert client.delete(f"/v1/me/keys/{secretariat_prefix}",
                         headers={CSRF_HEADER: csrf}).status_code == 404
    assert client.get("/v1/me", headers=auth(keys["secretariat"])).json()["kind"] == "key"
    revoked = client.delete(f"/v1/me/keys/{made['prefix']}", headers={CSRF_HEADER: csrf})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/v1/me", headers=auth(made["key"])).status_code == 401
    assert client.get("/v1/me/keys").json()["items"] == []


def test_personal_keys_stop_at_once_when_the_account_is_suspended_or_closed(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    csrf = person(client, session, keys["secretariat"], "off@example.org", "official",
                  authority_ids=[str(bra.id)])
    key = client.post("/v1/me/keys", headers={CSRF_HEADER: csrf}, json={}).json()["key"]
    url = f"/v1/authorities/{bra.id}"
    client.cookies.clear()
    assert client.get(url, headers=auth(key)).json()["contacts"]
    account_id = session.scalars(select(Account.id).where(
        col(Account.email) == "off@example.org")).one()
    admin = auth(keys["secretariat"])
    for status, works in (("suspended", False), ("active", True), ("closed", False)):
        changed = client.patch(f"/v1/accounts/{account_id}", headers=admin,
                               json={"status": status})
        assert changed.status_code == 200, changed.text
        answer = client.get(url, headers=auth(key))
        assert (answer.status_code == 200) is works, (status, answer.status_code)
        if not works:
            assert answer.status_code == 401
            assert key not in answer.text


def test_an_officials_key_stops_when_their_authority_is_withdrawn(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    csrf = person(client, session, keys["secretariat"], "off@example.org", "official",
                  authority_ids=[str(bra.id)])
    key = client.post("/v1/me/keys", headers={CSRF_HEADER: csrf}, json={}).json()["key"]
    client.cookies.clear()
    assert client.get("/v1/me", headers=auth(key)).status_code == 200
    withdrawn = client.post(f"/v1/authorities/{bra.id}/withdraw",
                            headers=auth(keys["secretariat"]), json={"reason": "merged"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert client.get("/v1/me", headers=auth(key)).status_code == 401
    # A key made by the secretariat for the official role is not tied to any account.
    assert client.get("/v1/me", headers=auth(keys["secretariat"])).status_code == 200
