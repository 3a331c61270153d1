"""The second factor and personal keys on the pages, over HTTP: enrolling from the
invitation (required for focal points and the secretariat, offered to others), a person
who must enrol sees and does nothing else, the /account forms (replace the recovery codes,
turn the second factor off, create and revoke a personal key).  The browser tests are in
tests/test_web_factor_browser.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.access.models import ApiKey
from app.accounts.models import Account, AccountEvent, AccountSession
from app.accounts.totp_models import AccountTotp
from app.proposals.models import Proposal
from tests.test_accounts import PASSWORD, auth, invitation_token
from tests.test_web_accounts import csrf_of, secretariat  # noqa: F401  (fixtures)


def _invite(client: TestClient, key: str, email: str, role: str, **scope: Any) -> None:
    response = client.post("/v1/accounts", headers=auth(key), json={
        "email": email, "display_name": "Ana Souza", "role": role, "language": "en",
        **scope})
    assert response.status_code == 201, response.text


def _set_password(client: TestClient, token: str, **extra: str) -> Any:
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200, page.text
    return client.post(f"/invitations/{token}", data={"csrf": csrf_of(page.text),
                                                       "password": PASSWORD, **extra},
                       follow_redirects=False)


def _secret(html: str) -> str:
    found = re.search(r'data-secret="([A-Z2-7]+)"', html)
    assert found, html
    return found.group(1)


def _codes(html: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-7-]+)</code></li>", html)


def _sign_in(client: TestClient, email: str, code: str = "") -> Any:
    page = client.get("/sign-in")
    return client.post("/sign-in", data={"csrf": csrf_of(page.text), "email": email,
                                         "password": PASSWORD, "totp": code,
                                         "next": "/account"}, follow_redirects=False)


def _key_nonce(html: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', html)
    assert found, "the key form carries a one-time nonce"
    return found.group(1)


def _later_code(secret: str, steps: int = 1) -> str:
    """The code of a later time step (the one just used works once)."""
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * steps))


def test_a_focal_point_enrols_right_after_setting_the_password(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:  # noqa: F811
    _invite(client, secretariat, "fp@example.org", "focal_point", countries=["BRA"])
    token = invitation_token(session, "fp@example.org")
    invitation = client.get(f"/invitations/{token}")
    assert 'name="second_factor"' not in invitation.text  # required, not offered
    assert "set up a second factor" in invitation.text

    enrol = _set_password(client, token)
    assert enrol.status_code == 200, enrol.text
    assert "<svg" in enrol.text and 'class="qr" role="img"' in enrol.text
    secret = _secret(enrol.text)
    csrf = csrf_of(enrol.text)
    # Until enrolled: the session is limited (no contacts on a page, no account forms).
    record = client.get(f"/authorities/{bra.id}")
    assert 'data-view="public"' in record.text
    assert client.get("/account", follow_redirects=False).headers["location"].startswith(
        "/account/second-factor")
    assert client.post("/account/profile", data={"csrf": csrf, "display_name": "X",
                                                 "language": "en"}).status_code == 403
    assert client.get("/v1/accounts").status_code == 403

    wrong = client.post("/account/second-factor/confirm",
                        data={"csrf": csrf, "code": "12345", "then": "sign_in"})
    assert wrong.status_code == 422
    assert 'id="code-error"' in wrong.text and 'aria-invalid="true"' in wrong.text
    assert _secret(wrong.text) == secret  # the same enrolment, shown again

    done = client.post("/account/second-factor/confirm",
                       data={"csrf": csrf, "code": pyotp.TOTP(secret).now(),
                             "then": "sign_in"})
    assert done.status_code == 200, done.text
    codes = _codes(done.text)
    assert len(codes) == 10 and 'href="/sign-in?lang=en"' in done.text
    assert done.headers["cache-control"] == "no-store"
    # The short enrolment session has ended: sign in with the password and a code.
    assert client.get("/v1/me").json()["kind"] == "anonymous"
    assert _sign_in(client, "fp@example.org").status_code == 401
    signed_in = _sign_in(client, "fp@example.org", _later_code(secret))
    assert signed_in.status_code == 303
    assert signed_in.headers["location"].startswith("/account")
    assert 'data-view="full"' in client.get(f"/authorities/{bra.id}").text
    account = client.get("/account").text
    assert 'data-second-factor="on"' in account and "Unused recovery codes: 10." in account
    assert "remove-code" not in account  # the role cannot turn it off


def test_an_official_is_offered_the_second_factor_and_may_decline(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:  # noqa: F811
    _invite(client, secretariat, "off@example.org", "official", authority_ids=[str(bra.id)])
    token = invitation_token(session, "off@example.org")
    assert 'name="second_factor"' in client.get(f"/invitations/{token}").text
    declined = _set_password(client, token)
    assert declined.status_code == 303 and "/sign-in" in declined.headers["location"]

    _invite(client, secretariat, "off2@example.org", "official", authority_ids=[str(bra.id)])
    token = invitation_token(session, "off2@example.org")
    taken = _set_password(client, token, second_factor="on")
    assert taken.status_code == 200 and "<svg" in taken.text
    session.expire_all()
    short = session.scalars(select(AccountSession).join(
        Account, col(Account.id) == col(AccountSession.account_id))
        .where(col(Account.email) == "off2@example.org")).one()
    assert short.expires_at - short.created_at <= timedelta(minutes=15)


def test_a_focal_point_signing_in_without_a_factor_is_sent_to_enrol(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:  # noqa: F811
    _invite(client, secretariat, "fp@example.org", "focal_point", countries=["BRA"])
    token = invitation_token(session, "fp@example.org")
    _set_password(client, token)
    client.cookies.clear()  # left before enrolling
    signed_in = _sign_in(client, "fp@example.org")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"].startswith("/account/second-factor")
    page = client.get(signed_in.headers["location"])
    assert page.status_code == 200 and "<svg" in page.text  # the enrolment started before
    csrf = csrf_of(page.text)
    done = client.post("/account/second-factor/confirm",
                       data={"csrf": csrf, "code": pyotp.TOTP(_secret(page.text)).now()})
    assert len(_codes(done.text)) == 10 and 'href="/account?lang=en"' in done.text
    assert 'data-view="full"' in client.get(f"/authorities/{bra.id}").text  # this session


def test_a_focal_point_yet_to_enrol_cannot_post_a_record_form(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:  # noqa: F811
    """The record form's posts follow the same rule as every other form: a person who
    must enrol a second factor first may do nothing else, even with the right token."""
    _invite(client, secretariat, "fp2@example.org", "focal_point", countries=["BRA"])
    _set_password(client, invitation_token(session, "fp2@example.org"))
    client.cookies.clear()
    signed_in = _sign_in(client, "fp2@example.org")
    csrf = csrf_of(client.get(signed_in.headers["location"]).text)
    before = session.scalars(select(Proposal)).all()
    for path in (f"/authorities/{bra.id}/edit", "/authorities/new"):
        refused = client.post(path, data={"csrf": csrf, "reason": "a change",
                                          "nonce": "n-" + path})
        assert refused.status_code == 403, path
        assert "second factor" in refused.json()["detail"]
    session.expire_all()
    assert session.scalars(select(Proposal)).all() == before


def test_replace_codes_and_turn_off_on_my_account(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:  # noqa: F811
    _invite(client, secretariat, "off@example.org", "official", authority_ids=[str(bra.id)])
    _set_password(client, invitation_token(session, "off@example.org"))
    _sign_in(client, "off@example.org")
    account = client.get("/account")
    assert 'data-second-factor="off"' in account.text
    started = client.post("/account/second-factor/start", data={"csrf": csrf_of(account.text)})
    secret = _secret(started.text)
    csrf = csrf_of(started.text)
    codes = _codes(client.post("/account/second-factor/confirm",
                               data={"csrf": csrf, "code": pyotp.TOTP(secret).now()}).text)
    assert len(codes) == 10

    wrong = client.post("/account/second-factor/recovery-codes",
                        data={"csrf": csrf, "code": "000000x"})
    assert wrong.status_code == 422 and 'id="codes-error"' in wrong.text
    replaced = client.post("/account/second-factor/recovery-codes",
                           data={"csrf": csrf, "code": codes[0]})
    new_codes = _codes(replaced.text)
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)

    refused = client.post("/account/second-factor/remove", data={"csrf": csrf,
                                                                 "code": codes[1]})
    assert refused.status_code == 422 and 'id="remove-error"' in refused.text
    removed = client.post("/account/second-factor/remove",
                          data={"csrf": csrf, "code": new_codes[0]}, follow_redirects=False)
    assert removed.status_code == 303 and "factor_removed" in removed.headers["location"]
    session.expire_all()
    account_row = session.scalars(select(Account).where(
        col(Account.email) == "off@example.org")).one()
    assert session.get(AccountTotp, account_row.id) is None
    assert client.post("/account/second-factor/remove",
                       data={"code": new_codes[1]}).status_code == 403  # no CSRF token


def test_a_personal_key_made_on_my_account(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:  # noqa: F811
    _invite(client, secretariat, "off@example.org", "official", authority_ids=[str(bra.id)])
    _set_password(client, invitation_token(session, "off@example.org"))
    _sign_in(client, "off@example.org")
    page = client.get("/account").text
    csrf = csrf_of(page)
    nonce = _key_nonce(page)

    nameless = client.post("/account/keys", data={"csrf": csrf, "nonce": nonce, "name": " ",
                                                  "expires": "2030-01-01"})
    assert nameless.status_code == 422 and 'id="key-name-error"' in nameless.text
    assert 'value="2030-01-01"' in nameless.text  # the form keeps what was typed
    past = client.post("/account/keys", data={"csrf": csrf, "nonce": _key_nonce(nameless.text),
                                              "name": "Script", "expires": "2001-01-01"})
    assert past.status_code == 422 and 'id="key-expires-error"' in past.text
    assert 'value="Script"' in past.text

    form = {"csrf": csrf, "nonce": _key_nonce(past.text), "name": "Case script",
            "expires": "2030-06-30"}
    made = client.post("/account/keys", data=form)
    assert made.status_code == 200, made.text
    key = re.search(r'<code id="new-key"[^>]*>([^<]+)</code>', made.text)
    assert key, made.text
    # The page that showed the key, reloaded (the same form again): no second key.
    reloaded = client.post("/account/keys", data=form)
    assert reloaded.status_code == 200 and 'id="new-key"' not in reloaded.text
    assert "That form was already sent" in reloaded.text
    assert len(session.scalars(select(ApiKey).where(col(ApiKey.label) == "Case script")).all()) == 1
    again = client.get("/account").text
    assert key.group(1) not in again  # shown once
    assert "Case script" in again and "2030-06-30" in again and "Never" in again

    for language_link in ("/account/keys?lang=fr", "/account/second-factor/start?lang=fr"):
        followed = client.get(language_link, follow_redirects=False)
        assert followed.status_code == 303 and "lang=fr" in followed.headers["location"]

    client.cookies.clear()
    me = client.get("/v1/me", headers=auth(key.group(1))).json()
    assert me["kind"] == "key" and me["role"] == "official"
    events = session.scalars(select(AccountEvent.action).join(
        Account, col(Account.id) == col(AccountEvent.account_id))
        .where(col(Account.email) == "off@example.org")).all()
    assert "personal_key_created" in events

    _sign_in(client, "off@example.org")
    prefix = me["key_prefix"]
    revoked = client.post(f"/account/keys/{prefix}/revoke",
                          data={"csrf": csrf_of(client.get("/account").text)},
                          follow_redirects=False)
    assert revoked.status_code == 303 and "key_revoked" in revoked.headers["location"]
    client.cookies.clear()
    assert client.get("/v1/me", headers=auth(key.group(1))).status_code == 401


def test_a_person_who_must_enrol_may_still_sign_out(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:  # noqa: F811
    _invite(client, secretariat, "sec@example.org", "secretariat")
    enrol = _set_password(client, invitation_token(session, "sec@example.org"))
    assert client.get("/v1/me").json()["kind"] == "session"
    signed_out = client.post("/sign-out", data={"csrf": csrf_of(enrol.text)},
                             follow_redirects=False)
    assert signed_out.status_code == 303
    assert client.get("/v1/me").json()["kind"] == "anonymous"


def test_a_focal_points_key_covers_at_most_its_countries(
        client: TestClient, session: Session, secretariat: str) -> None:  # noqa: F811
    from tests.test_accounts import person

    csrf = person(client, session, secretariat, "fp@example.org", "focal_point",
                  countries=["BRA", "ARG"])
    page = client.get("/account")
    assert 'id="key-countries"' in page.text and "ARG, BRA" in page.text
    wider = client.post("/account/keys", data={"csrf": csrf, "name": "K",
                                               "nonce": _key_nonce(page.text),
                                               "countries": "BRA, FRA"})
    assert wider.status_code == 403 and 'id="key-countries-error"' in wider.text
    assert 'value="BRA, FRA"' in wider.text
    unknown = client.post("/account/keys", data={"csrf": csrf, "name": "K",
                                                 "nonce": _key_nonce(wider.text),
                                                 "countries": "ZZZ"})
    assert unknown.status_code == 422 and 'id="key-countries-error"' in unknown.text
    made = client.post("/account/keys", data={"csrf": csrf, "name": "K", "countries": "bra",
                                              "nonce": _key_nonce(unknown.text)})
    assert made.status_code == 200, made.text
    key = re.search(r'<code id="new-key"[^>]*>([^<]+)</code>', made.text)
    assert key
    client.cookies.clear()
    assert client.get("/v1/me", headers=auth(key.group(1))).json()["countries"] == ["BRA"]
