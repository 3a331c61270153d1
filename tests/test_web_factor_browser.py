"""The second factor and personal keys in a real browser (Chromium through Playwright,
with the live server, browser, mail and axe-core helpers of
tests/test_web_accounts_browser.py): the invitation mail -> set the password -> enrol
(the code computed with pyotp from the key shown on the page) -> the recovery codes shown
once -> sign in with password and code -> a record's contacts -> sign out -> none.  A
personal key made on /account is shown once and works against /v1/me.  axe-core finds no
violation at all on the new pages, in English and in Arabic (right to
left)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.db import engine as db_engine
from tests.test_web_accounts_browser import (  # noqa: F401  (fixtures)
    PASSWORD,
    axe_violations,
    invitation_link,
    visitor,
)
from tests.test_web_browser import (  # noqa: F401  (fixtures)
    FRA_OFFICE,
    browser,
    live,
    new_database_module,
    shot,
)


def _invite(page: Page, email: str, name: str, role: str, language: str,
            **scope: Any) -> None:
    with Session(db_engine.get_engine()) as session:
        key, _ = create_key(session, Role.secretariat)
        session.commit()
    response = page.request.post("/v1/accounts", headers={"Authorization": f"Bearer {key}"},
                                 data={"email": email, "display_name": name,
                                       "language": language, "role": role, **scope})
    assert response.status == 201, response.text()


def _code_after(secret: str, used: datetime) -> str:
    """A code of the time step after ``used`` (a code works once)."""
    return pyotp.TOTP(secret).at(used + timedelta(seconds=30))


def test_invitation_enrol_sign_in_with_a_code_and_a_personal_key(
        visitor: Page, tmp_path: Path) -> None:  # noqa: F811
    page = visitor
    _invite(page, "claire@example.org", "Claire Martin", "focal_point", "en",
            countries=["FRA"])
    link = invitation_link(tmp_path / "mail", "claire@example.org")
    page.goto("/invitations/" + link.split("/")[-1])
    expect(page.locator("#factor-next")).to_contain_text("second factor")
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_role("button", name="Set the password").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "30-enrol")
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Six-digit code from the app").fill("000000" if pyotp.TOTP(
        secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#code-error")).to_contain_text("not right")
    expect(page.get_by_label("Six-digit code from the app")).to_have_attribute(
        "aria-invalid", "true")
    assert page.locator("#totp-secret").inner_text().strip() == secret
    used = datetime.now(UTC)
    page.get_by_label("Six-digit code from the app").fill(pyotp.TOTP(secret).at(used))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator("ol.recovery-codes li")).to_have_count(10)
    expect(page.locator("#recovery-instruction")).to_contain_text("shown only this once")
    assert axe_violations(page) == []
    shot(page, "31-recovery-codes")
    page.get_by_role("link", name=re.compile("sign in")).click()

    page.wait_for_url(re.compile(r"/sign-in"))
    page.get_by_label("E-mail address").fill("claire@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label(re.compile("Authenticator or recovery code")).fill(
        _code_after(secret, used))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/account"))
    expect(page.locator("[data-second-factor=on]")).to_contain_text(
        "Unused recovery codes: 10.")
    page.goto(f"/authorities/{FRA_OFFICE}")
    expect(page.locator("article.record")).to_have_attribute("data-view", "full")
    expect(page.locator(".contacts li").first).to_be_visible()

    page.goto("/account")
    page.get_by_label("Key name").fill("Case management")
    page.get_by_role("button", name="Create a key").click()
    expect(page.locator("[data-new-key]")).to_contain_text("shown only this once")
    key = page.locator("#new-key").inner_text().strip()
    assert axe_violations(page) == []
    shot(page, "32-personal-key")
    me = page.request.get("/v1/me", headers={"Authorization": f"Bearer {key}",
                                             "Cookie": ""})
    assert me.status == 200 and me.json()["kind"] == "key"
    assert me.json()["role"] == "focal_point" and me.json()["countries"] == ["FRA"]
    page.goto("/account")
    expect(page.locator("table.keys tbody tr")).to_have_count(1)
    assert key not in page.content()  # shown once

    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r"/\?lang=en$"))
    page.goto(f"/authorities/{FRA_OFFICE}")
    expect(page.locator("article.record")).to_have_attribute("data-view", "public")
    expect(page.locator(".contacts")).to_have_count(0)


def test_the_enrolment_pages_in_arabic_are_right_to_left(
        visitor: Page, tmp_path: Path) -> None:  # noqa: F811
    page = visitor
    _invite(page, "amina@example.org", "أمينة", "official", "ar",
            authority_ids=[FRA_OFFICE])
    link = invitation_link(tmp_path / "mail", "amina@example.org")
    page.goto("/invitations/" + link.split("/")[-1] + "?lang=ar")
    page.get_by_label("كلمة المرور الجديدة").fill(PASSWORD)
    page.get_by_label("إعداد عامل تحقق ثانٍ الآن أيضًا (موصى به)").check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="حفظ كلمة المرور").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("أعدّ عامل التحقق الثاني")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert axe_violations(page) == []
    shot(page, "33-enrol-arabic")
    secret = page.locator("#totp-secret").inner_text().strip()
    used = datetime.now(UTC)
    page.get_by_label("الرمز المكوّن من ستة أرقام من التطبيق").fill(
        pyotp.TOTP(secret).at(used))
    page.get_by_role("button", name="تأكيد").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("رموز الاسترداد الخاصة بك")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert axe_violations(page) == []

    page.goto("/sign-in?lang=ar")
    page.get_by_label("عنوان البريد الإلكتروني").fill("amina@example.org")
    page.get_by_label("كلمة المرور", exact=True).fill(PASSWORD)
    page.locator("#totp").fill(_code_after(secret, used))
    page.get_by_role("button", name="تسجيل الدخول").click()
    page.wait_for_url(re.compile(r"/account"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name="مفاتيح API الشخصية")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "34-account-arabic")
