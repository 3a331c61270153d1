"""The record form in a real browser (Chromium through Playwright, with the live server,
browser and axe-core helpers of tests/test_web_browser.py and
tests/test_web_accounts_browser.py): a focal point's wrong phone number is refused beside
the field and, once fixed, becomes a proposal; the secretariat's conflicting edit is
shown and then applied; the form in Arabic is right to left; axe-core finds no serious or
critical violation in English and in Arabic."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from app.access.principal import Principal, Role
from app.accounts.cookies import cookie_name
from app.authorities.documents import content_of, render
from app.authorities.models import Authority
from app.authorities.schemas import validate_record
from app.authorities.service import Actor, save_record
from app.core.settings import get_settings
from app.db import engine as db_engine
from app.proposals import service as proposals
from app.reference.service import load_reference
from tests.test_access import _signed_in
from tests.test_web_accounts_browser import axe_violations, visitor  # noqa: F401  (fixture)
from tests.test_web_browser import (  # noqa: F401  (fixtures)
    FRA_OFFICE,
    browser,
    live,
    new_database_module,
    shot,
)

SERIOUS = ("serious", "critical")


def sign_in_as(page: Page, live: dict[str, Any], role: Role, **scope: Any) -> None:  # noqa: F811
    """A person of this role with a live session, its cookie given to the browser."""
    with Session(db_engine.get_engine()) as session:
        token = _signed_in(session, role, **scope)
    page.context.add_cookies([{"name": cookie_name(get_settings()), "value": token,
                               "url": live["url"]}])


def serious_violations(page: Page) -> list[dict[str, Any]]:
    return [v for v in _violations_with_impact(page) if v["impact"] in SERIOUS]


def _violations_with_impact(page: Page) -> list[dict[str, Any]]:
    axe_violations(page)  # injects axe-core (or skips, saying why, where it is missing)
    result: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.html).slice(0, 3)}))")
    return result


def test_a_wrong_phone_is_shown_beside_the_field_then_the_proposal_is_made(
        visitor: Page, live: dict[str, Any]) -> None:  # noqa: F811
    sign_in_as(visitor, live, Role.focal_point, countries=["FRA"])
    visitor.goto(f"/authorities/{FRA_OFFICE}/edit?lang=en")
    expect(visitor.locator("h1")).to_have_text("Edit the record")
    number = visitor.locator("#f-phones-0-number")
    expect(number).to_have_value("+33 1 99 00 88 87")  # as people read it
    expect(visitor.locator("label[for=f-phones-0-number]")).to_have_text("Phone number 1")
    number.fill("12 34")
    visitor.get_by_label("Reason for the change").fill("New switchboard number")
    visitor.get_by_role("button", name="Send the proposal").click()
    error = visitor.locator("#f-phones-0-number-error")
    expect(error).to_contain_text("not a valid phone number in this State")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_have_value("12 34")
    expect(visitor.get_by_label("Reason for the change")).to_have_value("New switchboard number")
    shot(visitor, "record-form-phone-error")
    number.fill("01 44 77 61 15")
    visitor.get_by_role("button", name="Send the proposal").click()
    expect(visitor.get_by_role("status")).to_contain_text("Your proposal has been sent")
    with Session(db_engine.get_engine()) as session:
        pending = [p for p in proposals.list_proposals(session, Principal(role=Role.secretariat),
                                                       "pending")
                   if p.authority_id is not None and str(p.authority_id) == FRA_OFFICE
                   and p.reason == "New switchboard number"]
        assert len(pending) == 1
        assert pending[0].document is not None
        assert pending[0].document["phones"][0]["number"] == "+33144776115"
        authority = session.get(Authority, FRA_OFFICE)
        assert authority is not None
        assert authority.phones[0].number != "+33144776115"  # nothing applied yet


def test_the_secretariats_conflicting_edit_is_shown_then_applied(
        visitor: Page, live: dict[str, Any]) -> None:  # noqa: F811
    sign_in_as(visitor, live, Role.secretariat)
    visitor.goto(f"/authorities/{FRA_OFFICE}/edit?lang=en")
    visitor.get_by_label("Acronym").fill("BCPI-DACG")
    with Session(db_engine.get_engine()) as session:  # someone else saves meanwhile
        authority = session.get(Authority, FRA_OFFICE)
        assert authority is not None
        changed = {**content_of(render(authority)), "id": FRA_OFFICE,
                   "website": "https://elsewhere.example.org"}
        save_record(session, validate_record(changed, load_reference(session)),
                    Actor("key:other", "secretariat"), reason="meanwhile")
        session.commit()
    visitor.get_by_role("button", name="Save the record").click()
    conflict = visitor.locator("section.conflict")
    expect(conflict).to_contain_text("The record changed while you were editing it")
    expect(conflict.locator('tr[data-field="website"]')).to_contain_text(
        "https://elsewhere.example.org")
    expect(visitor.get_by_label("Acronym")).to_have_value("BCPI-DACG")
    shot(visitor, "record-form-conflict")
    visitor.get_by_role("button", name="Save the record").click()
    expect(visitor.locator("h1")).to_contain_text("International Criminal Cooperation Office")
    with Session(db_engine.get_engine()) as session:
        stored = session.scalars(select(Authority).where(
            col(Authority.id) == FRA_OFFICE)).one()
        assert stored.acronym == "BCPI-DACG"


def test_the_form_in_arabic_is_right_to_left_and_accessible(
        visitor: Page, live: dict[str, Any]) -> None:  # noqa: F811
    sign_in_as(visitor, live, Role.secretariat)
    visitor.goto(f"/authorities/{FRA_OFFICE}/edit?lang=en")
    assert serious_violations(visitor) == []
    visitor.goto(f"/authorities/{FRA_OFFICE}/edit?lang=ar")
    expect(visitor.locator("html")).to_have_attribute("dir", "rtl")
    expect(visitor.locator("h1")).to_have_text("تعديل السجل")
    visitor.locator("#f-phones").get_by_role("button", name="أضف رقم هاتف").click()
    expect(visitor.locator('input[name="phones/3/number"]')).to_be_visible()
    shot(visitor, "record-form-ar")
    assert serious_violations(visitor) == []
    visitor.goto("/authorities/new?lang=ar")
    assert serious_violations(visitor) == []


def test_the_article_list_follows_the_instrument_and_sets_the_type(
        visitor: Page, live: dict[str, Any]) -> None:  # noqa: F811
    sign_in_as(visitor, live, Role.secretariat)
    visitor.goto("/authorities/new?lang=en&country=FRA")
    instrument = visitor.locator("#f-designations-0-instrument")
    article = visitor.locator("#f-designations-0-article")
    instrument.select_option("untoc")
    expect(article.locator('optgroup[data-instrument="drugs1988"]')).to_be_disabled()
    expect(article.locator('optgroup[data-instrument="untoc"]')).to_be_enabled()
    index = article.evaluate("s => [...s.options].findIndex(o => o.value === '18(13)'"
                             " && o.parentElement.dataset.instrument === 'untoc')")
    article.select_option(index=index)
    expect(visitor.locator("#f-designations-0-type")).to_have_value("mutual_legal_assistance")
    instrument.select_option("drugs1988")
    expect(article).to_have_value("")  # an article of another instrument is no longer chosen
