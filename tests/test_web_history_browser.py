"""The secretariat's back office in Chromium: "restore this version" on a record's
history, /currency with its reminder button, /admin, in English and in Arabic (right to
left), axe-core finding no violation (so none serious or critical); and a reminder digest that
arrives through a real SMTP server on loopback (aiosmtpd) and whose link opens the record.

Shares the live server and browser of tests/test_web_browser.py and the axe helper of
tests/test_web_accounts_browser.py."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.access.principal import Role
from app.access.service import create_key
from app.accounts.models import Account
from app.changes.models import Revision
from app.core.settings import Settings
from app.db import engine as db_engine
from app.mail.worker import run_once as send_mail
from app.reminders.service import send_reminders
from tests.test_accounts import PASSWORD, invitation_token
from tests.test_mail import Inbox, smtp_server  # noqa: F401  (fixture)
from tests.test_web_accounts_browser import axe_violations, visitor  # noqa: F401  (fixture)
from tests.test_web_browser import (  # noqa: F401  (fixtures)
    browser,
    live,
    new_database_module,
    shot,
)

BRA_DEPARTMENT = "a405d9e1"  # the demo's Brazilian department (id prefix)


def serious(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations: none at all is asked for (stricter than none serious or
    critical; the shared helper does not report the impact)."""
    return axe_violations(page)


def _key() -> str:
    with Session(db_engine.get_engine()) as session:
        key, _ = create_key(session, Role.secretariat)
        session.commit()
    return key


