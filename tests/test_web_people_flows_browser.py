"""People's flows in a real browser (Chromium through Playwright), on the live server and
with the helpers of tests/test_web_browser.py and tests/test_web_accounts_browser.py:

- a visitor requests an account, picking the authority with the directory's search; the
  focal point of that State (signed in, second factor enrolled with the code pyotp
  computes) approves it on /access-requests; the invitation mail (from the Maildir after
  a worker pass) leads to a password, signing in, and a record's contacts;
- wrong passwords are delayed (the page says wait), then the address is locked and the
  owner gets a mail;
- a password reset by mail: the old password fails, another open session has ended;
- a session idle longer than CNA_SESSION_IDLE_MINUTES is signed out;
- axe-core finds no violation on the new pages in English and Arabic (right to left);
- with JavaScript, the authority choices follow the search box as the visitor types.
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.accounts import throttle
from app.db import engine as db_engine
from app.mail.sender import MaildirTransport
from app.mail.worker import run_once
from app.web import i18n
from tests.conftest import settings_env
from tests.test_web_accounts_browser import (  # noqa: F401  (fixtures)
    PASSWORD,
    _plain,
    axe_violations,
    invitation_link,
    invite_by_api,
    visitor,
)
from tests.test_web_browser import (  # noqa: F401  (fixtures)
    FRA_OFFICE,
    browser,
    live,
    new_database_module,
    shot,
)

NEW_PASSWORD = "another long and unusual passphrase"
EN = i18n.strings("en")
AR = i18n.strings("ar")


def mail_link(maildir: Path, email: str, path: str) -> str:
    """Send the outbox as `cna worker` does; the path of the link to ``path`` in the last
    mail to ``email`` that has one (the mail's host is CNA_PUBLIC_URL)."""
    run_once(db_engine.get_engine(), transport=MaildirTransport(maildir))
    found: list[str] = []
    for message in mailbox.Maildir(maildir, create=False):
        if message["To"] == email:
            found += re.findall(rf"https?://[^/\s]+({re.escape(path)}[A-Za-z0-9_/-]*)",
                                _plain(message))
    assert found, f"no mail to {email} with a link to {path}"
    return found[-1]


def active_account(page: Page, maildir: Path, email: str, name: str) -> None:
    """An official of FRA_OFFICE with PASSWORD (invited, invitation accepted, by the API)."""
    invite_by_api(page, email, name)
    token = invitation_link(maildir, email).split("/")[-1]
    accepted = page.request.post(f"/v1/invitations/{token}/accept",
                                 data={"password": PASSWORD})
    assert accepted.status == 200, accepted.text()


def sign_in(page: Page, email: str, password: str = PASSWORD, lang: str = "en") -> None:
    page.goto(f"/sign-in?lang={lang}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("form.person-form button[type=submit]").click()


def enrolled_focal_point(page: Page, maildir: Path, email: str, country: str) -> None:
    """A focal point of ``country``, signed in on ``page`` with its second factor
    enrolled through the API (pyotp computes the code from the secret it returns)."""
    with Session(db_engine.get_engine()) as session:
        key, _ = create_key(session, Role.secretariat)
        session.commit()
    invited = page.request.post("/v1/accounts", headers={"Authorization": f"Bearer {key}"},
                                data={"email": email, "display_name": "Claire Martin",
                                      "role": "focal_point", "countries": [country]})
    assert invited.status == 201, invited.text()
    token = invitation_link(maildir, email).split("/")[-1]
    assert page.request.post(f"/v1/invitations/{token}/accept",
                             data={"password": PASSWORD}).status == 200
    sign_in(page, email)
    page.wait_for_url(re.compile(r"/account"))
    csrf = page.request.get("/v1/me").json()["csrf_token"]
    started = page.request.post("/v1/me/totp", headers={"X-CSRF-Token": csrf})
    assert started.status == 201, started.text()
    code = pyotp.TOTP(started.json()["secret"]).now()
    confirmed = page.request.post("/v1/me/totp/confirm", headers={"X-CSRF-Token": csrf},
                                  data={"code": code})
    assert confirmed.status == 200, confirmed.text()


@pytest.fixture
def decider(browser: Browser, live: dict[str, Any]) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(base_url=live["url"], locale="en-GB", bypass_csp=True)
    context.set_default_timeout(15_000)
    context.route(re.compile(r"^(?!http://127\.0\.0\.1:).*"), lambda route: route.abort())
    yield context.new_page()
    context.close()


def test_request_an_account_approved_by_the_focal_point_then_contacts(
        visitor: Page, decider: Page, tmp_path: Path) -> None:  # noqa: F811
    maildir = tmp_path / "mail"
    page = visitor
    page.goto("/sign-in")
    page.get_by_role("link", name="Request an account").click()
    page.wait_for_url(re.compile(r"/request-access"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Request an account")
    page.get_by_label("Find the authority you work for").fill("BCPI")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=BCPI"))
    assert axe_violations(page) == []
    page.get_by_role("button", name="Send the request").click()  # nothing filled in yet
    expect(page.locator("#authority_id-error")).to_contain_text("Pick the authority")
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.get_by_label("E-mail address")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []
    page.get_by_label(re.compile("International Criminal Cooperation Office")).check()
    page.get_by_label("E-mail address").fill("julie@example.org")
    page.get_by_label("Name", exact=True).fill("Julie Bernard")
    page.get_by_label("Position").fill("Magistrate")
    page.get_by_label("Why you need access").fill("I prepare requests for assistance.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    shot(page, "30-request-access")

    enrolled_focal_point(decider, maildir, "claire@example.org", "FRA")
    decider.goto("/account")
    decider.get_by_role("link", name="Access requests").click()
    decider.wait_for_url(re.compile(r"/access-requests"))
    item = decider.locator("article.access-request", has_text="julie@example.org")
    expect(item).to_contain_text("International Criminal Cooperation Office")
    expect(item).to_contain_text("Magistrate")
    assert axe_violations(decider) == []
    decider.goto("/access-requests?lang=ar")
    expect(decider.locator("html")).to_have_attribute("dir", "rtl")
    expect(decider.get_by_role("heading", level=1)).to_have_text(AR["requests_title"])
    assert axe_violations(decider) == []
    shot(decider, "31-access-requests-arabic")
    decider.goto("/access-requests?lang=en")
    item.get_by_role("button", name="Approve and invite").click()
    expect(decider.get_by_role("status")).to_contain_text("invitation mail")
    expect(decider.locator("article.access-request", has_text="julie@example.org")
           ).to_have_count(0)

    page.goto(mail_link(maildir, "julie@example.org", "/invitations/"))
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    page.wait_for_url(re.compile(r"/sign-in\?"))
    sign_in(page, "julie@example.org")
    page.wait_for_url(re.compile(r"/account"))
    expect(page.locator("header .who")).to_contain_text("Julie Bernard · Official")
    expect(page.get_by_role("link", name="Access requests")).to_have_count(0)
    page.goto(f"/authorities/{FRA_OFFICE}")
    expect(page.locator("article.record")).to_have_attribute("data-view", "full")
    expect(page.locator(".contacts li").first).to_be_visible()


def test_wrong_passwords_are_delayed_then_locked_with_a_mail_to_the_owner(
        visitor: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    maildir = tmp_path / "mail"
    page = visitor
    active_account(page, maildir, "hugo@example.org", "Hugo Petit")
    clock = [datetime.now(UTC)]
    monkeypatch.setattr(throttle, "current_time", lambda: clock[0])
    with settings_env(CNA_SIGN_IN_FREE_FAILURES="2", CNA_SIGN_IN_LOCK_FAILURES="4"):
        for _ in range(3):  # two free failures, then one that makes the next try wait
            sign_in(page, "hugo@example.org", "not the right password")
            expect(page.locator("#sign-in-error")).to_contain_text("not right")
        sign_in(page, "hugo@example.org", "not the right password")
        expect(page.locator("#sign-in-error")).to_contain_text("Wait a little")
        expect(page.get_by_label("E-mail address")).to_have_value("hugo@example.org")
        clock[0] += timedelta(seconds=3)  # the wait is over: the fourth failure locks
        sign_in(page, "hugo@example.org", "not the right password")
        expect(page.locator("#sign-in-error")).to_contain_text("not right")
        clock[0] += timedelta(seconds=60)
        sign_in(page, "hugo@example.org")  # locked: even the right password waits
        expect(page.locator("#sign-in-error")).to_contain_text("Wait a little")
        shot(page, "32-sign-in-locked")
    assert mail_link(maildir, "hugo@example.org", "/password-reset") == "/password-reset"


def test_reset_by_mail_ends_the_other_session_and_the_old_password(
        visitor: Page, browser: Browser, live: dict[str, Any],  # noqa: F811
        tmp_path: Path) -> None:
    maildir = tmp_path / "mail"
    page = visitor
    active_account(page, maildir, "ines@example.org", "Inès Moreau")
    other_context = browser.new_context(base_url=live["url"], locale="en-GB")
    other = other_context.new_page()
    try:
        sign_in(other, "ines@example.org")
        other.wait_for_url(re.compile(r"/account"))

        page.goto("/sign-in")
        page.get_by_role("link", name="Forgot your password?").click()
        page.wait_for_url(re.compile(r"/password-reset"))
        assert axe_violations(page) == []
        page.get_by_label("E-mail address").fill("ines@example.org")
        page.get_by_role("button", name="Send the link").click()
        expect(page.get_by_role("status")).to_contain_text("on its way")
        assert axe_violations(page) == []
        shot(page, "33-password-reset")

        page.goto(mail_link(maildir, "ines@example.org", "/password-reset/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
        assert axe_violations(page) == []
        page.get_by_label("New password").fill("short")
        page.get_by_role("button", name="Set the password").click()
        expect(page.locator("#password-error")).to_contain_text("at least 12 characters")
        expect(page.get_by_label("New password")).to_have_attribute("aria-invalid", "true")
        assert axe_violations(page) == []
        page.get_by_label("New password").fill(NEW_PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/sign-in\?"))
        expect(page.get_by_role("status")).to_contain_text("Your password is set")

        sign_in(page, "ines@example.org", PASSWORD)
        expect(page.locator("#sign-in-error")).to_contain_text("not right")
        sign_in(page, "ines@example.org", NEW_PASSWORD)
        page.wait_for_url(re.compile(r"/account"))
        expect(page.locator("header .who")).to_contain_text("Inès Moreau")

        other.goto(f"/authorities/{FRA_OFFICE}")
        expect(other.get_by_role("link", name="Sign in")).to_be_visible()
        expect(other.locator("article.record")).to_have_attribute("data-view", "public")
    finally:
        other_context.close()


def test_an_idle_session_is_signed_out(visitor: Page, tmp_path: Path) -> None:  # noqa: F811
    page = visitor
    active_account(page, tmp_path / "mail", "leo@example.org", "Léo Girard")

    def age_session(by: timedelta) -> None:
        with Session(db_engine.get_engine()) as session:
            session.execute(text(
                "UPDATE account_sessions SET last_seen_at = last_seen_at - :by "
                "FROM accounts WHERE accounts.id = account_sessions.account_id "
                "AND accounts.email = 'leo@example.org'"), {"by": by})
            session.commit()

    with settings_env(CNA_SESSION_IDLE_MINUTES="1"):
        sign_in(page, "leo@example.org")
        page.wait_for_url(re.compile(r"/account"))
        age_session(timedelta(seconds=40))  # within the idle time: still signed in
        page.goto(f"/authorities/{FRA_OFFICE}")
        expect(page.locator("header .who")).to_contain_text("Léo Girard")
        age_session(timedelta(seconds=90))  # longer than a minute without a request
        page.goto(f"/authorities/{FRA_OFFICE}")
        expect(page.get_by_role("link", name="Sign in")).to_be_visible()
        expect(page.locator("article.record")).to_have_attribute("data-view", "public")
        page.goto("/account")
        page.wait_for_url(re.compile(r"/sign-in"))


@pytest.mark.parametrize("path", ["/password-reset", "/password-reset/no-such-link",
                                  "/request-access?q=BCPI"])
def test_the_new_pages_in_arabic_are_right_to_left_and_accessible(
        visitor: Page, path: str) -> None:  # noqa: F811
    page = visitor
    page.goto(path + ("&" if "?" in path else "?") + "lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    assert axe_violations(page) == []
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"


def test_the_reset_link_form_in_arabic(visitor: Page, tmp_path: Path) -> None:  # noqa: F811
    maildir = tmp_path / "mail"
    page = visitor
    active_account(page, maildir, "nour@example.org", "نور")
    page.goto("/password-reset?lang=ar")
    page.get_by_label(AR["email_address"]).fill("nour@example.org")
    page.get_by_role("button", name=AR["reset_send"]).click()
    expect(page.get_by_role("status")).to_have_text(AR["reset_sent"])
    page.goto(mail_link(maildir, "nour@example.org", "/password-reset/") + "?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text(AR["reset_choose_title"])
    assert axe_violations(page) == []
    shot(page, "34-password-reset-arabic")


def test_with_javascript_the_choices_follow_the_search_box(visitor: Page) -> None:  # noqa: F811
    page = visitor
    page.goto("/request-access")
    page.get_by_label("Find the authority you work for").fill("BCPI")  # no Search click
    choice = page.get_by_label(re.compile("International Criminal Cooperation Office"))
    expect(choice).to_be_visible()
    expect(page.locator("#authority-status")).to_contain_text("Authorities found")
    assert "q=" not in page.url
    choice.check()
    page.get_by_label("Find the authority you work for").fill("Bureau")
    expect(page.locator("#authority-q-posted")).to_have_value("Bureau")  # the list followed
    expect(page.locator("input[name=authority_id]:checked")).to_have_value(FRA_OFFICE)
    assert axe_violations(page) == []
    page.get_by_label("E-mail address").fill("not an address")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.locator("input[name=authority_id]:checked")).to_have_value(FRA_OFFICE)
    expect(page.get_by_label("Find the authority you work for")).to_have_value("Bureau")
