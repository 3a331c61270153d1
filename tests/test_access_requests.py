"""Access requests: anyone asks, the secretariat or the State's focal point decides."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.access_request_models import AccessRequest
from app.accounts.models import Account, AccountEvent
from app.mail.models import MailMessage
from tests.conftest import settings_env
from tests.test_accounts import PASSWORD, auth, invitation_token


def ask(client: TestClient, authority: Any, email: str = "ana@example.org",
        **extra: Any) -> Any:
    return client.post("/v1/access-requests", json={
        "email": email, "name": "Ana Souza", "language": "fr-CA",
        "authority_id": str(authority.id), "position": "Prosecutor",
        "justification": "I send requests for mutual legal assistance.", **extra})


def test_anyone_may_ask_even_when_the_directory_is_private(
        client: TestClient, session: Session, bra: Any, keys: dict[str, str]) -> None:
    with settings_env(CNA_PUBLIC_READ="false"):
        response = ask(client, bra)
        assert client.get("/v1/authorities").status_code == 401
    assert response.status_code == 202, response.text
    listed = client.get("/v1/access-requests", headers=auth(keys["secretariat"])).json()
    assert [(r["email"], r["country"], r["status"]) for r in listed["items"]] == [
        ("ana@example.org", "BRA", "pending")]


def test_the_answer_does_not_tell_whether_the_address_has_an_account(
        client: TestClient, session: Session, bra: Any, keys: dict[str, str]) -> None:
    invited = client.post("/v1/accounts", headers=auth(keys["secretariat"]), json={
        "email": "Known@Example.org", "display_name": "Known", "role": "official",
        "authority_ids": [str(bra.id)]})
    assert invited.status_code == 201, invited.text
    known = ask(client, bra, email="known@example.org")
    unknown = ask(client, bra, email="unknown@example.org")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202
    listed = client.get("/v1/access-requests", headers=auth(keys["secretariat"])).json()
    assert [r["email"] for r in listed["items"]] == ["unknown@example.org"]
    statuses = session.scalars(select(AccessRequest.status).order_by(
        col(AccessRequest.email))).all()
    assert statuses == ["existing_account", "pending"]


def test_each_address_has_a_small_daily_budget_known_or_not(
        client: TestClient, session: Session, bra: Any, keys: dict[str, str]) -> None:
    client.post("/v1/accounts", headers=auth(keys["secretariat"]), json={
        "email": "known@example.org", "display_name": "Known", "role": "official",
        "authority_ids": [str(bra.id)]})
    with settings_env(CNA_ACCESS_REQUESTS_PER_DAY="2"):
        for email in ("known@example.org", "Unknown@example.org"):
            answers = [ask(client, bra, email=email).status_code for _ in range(3)]
            assert answers == [202, 202, 429], email
        assert ask(client, bra, email="other@example.org").status_code == 202
    limited = ask(client, bra, email="UNKNOWN@example.org")
    assert limited.status_code == 202  # the default budget of 3 is not spent yet
    refused = ask(client, bra, email="unknown@example.org")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "Retry-After" in refused.headers


def test_bad_fields_are_422_at_their_pointer(client: TestClient, bra: Any, fra: Any,
                                            session: Session) -> None:
    cases = [({"email": "not an address"}, "/email"),
             ({"name": "Ana\nSouza"}, "/name"),
             ({"position": "x" * 201}, "/position"),
             ({"justification": "x" * 2001}, "/justification"),
             ({"justification": "nul\x00"}, "/justification"),
             ({"authority_id": "00000000-0000-0000-0000-000000000000"}, "/authority_id"),
             ({"language": "de"}, "/language")]
    for extra, pointer in cases:
        response = ask(client, bra, **extra)
        assert response.status_code == 422, (extra, response.text)
        assert any(e["pointer"].endswith(pointer) for e in response.json()["errors"]), \
            response.json()
    assert session.scalars(select(AccessRequest)).all() == []


def test_a_focal_point_sees_and_approves_its_states_requests_only(
        client: TestClient, session: Session, bra: Any, fra: Any,
        keys: dict[str, str]) -> None:
    ask(client, bra, email="ana@example.org")
    ask(client, fra, email="marie@example.org")
    focal = auth(keys["focal_bra"])
    listed = client.get("/v1/access-requests", headers=focal).json()["items"]
    assert [r["email"] for r in listed] == ["ana@example.org"]
    french = session.scalars(select(AccessRequest).where(
        col(AccessRequest.email) == "marie@example.org")).one()
    assert client.post(f"/v1/access-requests/{french.id}/approve",
                       headers=focal).status_code == 404
    # A focal point approves officials only.
    wider = client.post(f"/v1/access-requests/{listed[0]['id']}/approve", headers=focal,
                        json={"role": "focal_point", "countries": ["BRA"]})
    assert wider.status_code == 403, wider.text
    approved = client.post(f"/v1/access-requests/{listed[0]['id']}/approve", headers=focal)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    again = client.post(f"/v1/access-requests/{listed[0]['id']}/approve", headers=focal)
    assert again.status_code == 409
    session.expire_all()
    account = session.scalars(select(Account).where(
        col(Account.email) == "ana@example.org")).one()
    assert (account.role, account.status, account.authority_ids, account.language) == (
        "official", "invited", [bra.id], "fr-CA")
    actions = session.scalars(select(AccountEvent.action).where(
        col(AccountEvent.account_id) == account.id).order_by(col(AccountEvent.id))).all()
    assert actions == ["invited", "access_request_approved"]
    row = session.get(AccessRequest, listed[0]["id"])
    assert row is not None and row.decided_by and row.decided_by.startswith("key:")
    assert row.decided_at is not None and row.account_id == account.id
    # The invitation mail leads to an account that signs in.
    token = invitation_token(session, "ana@example.org")
    assert client.post(f"/v1/invitations/{token}/accept",
                       json={"password": PASSWORD}).status_code == 200
    assert client.get("/v1/access-requests", headers=focal).json()["items"] == []


def test_the_secretariat_may_approve_another_role(
        client: TestClient, session: Session, bra: Any, keys: dict[str, str]) -> None:
    ask(client, bra)
    row = session.scalars(select(AccessRequest)).one()
    approved = client.post(f"/v1/access-requests/{row.id}/approve",
                           headers=auth(keys["secretariat"]),
                           json={"role": "focal_point", "countries": ["BRA"]})
    assert approved.status_code == 200, approved.text
    account = session.scalars(select(Account)).one()
    assert (account.role, account.countries) == ("focal_point", ["BRA"])


def test_rejection_sends_a_polite_mail_in_the_persons_language(
        client: TestClient, session: Session, bra: Any, keys: dict[str, str]) -> None:
    ask(client, bra, email="ana@example.org", language="es")
    row = session.scalars(select(AccessRequest)).one()
    rejected = client.post(f"/v1/access-requests/{row.id}/reject",
                           headers=auth(keys["focal_bra"]))
    assert rejected.status_code == 200, rejected.text
    assert rejected.json() == {"id": str(row.id), "status": "rejected", "account_id": None}
    session.expire_all()
    mail = session.scalars(select(MailMessage).where(
        col(MailMessage.recipient) == "ana@example.org")).one()
    assert mail.language == "es" and "Lamentamos" in mail.body_text
    assert "Ana Souza" in mail.body_text
    assert mail.cause == f"access_request:{row.id}"
    assert session.scalars(select(Account)).all() == []
    assert client.post(f"/v1/access-requests/{row.id}/reject",
                       headers=auth(keys["secretariat"])).status_code == 409


def test_requests_for_existing_accounts_are_never_shown_nor_decided(
        client: TestClient, session: Session, bra: Any, keys: dict[str, str]) -> None:
    client.post("/v1/accounts", headers=auth(keys["secretariat"]), json={
        "email": "known@example.org", "display_name": "Known", "role": "official",
        "authority_ids": [str(bra.id)]})
    ask(client, bra, email="known@example.org")
    row = session.scalars(select(AccessRequest)).one()
    for action in ("approve", "reject"):
        assert client.post(f"/v1/access-requests/{row.id}/{action}",
                           headers=auth(keys["secretariat"])).status_code == 404
