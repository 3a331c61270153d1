"""Password reset by mail: the same answer for any address, a mail only for an account, a
link that works once and for an hour, every session ended, an audit row, a rate limit, and
the token in no log."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.accounts.models import AccountEvent
from app.accounts.throttle import current_time
from app.mail.models import MailMessage
from app.main import create_app
from tests.test_signin_throttle import PASSWORD, START, Clock, active_account

NEW_PASSWORD = "a brand new passphrase here"


@pytest.fixture
def clock(client: TestClient) -> Iterator[Clock]:
    made = Clock()
    client.app.dependency_overrides[current_time] = made  # type: ignore[attr-defined]
    yield made
    client.app.dependency_overrides.pop(current_time, None)  # type: ignore[attr-defined]


def reset_mails(session: Session, email: str) -> list[MailMessage]:
    session.expire_all()
    return list(session.scalars(select(MailMessage)
                                .where(col(MailMessage.recipient) == email)
                                .where(col(MailMessage.template) == "password_reset")
                                .order_by(col(MailMessage.id))))


def link_token(mail: MailMessage) -> str:
    found = re.search(r"http://127\.0\.0\.1:8000/password-reset/([A-Za-z0-9_-]+)\n",
                      mail.body_text)
    assert found, mail.body_text
    assert f"/password-reset/{found.group(1)}" in mail.body_html
    return found.group(1)


def ask(client: TestClient, email: str) -> tuple[int, object]:
    response = client.post("/v1/password-reset", json={"email": email})
    return response.status_code, response.json()


def signed_in(client: TestClient, email: str, password: str = PASSWORD) -> bool:
    response = client.post("/v1/sessions", json={"email": email, "password": password})
    return response.status_code == 201


def test_reset_by_mail_ends_every_session_and_works_once(
        client: TestClient, session: Session, clock: Clock,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    email = "ana@example.org"
    active_account(client, session, email, language="es")
    assert signed_in(client, email)
    with TestClient(create_app(), raise_server_exceptions=False) as laptop:
        assert signed_in(laptop, email)
        assert laptop.get("/v1/me").json()["kind"] == "session"
        client.cookies.clear()  # asking needs no session

        assert ask(client, email) == (202, {"detail": "if an account has this e-mail address, "
                                                      "a mail with a link to choose a new "
                                                      "password is on its way"})
        [mail] = reset_mails(session, email)
        assert mail.language == "es" and "60 minutos" in mail.body_text
        assert mail.cause and mail.cause.startswith("password_reset:")
        token = link_token(mail)

        weak = client.post(f"/v1/password-reset/{token}", json={"password": "short"})
        assert weak.status_code == 422
        assert weak.json()["errors"][0]["pointer"] == "/body/password"
        done = client.post(f"/v1/password-reset/{token}", json={"password": NEW_PASSWORD})
        assert done.status_code == 204, done.text
        assert laptop.get("/v1/me").json()["kind"] == "anonymous"  # its session ended

    again = client.post(f"/v1/password-reset/{token}", json={"password": "yet another one!"})
    assert again.status_code == 410
    assert token not in again.text
    assert not signed_in(client, email)
    assert signed_in(client, email, NEW_PASSWORD)

    session.expire_all()
    ended = session.execute(text("select end_reason from account_sessions "
                                 "where end_reason is not null")).scalars().all()
    assert ended == ["password reset", "password reset"]
    event = session.scalars(select(AccountEvent)
                            .where(col(AccountEvent.action) == "password_reset")).one()
    assert event.changes["password"] == "reset" and event.client_address == "testclient"
    stored = session.execute(text("select token_digest from password_resets")).scalar_one()
    assert stored != token and token not in stored
    logs = "\n".join(caplog.handler.format(r) for r in caplog.records)
    assert token not in logs


def test_the_link_expires_after_an_hour(client: TestClient, session: Session,
                                        clock: Clock) -> None:
    email = "late@example.org"
    active_account(client, session, email)
    assert ask(client, email)[0] == 202
    late = link_token(reset_mails(session, email)[-1])
    assert ask(client, email)[0] == 202
    in_time = link_token(reset_mails(session, email)[-1])

    clock.now = START + timedelta(minutes=60)
    expired = client.post(f"/v1/password-reset/{late}", json={"password": NEW_PASSWORD})
    assert expired.status_code == 410 and "expired" in expired.json()["detail"]
    clock.now = START + timedelta(minutes=59)
    assert client.post(f"/v1/password-reset/{in_time}",
                       json={"password": NEW_PASSWORD}).status_code == 204
    # Using one link uses up the account's other open links.
    clock.now = START + timedelta(minutes=1)
    assert client.post(f"/v1/password-reset/{late}",
                       json={"password": NEW_PASSWORD}).status_code == 410


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
        client: TestClient, session: Session, clock: Clock) -> None:
    active_account(client, session, "known@example.org")
    session.expire_all()
    before = session.execute(text("select count(*) from mail_outbox")).scalar_one()
    answers = [ask(client, email) for email in
               ("known@example.org", "nobody@example.org", "not an address")]
    assert answers[0][0] == 202 and answers[0] == answers[1] == answers[2]
    session.expire_all()
    assert session.execute(text("select count(*) from mail_outbox")).scalar_one() == before + 1
    assert client.post("/v1/password-reset/" + "x" * 43,
                       json={"password": NEW_PASSWORD}).status_code == 404


def test_requests_are_rate_limited_alike_for_known_and_unknown_addresses(
        client: TestClient, session: Session, clock: Clock) -> None:
    active_account(client, session, "known@example.org")
    for email in ("known@example.org", "nobody@example.org"):
        clock.now = START
        for _ in range(3):  # CNA_PASSWORD_RESET_PER_HOUR
            assert ask(client, email)[0] == 202
        clock.now = START + timedelta(minutes=10)
        refused = client.post("/v1/password-reset", json={"email": email})
        assert refused.status_code == 429, refused.text
        assert refused.headers["Retry-After"] == str(50 * 60)
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert len(reset_mails(session, "known@example.org")) == 3
    clock.now = START + timedelta(hours=1)
    assert ask(client, "known@example.org")[0] == 202
