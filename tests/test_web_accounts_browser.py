"""The people pages in a real browser (Chromium through Playwright, as in
tests/test_web_browser.py, whose live server and browser fixtures this module shares):
the invitation mail, taken from the Maildir after an in-process ``cna worker`` pass, is
followed to set a password; then signing in shows a record's contacts, and signing out
hides them again.  axe-core (the npm package, installed by ``.ci/run`` into
.cna/node, or given with CNA_AXE_JS) finds no violation on the new pages, in English
and in Arabic (right to left)."""

from __future__ import annotations

import mailbox
import os
import re
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.db import engine as db_engine
from app.mail.sender import MaildirTransport
from app.mail.worker import run_once
from tests.test_web_browser import (  # noqa: F401  (fixtures)
    FRA_OFFICE,
    browser,
    live,
    new_database_module,
    shot,
)

ROOT = Path(__file__).resolve().parents[1]
AXE = Path(os.environ.get("CNA_AXE_JS")
           or ROOT / ".cna" / "node" / "node_modules" / "axe-core" / "axe.min.js")
PASSWORD = "a long and quite unusual passphrase"


@pytest.fixture
def visitor(browser: Browser, live: dict[str, Any]) -> Iterator[Page]:  # noqa: F811
    # bypass_csp: axe is injected as an inline script, which the pages' CSP forbids.
    context = browser.new_context(base_url=live["url"], locale="en-GB", bypass_csp=True,
                                  viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    context.route(re.compile(r"^(?!http://127\.0\.0\.1:).*"), lambda route: route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    if not AXE.exists():
        if os.environ.get("CNA_REQUIRE_BROWSER"):
            raise RuntimeError(f"CNA_REQUIRE_BROWSER is set but axe-core is missing: {AXE}")
        pytest.skip(f"no axe-core at {AXE} (npm install --prefix .cna/node axe-core)")
    page.add_script_tag(content=AXE.read_text("utf-8"))
    result: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.html)}))")
    return result


def invite_by_api(page: Page, email: str, name: str, language: str = "en") -> None:
    with Session(db_engine.get_engine()) as session:
        key, _ = create_key(session, Role.secretariat)
        session.commit()
    response = page.request.post("/v1/accounts", headers={"Authorization": f"Bearer {key}"},
                                 data={"email": email, "display_name": name,
                                       "language": language, "role": "official",
                                       "authority_ids": [FRA_OFFICE]})
    assert response.status == 201, response.text()


def invitation_link(maildir: Path, email: str) -> str:
    """Send the outbox as `cna worker` does, into a Maildir; the link in the mail."""
    run_once(db_engine.get_engine(), transport=MaildirTransport(maildir))
    for message in mailbox.Maildir(maildir, create=False):
        if message["To"] == email:
            text = _plain(message)
            found = re.search(r"https?://\S+/invitations/[A-Za-z0-9_-]+", text)
            assert found, text
            return found.group(0)
    raise AssertionError(f"no mail to {email} in {maildir}")


def _plain(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def test_invitation_mail_to_contacts_and_back(visitor: Page, tmp_path: Path) -> None:
    page = visitor
    invite_by_api(page, "leila@example.org", "Leila Haddad")
    link = invitation_link(tmp_path / "mail", "leila@example.org")
    page.goto("/invitations/" + link.split("/")[-1])  # the mail's host is CNA_PUBLIC_URL
    expect(page.get_by_role("heading", level=1)).to_have_text("Set your password")
    assert axe_violations(page) == []
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Set the password").click()
    expect(page.locator("#password-error")).to_contain_text("at least 12 characters")
    expect(page.get_by_label("New password")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    page.wait_for_url(re.compile(r"/sign-in\?"))
    expect(page.get_by_role("status")).to_contain_text("Your password is set")
    assert axe_violations(page) == []
    shot(page, "20-sign-in")

    page.get_by_label("E-mail address").fill("leila@example.org")
    page.get_by_label("Password").fill("not the right password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_contain_text("not right")
    expect(page.get_by_label("E-mail address")).to_have_value("leila@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")  # submitted from the keyboard
    page.wait_for_url(re.compile(r"/account"))
    expect(page.locator("header .who")).to_contain_text("Leila Haddad · Official")
    expect(page.get_by_role("link", name="My account")).to_be_visible()
    expect(page.locator("table.sessions tbody tr")).to_have_count(1)
    assert axe_violations(page) == []
    shot(page, "21-my-account")

    page.goto(f"/authorities/{FRA_OFFICE}")
    expect(page.locator("article.record")).to_have_attribute("data-view", "full")
    expect(page.locator(".contacts li").first).to_be_visible()
    expect(page.locator(".restricted").first).to_be_visible()
    shot(page, "22-record-signed-in")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/\?lang=en$"))
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto(f"/authorities/{FRA_OFFICE}")
    expect(page.locator("article.record")).to_have_attribute("data-view", "public")
    expect(page.locator(".contacts")).to_have_count(0)
    expect(page.locator(".restricted")).to_have_count(0)

    page.goto("/invitations/" + link.split("/")[-1])  # the link works once
    expect(page.locator("[data-failure=invitation]")).to_contain_text("used already")


def test_the_people_pages_in_arabic_are_right_to_left(visitor: Page, tmp_path: Path) -> None:
    page = visitor
    invite_by_api(page, "samir@example.org", "سمير", language="ar")
    link = invitation_link(tmp_path / "mail", "samir@example.org")
    page.goto("/invitations/" + link.split("/")[-1] + "?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text("عيّن كلمة المرور")
    assert axe_violations(page) == []
    page.get_by_label("كلمة المرور الجديدة").fill(PASSWORD)
    page.get_by_role("button", name="حفظ كلمة المرور").click()
    page.wait_for_url(re.compile(r"/sign-in\?"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert axe_violations(page) == []
    page.get_by_label("عنوان البريد الإلكتروني").fill("samir@example.org")
    page.get_by_label("كلمة المرور", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()
    page.wait_for_url(re.compile(r"/account"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text("حسابي")
    assert axe_violations(page) == []
    shot(page, "23-account-arabic")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")


def test_sign_out_everywhere_ends_the_session_of_another_browser(
        visitor: Page, browser: Browser, live: dict[str, Any],  # noqa: F811
        tmp_path: Path) -> None:
    page = visitor
    invite_by_api(page, "omar@example.org", "Omar Nasser")
    link = invitation_link(tmp_path / "mail", "omar@example.org")
    page.goto("/invitations/" + link.split("/")[-1])
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    page.wait_for_url(re.compile(r"/sign-in\?"))
    other_context = browser.new_context(base_url=live["url"], locale="en-GB")
    other = other_context.new_page()
    try:
        for each in (page, other):
            each.goto("/sign-in")
            each.get_by_label("E-mail address").fill("omar@example.org")
            each.get_by_label("Password").fill(PASSWORD)
            each.get_by_role("button", name="Sign in").click()
            each.wait_for_url(re.compile(r"/account"))
        page.reload()
        expect(page.locator("table.sessions tbody tr")).to_have_count(2)
        assert axe_violations(page) == []
        page.get_by_role("button", name="Sign out everywhere").click()
        page.wait_for_url(re.compile(r"/sign-in"))
        other.goto(f"/authorities/{FRA_OFFICE}")
        expect(other.get_by_role("link", name="Sign in")).to_be_visible()
        expect(other.locator("article.record")).to_have_attribute("data-view", "public")
    finally:
        other_context.close()
