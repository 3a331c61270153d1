"""The people pages over HTTP: sign in and out with forms, invitations, my account, and
the CSRF token every state-changing form carries (the browser tests are in
tests/test_web_accounts_browser.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.access.principal import Role
from app.access.service import create_key
from app.accounts.models import Account, AccountEvent, AccountSession
from app.web import i18n
from tests.conftest import settings_env
from tests.test_accounts import PASSWORD, auth, invitation_token

OTHER_PASSWORD = "a different long passphrase"


@pytest.fixture
def secretariat(session: Session) -> str:
    key = create_key(session, Role.secretariat)[0]
    session.commit()
    return key


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def invited(client: TestClient, session: Session, key: str, bra: Any,
            email: str = "ana@example.org") -> str:
    response = client.post("/v1/accounts", headers=auth(key), json={
        "email": email, "display_name": "Ana Souza", "role": "official", "language": "fr",
        "authority_ids": [str(bra.id)]})
    assert response.status_code == 201, response.text
    return invitation_token(session, email)


def accept(client: TestClient, token: str, password: str = PASSWORD) -> Any:
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200, page.text
    return client.post(f"/invitations/{token}", data={"csrf": csrf_of(page.text),
                                                       "password": password},
                       follow_redirects=False)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/sign-in")
    return client.post("/sign-in", data={"csrf": csrf_of(page.text), "email": email,
                                         "password": password, "next": "/account"},
                       follow_redirects=False)


def test_invitation_sign_in_account_and_sign_out_through_the_pages(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    token = invited(client, session, secretariat, bra)
    accepted = accept(client, token)
    assert accepted.status_code == 303 and "/sign-in" in accepted.headers["location"]
    signed_in = sign_in(client, "ANA@example.org")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"].startswith("/account")
    account = client.get("/account")
    assert account.status_code == 200
    assert "Ana Souza" in account.text and "Sign out" in account.text
    assert 'data-role="official"' in account.text
    record = client.get(f"/authorities/{bra.id}")
    assert 'data-view="full"' in record.text and "Duty officer" in record.text

    out = client.post("/sign-out", data={"csrf": csrf_of(account.text)},
                      follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/v1/me").json()["kind"] == "anonymous"
    assert "Duty officer" not in client.get(f"/authorities/{bra.id}").text
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_a_wrong_password_keeps_the_email_and_says_so_beside_the_field(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    accept(client, invited(client, session, secretariat, bra))
    refused = sign_in(client, "ana@example.org", "not the password at all")
    assert refused.status_code == 401
    assert 'value="ana@example.org"' in refused.text
    assert 'id="sign-in-error"' in refused.text and 'aria-invalid="true"' in refused.text
    unknown = sign_in(client, "nobody@example.org", "not the password at all")
    assert unknown.status_code == 401
    assert (re.sub(r'value="[^"]*"', "", unknown.text)
            == re.sub(r'value="[^"]*"', "", refused.text))


@pytest.mark.parametrize("lang", i18n.UI_LANGUAGES)
def test_the_people_pages_in_each_language(client: TestClient, lang: str) -> None:
    page = client.get(f"/sign-in?lang={lang}")
    assert page.status_code == 200
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in page.text
    assert i18n.strings(lang)["sign_in"] in page.text
    assert i18n.strings(lang)["email_address"] in page.text


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    token = invited(client, session, secretariat, bra)
    client.get(f"/invitations/{token}")  # the form cookie, but no token in the form
    refused = client.post(f"/invitations/{token}", data={"password": PASSWORD})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    wrong = client.post(f"/invitations/{token}", data={"password": PASSWORD,
                                                       "csrf": "0" * 64})
    assert wrong.status_code == 403
    session.expire_all()
    assert session.scalars(select(Account)).one().status == "invited"

    accept(client, token)
    page = client.get("/sign-in")
    csrf = csrf_of(page.text)
    client.cookies.clear()  # a cross-site POST: no form cookie
    assert client.post("/sign-in", data={"csrf": csrf, "email": "ana@example.org",
                                         "password": PASSWORD}).status_code == 403
    assert session.scalars(select(AccountSession)).all() == []

    assert sign_in(client, "ana@example.org").status_code == 303
    before = session.scalars(select(AccountEvent)).all()
    for path, data in [("/account/profile", {"display_name": "Mallory", "language": "en"}),
                       ("/account/password", {"current_password": PASSWORD,
                                              "new_password": OTHER_PASSWORD}),
                       ("/sign-out", {})]:
        assert client.post(path, data=data).status_code == 403, path
        assert client.post(path, data={**data, "csrf": "x"}).status_code == 403, path
    session.expire_all()
    assert session.scalars(select(AccountEvent)).all() == before
    assert session.scalars(select(Account)).one().display_name == "Ana Souza"
    assert client.get("/v1/me").json()["kind"] == "session"


@pytest.mark.parametrize("state", ["unknown", "used", "expired"])
def test_a_bad_invitation_link_is_a_page_that_says_why(
        client: TestClient, session: Session, secretariat: str, bra: Any, state: str) -> None:
    token = invited(client, session, secretariat, bra)
    if state == "unknown":
        token = "A" * 43
    elif state == "used":
        accept(client, token)
    else:
        from sqlalchemy import text
        session.execute(text("update invitations set expires_at = now() - interval '1 s'"))
        session.commit()
    page = client.get(f"/invitations/{token}?lang=fr")
    expected = {"unknown": (404, "invitation_invalid"), "used": (410, "invitation_used"),
                "expired": (410, "invitation_expired")}[state]
    assert page.status_code == expected[0]
    assert i18n.strings("fr")[expected[1]] in page.text
    assert 'name="password"' not in page.text


def test_a_short_or_common_password_is_refused_beside_the_field(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    token = invited(client, session, secretariat, bra)
    short = accept(client, token, "too short")
    assert short.status_code == 422
    assert 'id="password-error"' in short.text
    assert i18n.strings("en")["password_too_short"] in short.text
    common = accept(client, token, "password1234")
    assert common.status_code == 422
    assert i18n.strings("en")["password_common"] in common.text
    assert accept(client, token).status_code == 303


def test_my_account_changes_name_language_and_password(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    accept(client, invited(client, session, secretariat, bra))
    sign_in(client, "ana@example.org")
    other = TestClient(client.app)
    assert sign_in(other, "ana@example.org").status_code == 303
    page = client.get("/account")
    assert page.text.count("<tr") == 3  # the head and two sessions
    csrf = csrf_of(page.text)
    blank = client.post("/account/profile", data={"csrf": csrf, "display_name": "\t",
                                                  "language": "es"})
    assert blank.status_code == 422 and 'id="profile-error"' in blank.text
    saved = client.post("/account/profile", data={"csrf": csrf, "display_name": "Ana S.",
                                                  "language": "es"}, follow_redirects=False)
    assert saved.status_code == 303
    wrong = client.post("/account/password", data={
        "csrf": csrf, "current_password": "nope", "new_password": OTHER_PASSWORD})
    assert wrong.status_code == 422 and 'id="current-error"' in wrong.text
    changed = client.post("/account/password", data={
        "csrf": csrf, "current_password": PASSWORD, "new_password": OTHER_PASSWORD},
        follow_redirects=False)
    assert changed.status_code == 303
    assert other.get("/v1/me").json()["kind"] == "anonymous"  # the other session ended
    assert client.get("/v1/me").json()["kind"] == "session"
    session.expire_all()
    account = session.scalars(select(Account)).one()
    assert (account.display_name, account.language) == ("Ana S.", "es")
    actions = session.scalars(select(AccountEvent.action).order_by(col(AccountEvent.id))).all()
    assert actions[-2:] == ["profile_changed", "password_changed"]
    assert sign_in(TestClient(client.app), "ana@example.org", OTHER_PASSWORD
                   ).status_code == 303


def test_a_private_directory_asks_to_sign_in_and_opens_to_a_person(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    accept(client, invited(client, session, secretariat, bra))
    with settings_env(CNA_PUBLIC_READ="false"):
        closed = client.get(f"/authorities/{bra.id}")
        assert closed.status_code == 401
        assert i18n.strings("en")["key_needed"] == "Sign in to read this directory."
        assert "Sign in to read this directory." in closed.text
        assert f'href="/sign-in?lang=en&amp;next=/authorities/{bra.id}"' in closed.text
        sign_in(client, "ana@example.org")
        opened = client.get(f"/authorities/{bra.id}")
        assert opened.status_code == 200 and "Duty officer" in opened.text


@pytest.mark.parametrize(("next_page", "expected"), [
    ("/authorities/x?lang=fr", "/authorities/x?lang=fr"), ("/route", "/route?lang=en"),
    ("//evil.example/", "/account?lang=en"), ("https://evil.example/", "/account?lang=en"),
    ("/\\evil.example", "/account?lang=en")])
def test_after_signing_in_only_a_page_of_this_site_is_followed(
        client: TestClient, session: Session, secretariat: str, bra: Any, next_page: str,
        expected: str) -> None:
    accept(client, invited(client, session, secretariat, bra))
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"csrf": csrf_of(page.text),
                                             "email": "ana@example.org",
                                             "password": PASSWORD, "next": next_page},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == expected


def test_sign_out_one_session_or_everywhere_from_my_account(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    accept(client, invited(client, session, secretariat, bra))
    sign_in(client, "ana@example.org")
    laptop, phone = TestClient(client.app), TestClient(client.app)
    sign_in(laptop, "ana@example.org")
    sign_in(phone, "ana@example.org")
    session.expire_all()
    laptop_id = session.scalars(select(AccountSession.id).order_by(
        col(AccountSession.created_at))).all()[1]
    page = client.get("/account")
    assert f"/account/sessions/{laptop_id}/end" in page.text
    csrf = csrf_of(page.text)
    assert client.post(f"/account/sessions/{laptop_id}/end", data={}).status_code == 403
    assert laptop.get("/v1/me").json()["kind"] == "session"
    ended = client.post(f"/account/sessions/{laptop_id}/end", data={"csrf": csrf},
                        follow_redirects=False)
    assert ended.status_code == 303
    assert laptop.get("/v1/me").json()["kind"] == "anonymous"
    assert phone.get("/v1/me").json()["kind"] == "session"
    again = client.post(f"/account/sessions/{laptop_id}/end", data={"csrf": csrf})
    assert again.status_code == 404

    everywhere = client.post("/account/sessions/end-all", data={"csrf": csrf},
                             follow_redirects=False)
    assert everywhere.status_code == 303
    assert phone.get("/v1/me").json()["kind"] == "anonymous"
    assert client.get("/v1/me").json()["kind"] == "anonymous"
    session.expire_all()
    assert all(s.ended_at is not None for s in session.scalars(select(AccountSession)))



def test_the_sign_in_page_takes_the_second_factor_code(
        client: TestClient, session: Session, secretariat: str, bra: Any) -> None:
    """Once a second factor is enrolled, the page signs in only with its code."""
    import pyotp

    from tests.test_totp import _enrol

    accept(client, invited(client, session, secretariat, bra))
    signed_in = client.post("/v1/sessions", json={"email": "ana@example.org",
                                                  "password": PASSWORD})
    assert signed_in.status_code == 201, signed_in.text
    now = datetime.now(UTC)
    secret, _ = _enrol(client, signed_in.json()["csrf_token"], now)
    client.cookies.clear()

    page = client.get("/sign-in")
    assert 'name="totp"' in page.text and 'autocomplete="one-time-code"' in page.text
    without_code = sign_in(client, "ana@example.org")
    assert without_code.status_code == 401
    form = client.get("/sign-in")
    with_code = client.post("/sign-in", data={
        "csrf": csrf_of(form.text), "email": "ana@example.org", "password": PASSWORD,
        "totp": pyotp.TOTP(secret).at(now + timedelta(seconds=30)), "next": "/account"},
        follow_redirects=False)
    assert with_code.status_code == 303, with_code.text
    assert client.get("/v1/me").json()["kind"] == "session"
