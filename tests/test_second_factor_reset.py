"""The secretariat resets a person's lost second factor (API and CLI), and a person
replaces their recovery codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import Account, AccountEvent, AccountSession
from app.accounts.totp_models import AccountTotp, RecoveryCode
from app.mail.models import MailMessage
from tests.test_accounts import PASSWORD, auth, person

CSRF = "X-CSRF-Token"


def _account(session: Session, email: str) -> Account:
    session.expire_all()
    return session.scalars(select(Account).where(col(Account.email) == email)).one()


def _events(session: Session, account: Account) -> list[AccountEvent]:
    return list(session.scalars(select(AccountEvent)
                                .where(col(AccountEvent.account_id) == account.id)
                                .order_by(col(AccountEvent.id))).all())


def _mails(session: Session, email: str, template: str) -> list[MailMessage]:
    return list(session.scalars(select(MailMessage)
                                .where(col(MailMessage.recipient) == email)
                                .where(col(MailMessage.template) == template)).all())


def _sign_in(client: TestClient, email: str, code: str | None = None) -> Any:
    body = {"email": email, "password": PASSWORD, **({"totp": code} if code else {})}
    return client.post("/v1/sessions", json=body)


def test_the_secretariat_resets_a_lost_second_factor(
        client: TestClient, session: Session, keys: dict[str, str]) -> None:
    person(client, session, keys["secretariat"], "fp@example.org", "focal_point",
           countries=["BRA"])
    assert client.get("/v1/me").json()["kind"] == "session"
    account = _account(session, "fp@example.org")
    assert session.get(AccountTotp, account.id) is not None

    reset = client.post(f"/v1/accounts/{account.id}/second-factor/reset",
                        headers=auth(keys["secretariat"]))
    assert reset.status_code == 204, reset.text

    assert client.get("/v1/me").json()["kind"] == "anonymous"  # the session ended
    session.expire_all()
    assert session.get(AccountTotp, account.id) is None
    assert session.scalars(select(RecoveryCode).where(
        col(RecoveryCode.account_id) == account.id)).all() == []
    assert all(s.ended_at is not None for s in session.scalars(
        select(AccountSession).where(col(AccountSession.account_id) == account.id)))
    event = _events(session, account)[-1]
    assert event.action == "second_factor_reset"
    assert event.actor.startswith("key:")
    assert event.changes == {"totp": {"before": "enrolled", "after": None}}
    mails = _mails(session, "fp@example.org", "second_factor_reset")
    assert len(mails) == 1 and mails[0].cause == f"account_event:{event.id}"
    assert mails[0].language == "fr"  # the person's language
    assert "second facteur" in mails[0].body_text and "/sign-in" in mails[0].body_text

    # The password alone signs in again, to a session limited to enrolling.
    again = _sign_in(client, "fp@example.org")
    assert again.status_code == 201, again.text
    assert again.json()["second_factor"] == "enrolment_required"
    csrf = again.json()["csrf_token"]
    assert client.get("/v1/accounts").status_code == 403
    secret = client.post("/v1/me/totp", headers={CSRF: csrf}).json()["secret"]
    confirmed = client.post("/v1/me/totp/confirm", headers={CSRF: csrf},
                            json={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, confirmed.text
    assert client.get("/v1/accounts").status_code == 200


def test_an_official_whose_factor_was_reset_enrols_again_at_the_next_sign_in(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    csrf = person(client, session, keys["secretariat"], "off@example.org", "official",
                  authority_ids=[str(bra.id)])
    secret = client.post("/v1/me/totp", headers={CSRF: csrf}).json()["secret"]
    assert client.post("/v1/me/totp/confirm", headers={CSRF: csrf},
                       json={"code": pyotp.TOTP(secret).now()}).status_code == 200
    account = _account(session, "off@example.org")
    assert client.post(f"/v1/accounts/{account.id}/second-factor/reset",
                       headers=auth(keys["secretariat"])).status_code == 204
    again = _sign_in(client, "off@example.org")
    assert again.status_code == 201
    assert again.json()["second_factor"] == "enrolment_required"
    assert client.get("/v1/me/keys").status_code == 403  # only enrolment until then


def test_a_focal_point_may_not_reset_a_second_factor(
        client: TestClient, session: Session, keys: dict[str, str], bra: Any) -> None:
    csrf = person(client, session, keys["secretariat"], "off@example.org", "official",
                  authority_ids=[str(bra.id)])
    secret = client.post("/v1/me/totp", headers={CSRF: csrf}).json()["secret"]
    assert client.post("/v1/me/totp/confirm", headers={CSRF: csrf},
                       json={"code": pyotp.TOTP(secret).now()}).status_code == 200
    account = _account(session, "off@example.org")
    before = len(_events(session, account))

    refused = client.post(f"/v1/accounts/{account.id}/second-factor/reset",
                          headers=auth(keys["focal_bra"]))
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/me").json()["kind"] == "session"  # nothing changed
    session.expire_all()
    assert session.get(AccountTotp, account.id) is not None
    assert len(_events(session, account)) == before
    assert _mails(session, "off@example.org", "second_factor_reset") == []
    missing = client.post("/v1/accounts/00000000-0000-4000-8000-000000000000/second-factor"
                          "/reset", headers=auth(keys["secretariat"]))
    assert missing.status_code == 404


def test_replacing_the_recovery_codes(client: TestClient, session: Session,
                                      keys: dict[str, str], bra: Any) -> None:
    csrf = person(client, session, keys["secretariat"], "off@example.org", "official",
                  authority_ids=[str(bra.id)])
    secret = client.post("/v1/me/totp", headers={CSRF: csrf}).json()["secret"]
    old = client.post("/v1/me/totp/confirm", headers={CSRF: csrf},
                      json={"code": pyotp.TOTP(secret).now()}).json()["recovery_codes"]
    wrong = client.post("/v1/me/totp/recovery-codes", headers={CSRF: csrf},
                        json={"code": "not-a-code"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["loc"] == ["body", "code"]
    replaced = client.post("/v1/me/totp/recovery-codes", headers={CSRF: csrf},
                           json={"code": old[0]})
    assert replaced.status_code == 200, replaced.text
    new = replaced.json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert replaced.headers["cache-control"] == "no-store"
    client.cookies.clear()
    assert _sign_in(client, "off@example.org", old[1]).status_code == 401
    assert _sign_in(client, "off@example.org", new[0]).status_code == 201
    assert [e.action for e in _events(session, _account(session, "off@example.org"))
            ][-3:] == ["recovery_code_used", "recovery_codes_replaced", "recovery_code_used"]


def test_reset_second_factor_cli(client: TestClient, session: Session, db_url: str,
                                 keys: dict[str, str]) -> None:
    person(client, session, keys["secretariat"], "sec@example.org", "secretariat")
    cna = str(Path(sys.executable).with_name("cna"))
    env = {**os.environ, "DATABASE_URL": db_url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([cna, "accounts", *args], capture_output=True, text=True,
                              env=env, timeout=120)

    assert "reset-second-factor" in run("--help").stdout
    assert "enrol again" in run("reset-second-factor", "--help").stdout
    done = run("reset-second-factor", "SEC@example.org")
    assert done.returncode == 0, done.stderr
    assert client.get("/v1/me").json()["kind"] == "anonymous"
    account = _account(session, "sec@example.org")
    assert session.get(AccountTotp, account.id) is None
    assert _events(session, account)[-1].actor == "cli"
    assert len(_mails(session, "sec@example.org", "second_factor_reset")) == 1
    assert run("reset-second-factor", "nobody@example.org").returncode == 1


@pytest.mark.parametrize("language", ["ar", "zh", "en", "fr", "ru", "es"])
def test_the_reset_mail_is_written_in_six_languages(language: str) -> None:
    from app.core.settings import get_settings
    from app.mail.render import MailRenderer

    rendered = MailRenderer(get_settings()).render("second_factor_reset", language,
                                                   {"name": "Ana", "path": "/sign-in"})
    assert rendered.language == language
    assert "Ana" in rendered.text and "/sign-in" in rendered.html
    english = MailRenderer(get_settings()).render("second_factor_reset", "en",
                                                  {"name": "Ana", "path": "/sign-in"})
    assert (rendered.subject == english.subject) == (language == "en")
