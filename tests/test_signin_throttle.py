"""Failed sign-ins: refused with Retry-After after a few, then a temporary lock with a mail
to the owner; an unknown e-mail is answered exactly like a known one; the counts live in
Postgres, so every worker sees them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, col, select

from app.access.principal import Role
from app.access.service import create_key
from app.accounts.throttle import current_time
from app.mail.models import MailMessage
from tests.conftest import settings_env

PASSWORD = "correct horse battery staple"
WRONG = "not the right password"
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(client: TestClient) -> Iterator[Clock]:
    made = Clock()
    client.app.dependency_overrides[current_time] = made  # type: ignore[attr-defined]
    yield made
    client.app.dependency_overrides.pop(current_time, None)  # type: ignore[attr-defined]


def active_account(client: TestClient, session: Session, email: str,
                   language: str = "fr") -> None:
    key = create_key(session, Role.secretariat)[0]
    session.commit()
    invited = client.post("/v1/accounts", headers={"Authorization": f"Bearer {key}"},
                          json={"email": email, "display_name": "Ana Souza",
                                "role": "secretariat", "language": language})
    assert invited.status_code == 201, invited.text
    session.expire_all()
    mail = session.scalars(select(MailMessage).where(col(MailMessage.recipient) == email)
                           ).one()
    found = re.search(r"/invitations/([A-Za-z0-9_-]+)", mail.body_text)
    assert found
    accepted = client.post(f"/v1/invitations/{found.group(1)}/accept",
                           json={"password": PASSWORD})
    assert accepted.status_code == 200, accepted.text


def sign_in(client: TestClient, email: str, password: str = WRONG) -> Any:
    return client.post("/v1/sessions", json={"email": email, "password": password})


def lock_mails(session: Session, email: str) -> list[MailMessage]:
    session.expire_all()
    return list(session.scalars(select(MailMessage)
                                .where(col(MailMessage.recipient) == email)
                                .where(col(MailMessage.template) == "sign_in_locked")))


def test_wrong_passwords_are_refused_with_retry_after_then_locked_with_one_mail(
        client: TestClient, session: Session, clock: Clock) -> None:
    email = "ana@example.org"
    active_account(client, session, email)
    for _ in range(5):  # CNA_SIGN_IN_FREE_FAILURES: no wait yet
        assert sign_in(client, email).status_code == 401
    assert sign_in(client, email).status_code == 401  # the 6th makes the next one wait 2 s
    delays = []
    for failures in range(7, 11):
        refused = sign_in(client, email, PASSWORD)  # even the right password must wait
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["retry_after"] == int(refused.headers["Retry-After"])
        delays.append(int(refused.headers["Retry-After"]))
        clock.advance(delays[-1])
        assert sign_in(client, email).status_code == 401, failures
    assert delays == [2, 4, 8, 16]
    assert lock_mails(session, email) != []

    # The 10th failure (CNA_SIGN_IN_LOCK_FAILURES) locked the account for 15 minutes.
    locked = sign_in(client, email, PASSWORD)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == 15 * 60
    clock.advance(14 * 60)
    assert sign_in(client, email, PASSWORD).status_code == 429
    assert "set-cookie" not in locked.headers

    mails = lock_mails(session, email)
    assert len(mails) == 1, "one mail per lock"
    assert mails[0].language == "fr" and "Bonjour Ana Souza" in mails[0].body_text
    assert "10" in mails[0].body_text and "15 minutes" in mails[0].body_text
    assert "/password-reset" in mails[0].body_text and WRONG not in mails[0].body_text

    clock.advance(60)  # the lock is over
    signed_in = sign_in(client, email, PASSWORD)
    assert signed_in.status_code == 201, signed_in.text
    # A right password starts the address afresh: five free failures again.
    client.cookies.clear()
    for _ in range(6):
        assert sign_in(client, email).status_code == 401
    assert sign_in(client, email).status_code == 429
    assert len(lock_mails(session, email)) == 1


def test_an_unknown_email_gets_the_same_answers_after_the_same_hash_work(
        client: TestClient, session: Session, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    active_account(client, session, "known@example.org")
    calls: list[str] = []
    verify = Argon2Hasher.verify

    def counted(self: Argon2Hasher, *args: Any, **kwargs: Any) -> bool:
        calls.append("verify")
        return verify(self, *args, **kwargs)

    monkeypatch.setattr(Argon2Hasher, "verify", counted)

    def story(email: str) -> list[tuple[int, Any, str | None, int]]:
        clock.now = START
        answers = []
        for _ in range(14):
            calls.clear()
            response = sign_in(client, email)
            answers.append((response.status_code, response.json(),
                            response.headers.get("Retry-After"), len(calls)))
            if response.status_code == 429:
                clock.advance(int(response.headers["Retry-After"]))
        return answers

    with settings_env(CNA_SIGN_IN_ADDRESS_FREE_FAILURES="1000"):
        known = story("known@example.org")
        unknown = story("nobody@example.org")
    assert known == unknown
    assert [a[3] for a in known if a[0] == 401] == [1] * 10  # one hash per counted try
    assert [a[3] for a in known if a[0] == 429] == [0] * 4  # none while refused
    assert len(lock_mails(session, "known@example.org")) == 1
    assert lock_mails(session, "nobody@example.org") == []


def test_one_client_trying_many_addresses_is_made_to_wait(
        client: TestClient, session: Session, clock: Clock) -> None:
    with settings_env(CNA_SIGN_IN_ADDRESS_FREE_FAILURES="3"):
        for number in range(4):
            assert sign_in(client, f"guess{number}@example.org").status_code == 401
        refused = sign_in(client, "guess-new@example.org")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
        clock.advance(2)
        assert sign_in(client, "guess-new@example.org").status_code == 401


def test_the_counts_hold_across_workers(db_url: str, client: TestClient, session: Session,
                                       clock: Clock) -> None:
    """Two applications on the same database (two workers) share the counts."""
    from app.main import create_app

    for _ in range(6):
        assert sign_in(client, "someone@example.org").status_code == 401
    with TestClient(create_app(), raise_server_exceptions=False) as other:
        other.app.dependency_overrides[current_time] = clock  # type: ignore[attr-defined]
        refused = sign_in(other, "someone@example.org")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"


def test_the_sign_in_page_is_throttled_like_the_api(client: TestClient,
                                                     session: Session) -> None:
    """/sign-in counts with POST /v1/sessions: the page cannot be used to go round it."""
    from tests.test_web_accounts import sign_in as sign_in_page

    for _ in range(6):
        assert sign_in(client, "page@example.org").status_code == 401
    refused = sign_in_page(client, "page@example.org", WRONG)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] in ("1", "2")
    assert "Too many attempts" in refused.text  # in the page's language, not the API's detail
    assert "set-cookie" not in refused.headers or "cna_session" not in \
        refused.headers["set-cookie"]
