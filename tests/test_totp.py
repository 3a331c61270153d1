"""The second factor: TOTP enrolment, sign-in with a code, recovery codes, and the
session limited to enrolment for the roles that require it."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.access.policy import ROUTE_RULES
from app.access.principal import Role
from app.access.service import create_key
from app.accounts import totp
from app.accounts.models import Account, AccountEvent
from app.accounts.totp_models import AccountTotp
from app.accounts.totp_router import clock
from app.core.problems import Problem
from tests.test_accounts import PASSWORD, auth, invitation_token, invite

CSRF = "X-CSRF-Token"


@pytest.fixture
def key(session: Session) -> str:
    made = create_key(session, Role.secretariat)[0]
    session.commit()
    return made


def _accepted(client: TestClient, session: Session, key: str, email: str, role: str,
              **scope: Any) -> None:
    assert invite(client, key, email, role, **scope).status_code == 201
    token = invitation_token(session, email)
    assert client.post(f"/v1/invitations/{token}/accept",
                       json={"password": PASSWORD}).status_code == 200


def _sign_in(client: TestClient, email: str, code: str | None = None) -> Any:
    body = {"email": email, "password": PASSWORD}
    if code is not None:
        body["totp"] = code
    return client.post("/v1/sessions", json=body)


def _enrol(client: TestClient, csrf: str, at: datetime) -> tuple[str, list[str]]:
    """Start and confirm enrolment at the time ``at``; the secret and recovery codes."""
    started = client.post("/v1/me/totp", headers={CSRF: csrf})
    assert started.status_code == 201, started.text
    secret = started.json()["secret"]
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/")
    assert started.json()["qr_svg_data_uri"].startswith("data:image/svg+xml")
    client.app.dependency_overrides[clock] = lambda: at  # type: ignore[attr-defined]
    try:
        confirmed = client.post("/v1/me/totp/confirm", headers={CSRF: csrf},
                                json={"code": pyotp.TOTP(secret).at(at)})
    finally:
        client.app.dependency_overrides.pop(clock)  # type: ignore[attr-defined]
    assert confirmed.status_code == 200, confirmed.text
    codes: list[str] = confirmed.json()["recovery_codes"]
    return secret, codes


def _actions(session: Session, email: str) -> list[str]:
    session.expire_all()
    account = session.scalars(select(Account).where(col(Account.email) == email)).one()
    return list(session.scalars(select(AccountEvent.action)
                                .where(col(AccountEvent.account_id) == account.id)
                                .order_by(col(AccountEvent.id))).all())


def test_enrol_confirm_then_sign_in_needs_the_code(client: TestClient, session: Session,
                                                   key: str, bra: Any) -> None:
    _accepted(client, session, key, "off@example.org", "official", authority_ids=[str(bra.id)])
    first = _sign_in(client, "off@example.org")
    assert first.status_code == 201 and first.json()["second_factor"] == "not_enrolled"
    csrf = first.json()["csrf_token"]
    me = client.get("/v1/me").json()
    assert me["second_factor"] == {"enrolled": False, "required": False}
    secret, codes = _enrol(client, csrf, datetime.now(UTC))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/v1/me").json()["second_factor"]["enrolled"] is True

    client.cookies.clear()
    refused = [_sign_in(client, "off@example.org"),
               _sign_in(client, "off@example.org", "000000" if pyotp.TOTP(secret).now()
                        != "000000" else "111111"),
               _sign_in(client, "off@example.org", "not-a-recovery-code")]
    wrong_password = client.post("/v1/sessions", json={"email": "off@example.org",
                                                       "password": "wrong" * 4})
    for response in refused:
        assert response.status_code == 401
        assert response.json() == wrong_password.json()  # which factor failed is not told
    # A code a step after the one used at confirmation (a code works once).
    later = datetime.now(UTC) + timedelta(seconds=30)
    signed_in = _sign_in(client, "off@example.org", pyotp.TOTP(secret).at(later))
    assert signed_in.status_code == 201, signed_in.text
    assert signed_in.json()["second_factor"] == "verified"
    assert client.get("/v1/authorities", headers={}).status_code == 200
    assert _actions(session, "off@example.org")[-2:] == ["totp_enrolment_started",
                                                         "totp_confirmed"]


def test_a_code_works_once_within_its_window(session: Session, bra: Any) -> None:
    """With an injected time: a code is accepted once; the code of an earlier step is
    refused after a later one was used; a code two steps away is refused."""
    account = Account(id=uuid.uuid4(), email="t@example.org", display_name="T",
                      language="en", role="network", countries=["BRA"], status="active")
    session.add(account)
    session.flush()
    enrolment = totp.start_enrolment(session, account, None)
    otp = pyotp.TOTP(enrolment.secret)
    at = datetime(2026, 12, 1, 10, 0, 5, tzinfo=UTC)
    with pytest.raises(Problem) as wrong:
        totp.confirm_enrolment(session, account, otp.at(at - timedelta(seconds=90)), at, None)
    assert wrong.value.status == 422
    totp.confirm_enrolment(session, account, otp.at(at), at, None)

    def check(code: str, now: datetime) -> bool:
        return totp.check_at_sign_in(session, account, code, now, None)

    assert not check(otp.at(at), at)  # used at confirmation
    later = at + timedelta(seconds=30)
    assert check(otp.at(later), later + timedelta(seconds=20))  # drift within the window
    assert not check(otp.at(later), later + timedelta(seconds=25))  # reused
    assert not check(otp.at(at), later)  # an earlier step, after a later one
    far = at + timedelta(minutes=10)
    assert not check(otp.at(far + timedelta(seconds=60)), far)  # two steps ahead
    assert check(otp.at(far), far)
    row = session.get(AccountTotp, account.id)
    assert row is not None and row.last_used_step == otp.timecode(far)


def test_a_recovery_code_works_once(client: TestClient, session: Session, key: str,
                                    bra: Any) -> None:
    _accepted(client, session, key, "rc@example.org", "official", authority_ids=[str(bra.id)])
    csrf = _sign_in(client, "rc@example.org").json()["csrf_token"]
    _, codes = _enrol(client, csrf, datetime.now(UTC))
    client.cookies.clear()
    assert _sign_in(client, "rc@example.org", codes[3].upper()).status_code == 201
    client.cookies.clear()
    again = _sign_in(client, "rc@example.org", codes[3])
    assert again.status_code == 401
    assert _actions(session, "rc@example.org")[-1] == "recovery_code_used"
    stored = session.execute(text("select code_digest from account_recovery_codes")).all()
    assert len(stored) == 10
    assert not any(code.replace("-", "") in repr(stored) for code in codes)


@pytest.mark.parametrize("role,scope", [("secretariat", {}),
                                        ("focal_point", {"countries": ["BRA"]})])
def test_secretariat_and_focal_points_cannot_sign_in_fully_without_totp(
        client: TestClient, session: Session, key: str, role: str,
        scope: dict[str, Any]) -> None:
    email = f"{role}@example.org"
    _accepted(client, session, key, email, role, **scope)
    signed_in = _sign_in(client, email)
    assert signed_in.status_code == 201
    assert signed_in.json()["second_factor"] == "enrolment_required"
    csrf = signed_in.json()["csrf_token"]
    me = client.get("/v1/me").json()
    assert me["kind"] == "session" and me["second_factor"] == {"enrolled": False,
                                                               "required": True}
    # Every other route treats the session as anonymous, or refuses it.
    assert client.get("/v1/accounts").status_code == 403
    refused = client.post("/v1/accounts", headers={CSRF: csrf},
                          json={"email": "x@example.org", "display_name": "X",
                                "role": "official"})
    assert refused.status_code == 403 and "second factor" in refused.json()["detail"]
    assert client.get("/v1/authorities").status_code == 200  # read as anonymous
    open_during_enrolment = {path for path, rule in ROUTE_RULES.items()
                             if rule.during_enrolment}
    assert open_during_enrolment == {("GET", "/v1/me"), ("POST", "/v1/me/totp"),
                                     ("POST", "/v1/me/totp/confirm"),
                                     ("DELETE", "/v1/sessions/current")}
    # A required factor cannot be removed; once enrolled, the session is complete.
    secret, _ = _enrol(client, csrf, datetime.now(UTC))
    assert client.get("/v1/accounts").status_code == 200
    later = datetime.now(UTC) + timedelta(seconds=30)
    client.app.dependency_overrides[clock] = lambda: later  # type: ignore[attr-defined]
    try:
        removed = client.request("DELETE", "/v1/me/totp", headers={CSRF: csrf},
                                 json={"code": pyotp.TOTP(secret).at(later)})
    finally:
        client.app.dependency_overrides.pop(clock)  # type: ignore[attr-defined]
    assert removed.status_code == 403
    client.cookies.clear()
    assert _sign_in(client, email).status_code == 401


def test_an_optional_factor_is_removed_with_a_current_code(
        client: TestClient, session: Session, key: str, bra: Any) -> None:
    _accepted(client, session, key, "opt@example.org", "official",
              authority_ids=[str(bra.id)])
    csrf = _sign_in(client, "opt@example.org").json()["csrf_token"]
    secret, _ = _enrol(client, csrf, datetime.now(UTC))
    later = datetime.now(UTC) + timedelta(seconds=30)
    client.app.dependency_overrides[clock] = lambda: later  # type: ignore[attr-defined]
    try:
        assert client.request("DELETE", "/v1/me/totp", json={"code": "123456"},
                              headers={}).status_code == 403  # no CSRF token
        wrong = client.request("DELETE", "/v1/me/totp", headers={CSRF: csrf},
                               json={"code": "abcdefgh"})
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["pointer"] == "/body/code"
        removed = client.request("DELETE", "/v1/me/totp", headers={CSRF: csrf},
                                 json={"code": pyotp.TOTP(secret).at(later)})
    finally:
        client.app.dependency_overrides.pop(clock)  # type: ignore[attr-defined]
    assert removed.status_code == 204
    assert session.execute(text("select count(*) from account_recovery_codes")).scalar() == 0
    assert _actions(session, "opt@example.org")[-1] == "totp_removed"
    client.cookies.clear()
    assert _sign_in(client, "opt@example.org").status_code == 201


def test_the_secret_is_never_in_logs_or_bodies_after_enrolment(
        client: TestClient, session: Session, key: str, bra: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _accepted(client, session, key, "sec@example.org", "official",
              authority_ids=[str(bra.id)])
    csrf = _sign_in(client, "sec@example.org").json()["csrf_token"]
    started = client.post("/v1/me/totp", headers={CSRF: csrf})
    secret = started.json()["secret"]
    bodies = [client.post("/v1/me/totp/confirm", headers={CSRF: csrf},
                          json={"code": "12345x"}).text]
    confirmed = client.post("/v1/me/totp/confirm", headers={CSRF: csrf},
                            json={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200
    bodies += [confirmed.text, client.get("/v1/me").text,
               client.post("/v1/me/totp", headers={CSRF: csrf}).text,
               client.get("/v1/accounts", headers=auth(key)).text]
    client.cookies.clear()
    bodies.append(_sign_in(client, "sec@example.org", "999999x").text)
    stored = session.execute(text("select secret_encrypted from account_totp")).scalar()
    assert stored and secret not in stored
    events = session.execute(text("select changes::text from account_events")).all()
    server_logs = "\n".join(caplog.handler.format(r) for r in caplog.records
                            if not r.name.startswith("httpx"))
    for haystack in (*bodies, server_logs, repr(events)):
        assert secret not in haystack
        assert secret.lower() not in haystack