def sign_in_secretariat(page: Page, email: str) -> None:
    """Invite, accept, sign in and enrol the second factor through the API, in the
    browser's own cookie jar."""
    key = _key()
    made = page.request.post("/v1/accounts", headers={"Authorization": f"Bearer {key}"},
                             data={"email": email, "display_name": "Sara Secretariat",
                                   "language": "en", "role": "secretariat"})
    assert made.status == 201, made.text()
    with Session(db_engine.get_engine()) as session:
        token = invitation_token(session, email)
    assert page.request.post(f"/v1/invitations/{token}/accept",
                             data={"password": PASSWORD}).status == 200
    signed = page.request.post("/v1/sessions", data={"email": email, "password": PASSWORD})
    assert signed.status == 201, signed.text()
    csrf = signed.json()["csrf_token"]
    secret = page.request.post("/v1/me/totp", headers={"X-CSRF-Token": csrf}).json()["secret"]
    confirmed = page.request.post("/v1/me/totp/confirm", headers={"X-CSRF-Token": csrf},
                                  data={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status == 200, confirmed.text()


def _authority_id(prefix: str) -> str:
    with Session(db_engine.get_engine()) as session:
        ids = [str(r) for r in session.scalars(select(Revision.authority_id).distinct())]
    [found] = [i for i in ids if i.startswith(prefix)]
    return found


def test_restore_this_version_in_english_and_arabic(visitor: Page) -> None:  # noqa: F811
    page = visitor
    sign_in_secretariat(page, "sara@example.org")
    authority_id = _authority_id(BRA_DEPARTMENT)
    current = page.request.get(f"/v1/authorities/{authority_id}")
    changed = page.request.fetch(
        f"/v1/authorities/{authority_id}?reason=typo", method="PATCH",
        headers={"Authorization": f"Bearer {_key()}", "If-Match": current.headers["etag"],
                 "Content-Type": "application/merge-patch+json"},
        data='{"acronym": "WRONG"}')
    assert changed.status == 200, changed.text()

    page.goto(f"/authorities/{authority_id}")
    page.get_by_role("link", name="History of this record").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("History")
    expect(page.locator("li.version")).to_have_count(2)
    newest = page.locator("li.version").first
    expect(newest.locator("table.diff")).to_contain_text("WRONG")
    expect(newest.locator(".reason")).to_contain_text("typo")
    assert serious(page) == []
    shot(page, "30-history")

    first = page.locator("li.version").nth(1)
    first.get_by_role("link", name="Open this version as it was").click()
    expect(page.locator("#as-it-was")).to_contain_text("version 1")
    expect(page.locator("article.record h1")).not_to_contain_text("WRONG")
    assert serious(page) == []
    page.go_back()

    old = page.locator("li.version").nth(1)
    old.get_by_label("Why restore it (optional)").fill("the acronym was right")
    old.get_by_role("button", name="Restore this version").click()
    expect(page.get_by_role("status")).to_contain_text("The version was restored")
    expect(page.locator("li.version")).to_have_count(3)
    expect(page.locator("li.version").first).to_have_attribute("data-current", "true")
    expect(page.locator("li.version").first.locator(".who")).to_have_text("Sara Secretariat")
    expect(page.locator("li.version").first.locator(".reason")).to_contain_text(
        "restore of version 1: the acronym was right")
    record = page.request.get(f"/v1/authorities/{authority_id}").json()
    assert record["version"] == 3 and record["acronym"] != "WRONG"

    page.goto(f"/authorities/{authority_id}/history?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_contain_text("السجل التاريخي")
    assert serious(page) == []
    shot(page, "31-history-ar")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_currency_and_admin_pages_pass_axe(visitor: Page, lang: str) -> None:  # noqa: F811
    page = visitor
    sign_in_secretariat(page, f"sam-{lang}@example.org")
    page.goto(f"/currency?lang={lang}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(page.locator("tr#state-BRA")).to_be_visible()
    assert serious(page) == []
    shot(page, f"32-currency-{lang}")
    page.goto(f"/admin?lang={lang}")
    expect(page.locator("tr[data-account]").first).to_be_visible()
    assert serious(page) == []
    shot(page, f"33-admin-{lang}")


def test_a_reminder_digest_arrives_by_smtp_and_its_link_opens_the_record(
        visitor: Page, live: dict[str, Any], smtp_server: tuple[Controller, Inbox],  # noqa: F811
        tmp_path: Path) -> None:
    page = visitor
    controller, inbox = smtp_server
    settings = Settings(CNA_SMTP_URL=f"smtp://127.0.0.1:{controller.port}",
                        CNA_DATA_DIR=str(tmp_path))
    with Session(db_engine.get_engine()) as session:
        session.add(Account(id=uuid.uuid4(), email="joao@example.org",
                            display_name="João Silva", language="pt-BR",
                            role="focal_point", countries=["BRA"], status="active",
                            password_hash="x"))
        session.commit()
    sign_in_secretariat(page, "rita@example.org")
    page.goto("/currency")
    row = page.locator("tr#state-BRA")
    expect(row).to_contain_text("João Silva")
    row.get_by_role("button", name="Send reminder").click()
    expect(page.get_by_role("status")).to_contain_text("reminder queued for 1 focal point")
    expect(page.locator("tr#state-BRA time")).to_have_count(1)  # when it went out

    assert send_mail(db_engine.get_engine(), settings).sent >= 1
    [digest] = [m for m in inbox.messages if m["To"] == "joao@example.org"]
    body = digest.get_body(preferencelist=("plain",))
    assert body is not None
    text = str(body.get_content())
    # The mail's links are built on CNA_PUBLIC_URL (the live server's is unset): the path.
    links = re.findall(r"https?://[^/\s]+(/authorities/[0-9a-f-]{36})(?=\s)", text)
    assert len(links) == 2, text  # the two Brazilian records verified over 12 months ago
    with Session(db_engine.get_engine()) as session:  # not twice in a week
        again = send_reminders(session, settings, now=datetime.now(UTC), trigger="test")
        session.commit()
    assert again.digests == []
    page.goto(links[0])
    expect(page.locator("article.record h1")).to_be_visible()
    expect(page.locator(".verified-ago")).to_contain_text("ago")


@pytest.mark.parametrize(("lang", "ago"), [("en", "ago"), ("fr", "il y a"), ("ar", "قبل")])
def test_search_results_say_when_each_record_was_verified(
        visitor: Page, lang: str, ago: str) -> None:  # noqa: F811
    page = visitor
    page.goto(f"/?lang={lang}&country=BRA")
    verified = page.locator("#results .hit-verified").first
    expect(verified).to_contain_text(ago)
    expect(verified.locator("time")).to_have_attribute(
        "datetime", re.compile(r"^\d{4}-\d{2}-\d{2}$"))
    # The browser (Intl) says it as the record page (Babel) does, for every hit.
    hits = page.locator("#results li.hit")
    for index in range(min(hits.count(), 3)):
        hit = hits.nth(index)
        said = hit.locator(".hit-verified").inner_text()
        href = hit.locator("a").get_attribute("href")
        assert href is not None
        record = page.context.new_page()
        record.goto(href)
        expect(record.locator(".verified-ago")).to_be_visible()
        assert record.locator(".verified-ago").inner_text() in said, (said, href)
        record.close()
