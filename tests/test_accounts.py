"""People: invitations, passwords, sessions, CSRF, and who may manage whom."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.accounts.models import Account, AccountEvent, AccountSession
from app.core.settings import get_settings
from app.mail.models import MailMessage

PASSWORD = "correct horse battery staple"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def invitation_token(session: Session, email: str) -> str:
    """The token in the link of the last invitation mail to this address."""
    session.expire_all()
    mail = session.scalars(select(MailMessage).where(col(MailMessage.recipient) == email)
                           .order_by(col(MailMessage.id).desc())).first()
    assert mail is not None, f"no mail to {email}"
    found = re.search(r"/invitations/([A-Za-z0-9_-]+)", mail.body_text)
    assert found, mail.body_text
    return found.group(1)


def invite(client: TestClient, key: str, email: str, role: str, **scope: Any) -> Any:
    return client.post("/v1/accounts", headers=auth(key),
                       json={"email": email, "display_name": "Ana Souza", "role": role,
                             "language": "fr", **scope})


def person(client: TestClient, session: Session, key: str, email: str, role: str,
           **scope: Any) -> str:
    """Invite, accept and sign in; returns the CSRF token (the cookie is in the client)."""
    response = invite(client, key, email, role, **scope)
    assert response.status_code == 201, response.text
    token = invitation_token(session, email)
    accepted = client.post(f"/v1/invitations/{token}/accept", json={"password": PASSWORD})
    assert accepted.status_code == 200, accepted.text
    signed_in = client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 201, signed_in.text
    csrf: str = signed_in.json()["csrf_token"]
    if role in ("focal_point", "secretariat"):  # enrol the second factor they need
        secret = client.post("/v1/me/totp", headers={"X-CSRF-Token": csrf}).json()["secret"]
        confirmed = client.post("/v1/me/totp/confirm", headers={"X-CSRF-Token": csrf},
                                json={"code": pyotp.TOTP(secret).now()})
        assert confirmed.status_code == 200, confirmed.text
    return csrf


def test_invitation_accept_sign_in_sees_contacts_until_sign_out(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    response = invite(client, keys["secretariat"], "Ana.Souza@Example.org", "official",
                      authority_ids=[str(bra.id)])
    assert response.status_code == 201, response.text
    account = response.json()
    assert account["status"] == "invited" and account["role"] == "official"
    mail = session.scalars(select(MailMessage)).one()
    assert mail.language == "fr" and mail.cause and mail.cause.startswith("invitation:")
    assert "Bonjour Ana Souza" in mail.body_text
    assert client.get(f"/v1/authorities/{bra.id}").json().get("contacts") in (None, [])

    token = invitation_token(session, mail.recipient)
    accepted = client.post(f"/v1/invitations/{token}/accept", json={"password": PASSWORD})
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    # E-mail compared case-insensitively at sign-in too.
    signed_in = client.post("/v1/sessions", json={"email": "ana.souza@example.ORG",
                                                  "password": PASSWORD})
    assert signed_in.status_code == 201, signed_in.text
    me = client.get("/v1/me").json()
    assert me["kind"] == "session" and me["role"] == "official"
    assert me["account"]["email"] == account["email"]
    assert me["csrf_token"] == signed_in.json()["csrf_token"]
    contacts = client.get(f"/v1/authorities/{bra.id}").json()["contacts"]
    assert [c["name"] for c in contacts] == ["Duty officer"]

    out = client.delete("/v1/sessions/current", headers={"X-CSRF-Token": me["csrf_token"]})
    assert out.status_code == 204
    assert client.get("/v1/me").json()["kind"] == "anonymous"
    assert client.get(f"/v1/authorities/{bra.id}").json().get("contacts") in (None, [])

    events = session.scalars(select(AccountEvent).order_by(col(AccountEvent.id))).all()
    assert [e.action for e in events] == ["invited", "invitation_accepted"]
    assert events[0].actor.startswith("key:") and events[0].client_address == "testclient"
    assert events[1].changes["status"] == {"before": "invited", "after": "active"}
    assert events[1].changes["password"] == "set"
    stored = session.execute(text("select password_hash from accounts")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_duplicate_email_is_refused_whatever_its_case(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    assert invite(client, keys["secretariat"], "desk@example.org", "secretariat"
                  ).status_code == 201
    again = invite(client, keys["secretariat"], "DESK@example.ORG", "secretariat")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["errors"][0]["pointer"] == "/body/email"
    assert session.execute(text("select count(*) from accounts")).scalar_one() == 1
    bad = invite(client, keys["secretariat"], "not an address", "secretariat")
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/body/email"


def test_an_invitation_works_once_and_not_after_it_expires(
        client: TestClient, session: Session, keys: dict[str, str]) -> None:
    invite(client, keys["secretariat"], "one@example.org", "secretariat")
    token = invitation_token(session, "one@example.org")
    first = client.post(f"/v1/invitations/{token}/accept", json={"password": PASSWORD})
    assert first.status_code == 200
    second = client.post(f"/v1/invitations/{token}/accept", json={"password": PASSWORD + "!"})
    assert second.status_code == 410 and "used" in second.json()["detail"]

    invite(client, keys["secretariat"], "two@example.org", "secretariat")
    token = invitation_token(session, "two@example.org")
    session.execute(text("update invitations set expires_at = now() - interval '1 second' "
                         "where used_at is null"))
    session.commit()
    late = client.post(f"/v1/invitations/{token}/accept", json={"password": PASSWORD})
    assert late.status_code == 410 and "expired" in late.json()["detail"]
    unknown = client.post(f"/v1/invitations/{'A' * 43}/accept", json={"password": PASSWORD})
    assert unknown.status_code == 404
    status = session.execute(text("select status from accounts where email = "
                                  "'two@example.org'")).scalar_one()
    assert status == "invited"


def test_new_passwords_follow_the_nist_rules(
        client: TestClient, session: Session, keys: dict[str, str]) -> None:
    invite(client, keys["secretariat"], "pw@example.org", "secretariat")
    token = invitation_token(session, "pw@example.org")
    for password, kind in (("eleven char", "too_short"), ("x" * 257, "too_long"),
                           ("QazWsxEdcRfv", "common_password")):
        response = client.post(f"/v1/invitations/{token}/accept", json={"password": password})
        assert response.status_code == 422, password
        error = response.json()["errors"][0]
        assert (error["pointer"], error["type"]) == ("/body/password", kind)
    assert session.execute(text("select status from accounts")).scalar_one() == "invited"
    # No composition rule: a long phrase of lowercase words is fine.
    assert client.post(f"/v1/invitations/{token}/accept",
                       json={"password": "a quiet river under old bridges"}).status_code == 200


def test_a_focal_point_invites_only_officials_of_its_own_state(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any,
        fra: Any) -> None:
    focal = keys["focal_bra"]
    assert invite(client, focal, "bra@example.org", "official",
                  authority_ids=[str(bra.id)]).status_code == 201
    assert invite(client, focal, "fra@example.org", "official",
                  authority_ids=[str(fra.id)]).status_code == 403
    assert invite(client, focal, "both@example.org", "official",
                  authority_ids=[str(bra.id), str(fra.id)]).status_code == 403
    assert invite(client, focal, "net@example.org", "network",
                  countries=["BRA"]).status_code == 403
    assert invite(client, focal, "sec@example.org", "secretariat").status_code == 403
    assert invite(client, keys["secretariat"], "fra@example.org", "official",
                  authority_ids=[str(fra.id)]).status_code == 201
    listed = client.get("/v1/accounts", headers=auth(focal)).json()["items"]
    assert [a["email"] for a in listed] == ["bra@example.org"]
    fra_account = session.scalars(select(Account).where(
        col(Account.email) == "fra@example.org")).one()
    assert client.patch(f"/v1/accounts/{fra_account.id}", headers=auth(focal),
                        json={"status": "suspended"}).status_code == 403
    assert len(client.get("/v1/accounts", headers=auth(keys["secretariat"])).json()["items"]) == 2
    assert session.execute(text("select count(*) from accounts")).scalar_one() == 2


def test_an_unknown_email_is_answered_like_a_known_one_after_the_same_hash_work(
        client: TestClient, session: Session, keys: dict[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    invite(client, keys["secretariat"], "known@example.org", "secretariat")
    token = invitation_token(session, "known@example.org")
    client.post(f"/v1/invitations/{token}/accept", json={"password": PASSWORD})
    calls: list[str] = []
    verify = Argon2Hasher.verify

    def counted(self: Argon2Hasher, *args: Any, **kwargs: Any) -> bool:
        calls.append("verify")
        return verify(self, *args, **kwargs)

    monkeypatch.setattr(Argon2Hasher, "verify", counted)
    answers = []
    for email in ("known@example.org", "nobody@example.org", "not-even-an-address"):
        calls.clear()
        response = client.post("/v1/sessions", json={"email": email,
                                                     "password": "wrong password here"})
        answers.append((response.status_code, response.json(), len(calls)))
    assert answers[0][0] == 401 and answers[0][2] == 1
    assert answers[0] == answers[1] == answers[2]
    assert "set-cookie" not in response.headers


@pytest.fixture
def secure_cookies(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CNA_COOKIE_SECURE", "true")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("CNA_COOKIE_SECURE")
    get_settings.cache_clear()


def _sign_in_cookie(client: TestClient, session: Session, keys: dict[str, str]) -> str:
    invite(client, keys["secretariat"], "cookie@example.org", "secretariat")
    token = invitation_token(session, "cookie@example.org")
    client.post(f"/v1/invitations/{token}/accept", json={"password": PASSWORD})
    response = client.post("/v1/sessions", json={"email": "cookie@example.org",
                                                 "password": PASSWORD})
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    return response.headers["set-cookie"]


def test_the_session_cookie_for_local_http(client: TestClient, session: Session,
                                           keys: dict[str, str]) -> None:
    cookie = _sign_in_cookie(client, session, keys)
    assert re.match(r"cna_session=[A-Za-z0-9_-]{43};", cookie)
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/", "samesite=lax", "max-age=43200"} <= flags
    assert "secure" not in flags


def test_the_session_cookie_when_secure(secure_cookies: None, client: TestClient,
                                        session: Session, keys: dict[str, str]) -> None:
    cookie = _sign_in_cookie(client, session, keys)
    assert re.match(r"__Host-cna_session=[A-Za-z0-9_-]{43};", cookie)
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/", "samesite=lax", "secure"} <= flags
    assert not any(f.startswith("domain=") for f in flags)


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
        client: TestClient, session: Session, keys: dict[str, str]) -> None:
    csrf = person(client, session, keys["secretariat"], "sec@example.org", "secretariat")
    body = {"email": "new@example.org", "display_name": "New", "role": "secretariat"}
    for headers in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": csrf[:-1]}):
        refused = client.post("/v1/accounts", json=body, headers=headers)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert "X-CSRF-Token" in refused.json()["detail"]
    assert client.delete("/v1/sessions/current").status_code == 403
    assert session.execute(text("select count(*) from accounts")).scalar_one() == 1
    assert session.execute(text("select count(*) from mail_outbox")).scalar_one() == 1
    made = client.post("/v1/accounts", json=body, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    assert session.execute(text("select actor from account_events where action = 'invited' "
                                "order by id desc limit 1")).scalar_one() == \
        f"account:{client.get('/v1/me').json()['account']['id']}"
    # A key needs no CSRF token, and a cookie beside it is not what authenticates.
    assert client.post("/v1/accounts", headers=auth(keys["secretariat"]),
                       json={**body, "email": "other@example.org"}).status_code == 201


def test_withdrawing_an_officials_authority_ends_their_session_at_once(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    person(client, session, keys["secretariat"], "off@example.org", "official",
           authority_ids=[str(bra.id)])
    assert client.get("/v1/me").json()["kind"] == "session"
    withdrawn = client.post(f"/v1/authorities/{bra.id}/withdraw",
                            headers=auth(keys["secretariat"]), json={"reason": "merged"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert client.get("/v1/me").json()["kind"] == "anonymous"
    session.expire_all()
    row = session.scalars(select(AccountSession)).one()
    assert row.ended_at is not None and row.end_reason == "account no longer allowed"
    again = client.post("/v1/sessions", json={"email": "off@example.org", "password": PASSWORD})
    assert again.status_code == 401


def test_a_suspended_accounts_session_stops_at_once(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    person(client, session, keys["secretariat"], "off@example.org", "official",
           authority_ids=[str(bra.id)])
    account_id = client.get("/v1/me").json()["account"]["id"]
    suspended = client.patch(f"/v1/accounts/{account_id}", headers=auth(keys["secretariat"]),
                             json={"status": "suspended"})
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    assert client.get("/v1/me").json()["kind"] == "anonymous"
    assert client.post("/v1/sessions", json={"email": "off@example.org",
                                             "password": PASSWORD}).status_code == 401
    event = session.scalars(select(AccountEvent).where(col(AccountEvent.action) == "changed")
                            ).one()
    assert event.changes == {"status": {"before": "active", "after": "suspended"}}
    assert event.actor.startswith("key:")
    back = client.patch(f"/v1/accounts/{account_id}", headers=auth(keys["secretariat"]),
                        json={"status": "active"})
    assert back.status_code == 200
    assert client.post("/v1/sessions", json={"email": "off@example.org",
                                             "password": PASSWORD}).status_code == 201


def test_tokens_never_appear_in_logs_or_error_bodies(
        client: TestClient, session: Session, keys: dict[str, str],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    invite(client, keys["secretariat"], "log@example.org", "secretariat")
    token = invitation_token(session, "log@example.org")
    bodies = [client.post(f"/v1/invitations/{token}/accept", json={"password": "short"}).text,
              client.post(f"/v1/invitations/{token}/accept", json={}).text]
    assert client.post(f"/v1/invitations/{token}/accept",
                       json={"password": PASSWORD}).status_code == 200
    bodies.append(client.post(f"/v1/invitations/{token}/accept",
                              json={"password": PASSWORD}).text)
    signed_in = client.post("/v1/sessions", json={"email": "log@example.org",
                                                  "password": PASSWORD})
    session_token = signed_in.cookies.get("cna_session")
    assert session_token
    bodies.append(client.post("/v1/accounts", json={}).text)  # no CSRF token
    bodies.append(client.post("/v1/sessions", json={"email": "log@example.org",
                                                    "password": "wrong" * 4}).text)
    # The server's own records (the test client's httpx logs the URLs it requests).
    server_logs = "\n".join(caplog.handler.format(r) for r in caplog.records
                            if not r.name.startswith("httpx"))
    assert "/v1/invitations/{token}/accept" in server_logs
    for secret in (token, session_token, PASSWORD, keys["secretariat"]):
        assert secret not in server_logs
        for body in bodies:
            assert secret not in body
    assert "/v1/invitations/{token}/accept" in bodies[0]


def test_accounts_cli_invite_list_suspend(client: TestClient, db_url: str,
                                          session: Session, bra: Any) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    cna = str(Path(sys.executable).with_name("cna"))
    env = {**os.environ, "DATABASE_URL": db_url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([cna, "accounts", *args], capture_output=True, text=True,
                              env=env, timeout=120)

    made = run("invite", "First@Example.org", "--role", "secretariat", "--name", "First")
    assert made.returncode == 0, made.stderr
    official = run("invite", "off@example.org", "--role", "official", "--authority",
                   str(bra.id))
    assert official.returncode == 0, official.stderr
    assert run("invite", "first@example.org", "--role", "secretariat").returncode == 1
    assert run("invite", "x@example.org", "--role", "emperor").returncode == 2
    assert run("invite", "x@example.org", "--role", "network").returncode == 2
    listed = run("list")
    assert "First@example.org" in listed.stdout and "off@example.org" in listed.stdout
    token = invitation_token(session, "First@example.org")
    assert token not in listed.stdout + made.stdout + made.stderr
    assert client.post(f"/v1/invitations/{token}/accept",
                       json={"password": PASSWORD}).status_code == 200
    assert client.post("/v1/sessions", json={"email": "first@example.org",
                                             "password": PASSWORD}).status_code == 201
    assert client.get("/v1/me").json()["role"] == "secretariat"
    assert run("suspend", "FIRST@example.org").returncode == 0
    assert client.get("/v1/me").json()["kind"] == "anonymous"
    assert run("suspend", "nobody@example.org").returncode == 1


def test_a_password_is_rehashed_at_sign_in_when_the_parameters_change(
        client: TestClient, session: Session, keys: dict[str, str], db_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.main import create_app

    invite(client, keys["secretariat"], "re@example.org", "secretariat")
    token = invitation_token(session, "re@example.org")
    client.post(f"/v1/invitations/{token}/accept", json={"password": PASSWORD})
    hashed = "select password_hash from accounts"
    first = session.execute(text(hashed)).scalar_one()
    assert first.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    monkeypatch.setenv("CNA_PASSWORD_TIME_COST", "2")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as changed:
            signed_in = changed.post("/v1/sessions", json={"email": "re@example.org",
                                                           "password": PASSWORD})
    finally:
        monkeypatch.delenv("CNA_PASSWORD_TIME_COST")
        get_settings.cache_clear()
    assert signed_in.status_code == 201
    session.expire_all()
    second = session.execute(text(hashed)).scalar_one()
    assert second.startswith("$argon2id$v=19$m=65536,t=2,p=4$") and second != first
    assert session.execute(text("select changes from account_events order by id desc "
                                "limit 1")).scalar_one() == {"password": "rehashed"}
    assert client.post("/v1/sessions", json={"email": "re@example.org",
                                             "password": PASSWORD}).status_code == 201


@pytest.mark.parametrize(("moved", "reason"), [
    ("last_seen_at = now() - interval '31 minutes'", "idle"),
    ("expires_at = now() - interval '1 second'", "expired"),
])
def test_a_session_ends_when_idle_or_too_old(
        client: TestClient, session: Session, keys: dict[str, str], moved: str,
        reason: str) -> None:
    person(client, session, keys["secretariat"], "idle@example.org", "secretariat")
    assert client.get("/v1/me").json()["kind"] == "session"
    session.execute(text(f"update account_sessions set {moved}"))
    session.commit()
    assert client.get("/v1/me").json()["kind"] == "anonymous"
    assert session.execute(text("select end_reason from account_sessions")).scalar_one() \
        == reason


def test_every_state_changing_operation_documents_the_csrf_refusal(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    missing = [(method, path) for path, operations in schema["paths"].items()
               if path.startswith("/v1/")
               for method, operation in operations.items()
               if method in ("post", "put", "patch", "delete")
               and "403" not in operation["responses"]]
    assert not missing, missing
    assert "403" not in schema["paths"]["/v1/me"]["get"]["responses"]
