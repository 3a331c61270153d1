"""The back office in Chromium (Playwright), on the live server of tests/test_web_browser.py
with the demo records: the secretariat reads a proposal's diff in /inbox and approves it
(the record, its history, the change feed and a webhook receiver each see it once); a
stale proposal is marked and merged; a focal point confirms a record from /my-state and
the approval moves ``verified_on``; the pages in Arabic are right to left; axe-core finds
no violation in English and Arabic.

People sign in by a session made in the database (the second factor is tested with the
sign-in page elsewhere); their pages are driven through the browser."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.access.principal import Role
from app.access.service import create_key
from app.authorities.models import Authority
from app.changes.models import Change
from app.db import engine as db_engine
from app.mail.models import MailMessage
from app.webhooks import delivery
from tests.test_access import _signed_in
from tests.test_web_accounts_browser import axe_violations
from tests.test_web_browser import (  # noqa: F401  (fixtures)
    CHN_BUREAU,
    EGY_DEPARTMENT,
    FRA_OFFICE,
    browser,
    live,
    new_database_module,
    shot,
)
from tests.test_webhooks_api import allow_private  # noqa: F401  (fixture)
from tests.test_webhooks_delivery import Receiver

SignIn = Callable[..., Page]


@pytest.fixture
def keys(live: dict[str, Any]) -> dict[str, dict[str, str]]:  # noqa: F811
    with Session(db_engine.get_engine()) as session:
        made = {"secretariat": create_key(session, Role.secretariat)[0],
                "focal": create_key(session, Role.focal_point,
                                    countries=["FRA", "CHN", "EGY"])[0]}
        session.commit()
    return {name: {"Authorization": f"Bearer {key}"} for name, key in made.items()}


@pytest.fixture
def person(browser: Browser, live: dict[str, Any]) -> Iterator[SignIn]:  # noqa: F811
    """Open a browser signed in as a new person of that role."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def sign_in(role: Role, **scope: Any) -> Page:
        with Session(db_engine.get_engine()) as session:
            token = _signed_in(session, role, **scope)
        # bypass_csp: axe is injected as an inline script, which the pages' CSP forbids.
        context = browser.new_context(base_url=live["url"], locale="en-GB", bypass_csp=True,
                                      viewport={"width": 1200, "height": 900})
        context.set_default_timeout(15_000)
        context.route(re.compile(r"^(?!http://127\.0\.0\.1:).*"), lambda route: route.abort())
        context.add_cookies([{"name": "cna_session", "value": token, "url": live["url"]}])
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield sign_in
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


def changes_of(authority_id: str) -> int:
    with Session(db_engine.get_engine()) as session:
        return session.scalar(select(func.count()).select_from(Change).where(
            col(Change.authority_id) == authority_id)) or 0


def stored(authority_id: str) -> Authority:
    with Session(db_engine.get_engine()) as session:
        record = session.get(Authority, authority_id)
        assert record is not None
        return record


def propose(page: Page, headers: dict[str, str], **body: Any) -> str:
    response = page.request.post("/v1/proposals", headers=headers, data=body)
    assert response.status == 201, response.text()
    proposal_id: str = response.json()["id"]
    return proposal_id


def item(page: Page, proposal_id: str) -> Any:
    return page.locator(f"#proposal-{proposal_id}")


def test_the_secretariat_reads_the_diff_and_approves(
        person: SignIn, keys: dict[str, dict[str, str]], allow_private: None) -> None:  # noqa: F811
    secretariat = person(Role.secretariat)
    receiver = Receiver()
    try:
        hook = secretariat.request.post("/v1/webhooks", headers=keys["secretariat"],
                                        data={"url": receiver.url, "countries": ["FRA"]})
        assert hook.status == 201, hook.text()
        delivery.run_once(db_engine.get_engine())  # anything already in the feed
        already = len(receiver.delivered())
        record = secretariat.request.get(f"/v1/authorities/{FRA_OFFICE}",
                                         headers=keys["secretariat"]).json()
        proposal = propose(secretariat, keys["focal"], action="update",
                           authority_id=FRA_OFFICE, base_version=record["version"],
                           reason="new acronym notified",
                           record={**record, "acronym": "OCCI"})
        before = changes_of(FRA_OFFICE)

        secretariat.goto("/inbox?country=FRA")
        entry = item(secretariat, proposal)
        expect(entry.get_by_role("heading", level=2)).to_contain_text(
            "International Criminal Cooperation Office")
        row = entry.locator('tr[data-field="acronym"]')
        expect(row.locator("th")).to_have_text("Acronym")
        expect(row.locator("td.before")).to_have_text("BCPI")
        expect(row.locator("td.after")).to_have_text("OCCI")
        expect(entry).to_contain_text("new acronym notified")
        assert "/acronym" not in entry.inner_text()  # never a JSON Pointer
        shot(secretariat, "backoffice-inbox")
        entry.get_by_label("Comment (sent to the proposer)").fill("confirmed by note verbale")
        entry.get_by_role("button", name="Approve").click()
        expect(secretariat.get_by_role("status")).to_have_text(
            "The proposal was approved and applied.")
        expect(item(secretariat, proposal)).to_have_count(0)

        assert stored(FRA_OFFICE).acronym == "OCCI"
        assert changes_of(FRA_OFFICE) == before + 1
        history = secretariat.request.get(f"/v1/authorities/{FRA_OFFICE}/history",
                                          headers=keys["secretariat"]).json()["versions"]
        last = history[-1]
        assert last["version"] == record["version"] + 1
        assert last["actor"].startswith("account:") and last["role"] == "secretariat"
        assert proposal in last["reason"] and "new acronym notified" in last["reason"]
        assert datetime.fromisoformat(last["at"]).date() == datetime.now(UTC).date()
        delivery.run_once(db_engine.get_engine())
        new = receiver.delivered()[already:]
        assert [(m["type"], m["data"]["id"]) for m in new] == [
            ("authority.upsert", FRA_OFFICE)]
        assert new[0]["data"]["version"] == record["version"] + 1
    finally:
        receiver.close()


def test_a_stale_proposal_is_shown_as_stale_and_merged(
        person: SignIn, keys: dict[str, dict[str, str]]) -> None:
    secretariat = person(Role.secretariat)
    version = stored(CHN_BUREAU).version
    proposal = propose(secretariat, keys["focal"], action="withdraw", authority_id=CHN_BUREAU,
                       base_version=version, reason="abolished")
    patched = secretariat.request.patch(
        f"/v1/authorities/{CHN_BUREAU}", data={"website": "https://moj.chn.example"},
        headers={**keys["secretariat"], "If-Match": f'"{version}-full"'})
    assert patched.status == 200, patched.text()
    before = changes_of(CHN_BUREAU)

    secretariat.goto("/inbox?action=withdraw")
    entry = item(secretariat, proposal)
    expect(entry).to_have_attribute("data-stale", "true")
    expect(entry.get_by_role("note")).to_contain_text("Stale proposal.")
    changed = entry.locator('.stale tr[data-field="website"]')
    expect(changed.locator("td.after")).to_have_text("https://moj.chn.example")
    expect(entry.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    shot(secretariat, "backoffice-stale")
    entry.get_by_label("Comment (sent to the proposer)").fill("withdrawn as notified")
    entry.get_by_role("button", name="Apply on top of the current version").click()
    expect(secretariat.get_by_role("status")).to_have_text(
        "The proposal was approved and applied.")
    record = stored(CHN_BUREAU)
    assert (record.status, record.website, record.version) == (
        "withdrawn", "https://moj.chn.example", version + 2)
    assert changes_of(CHN_BUREAU) == before + 1


def test_a_confirmation_from_my_state_moves_verified_on(person: SignIn) -> None:
    focal = person(Role.focal_point, countries=["EGY"])
    focal.goto("/my-state")
    record = focal.locator(f"#record-{EGY_DEPARTMENT}")
    expect(record.locator(".verified")).to_contain_text("February 22, 2025")
    record.get_by_role("button", name=re.compile("^Confirm this record is still correct")) \
        .click()
    expect(focal.get_by_role("status")).to_have_text(
        "Your confirmation was sent to the secretariat.")
    expect(focal.locator(f"#record-{EGY_DEPARTMENT}")).to_contain_text("Confirmation")

    secretariat = person(Role.secretariat)
    secretariat.goto("/inbox?country=EGY&action=confirm")
    entry = secretariat.locator("li.proposal[data-action=confirm]").first
    row = entry.locator('tr[data-field="verified_on"]')
    expect(row.locator("td.before")).to_have_text("February 22, 2025")
    entry.get_by_label("Comment (sent to the proposer)").fill("thank you")
    entry.get_by_role("button", name="Approve").click()
    expect(secretariat.get_by_role("status")).to_have_text(
        "The proposal was approved and applied.")
    assert stored(EGY_DEPARTMENT).verified_on == datetime.now(UTC).date()

    focal.goto("/my-proposals")
    expect(focal.locator("tr[data-status=approved]")).to_contain_text("thank you")
    with Session(db_engine.get_engine()) as session:
        told = session.scalars(select(MailMessage).where(
            col(MailMessage.template) == "proposal_decided")).all()
    assert any("thank you" in m.body_text for m in told)


def test_the_back_office_in_arabic_and_with_axe(
        person: SignIn, keys: dict[str, dict[str, str]]) -> None:
    secretariat = person(Role.secretariat)
    propose(secretariat, keys["focal"], action="confirm", authority_id=FRA_OFFICE)
    focal = person(Role.focal_point, countries=["FRA"])
    for page, path in ((secretariat, "/inbox"), (focal, "/my-state"),
                       (focal, "/my-proposals")):
        for lang in ("en", "ar"):
            page.goto(f"{path}?lang={lang}")
            expect(page.locator("html")).to_have_attribute("dir",
                                                           "rtl" if lang == "ar" else "ltr")
            assert axe_violations(page) == [], (path, lang)
    secretariat.goto("/inbox?lang=ar")
    expect(secretariat.get_by_role("heading", level=1)).to_have_text("صندوق الوارد")
    shot(secretariat, "backoffice-inbox-ar")
    focal.goto("/my-state?lang=ar")
    expect(focal.get_by_role("heading", level=1)).to_contain_text("سجلات دولتي")
    focal.keyboard.press("Tab")  # the skip link first, then the page by keyboard
    expect(focal.locator(":focus")).to_have_class("skip")
    shot(focal, "backoffice-my-state-ar")
