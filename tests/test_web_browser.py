"""The web page in a real browser: Debian's Chromium, headless, driven by Playwright.

A live uvicorn server runs in a thread on 127.0.0.1 with the demo records.  No browser is
downloaded: the tests use /usr/bin/chromium (``.ci/run`` installs it).  Where it is
missing locally they skip, saying why; CI sets ``CNA_REQUIRE_BROWSER=1`` so that a missing
browser fails instead.  Screenshots go to artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlmodel import Session

from app.access.principal import Role
from app.access.service import create_key
from app.authorities.service import SYSTEM_SEED
from app.authorities.transfer import import_records, parse_records
from app.db import engine as db_engine
from app.reference.service import invalidate_reference_cache, load_reference

CHROMIUM = os.environ.get("CNA_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
DEMO = ROOT / "seed_data" / "demo" / "authorities.ndjson"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]

FRA_OFFICE = "53f6b8b7-7b71-5f9a-9c0c-525ea6866df9"  # has a restricted phone and contacts
CHN_BUREAU = "ab4ed824-26e7-59a7-a28e-452873d34800"
EGY_DEPARTMENT = "e05566d8-f284-5a68-81a9-be7602d7c87c"
EGY_OFFICE = "8a493eef-387f-52a6-b1cf-a4e4733a680c"
RUS_IDS = {"2bc92272-e378-5267-adb8-f0824ed77697", "4e020c63-b1c2-5a15-aff2-c39c5dfee610"}

if not Path(CHROMIUM).exists():
    if os.environ.get("CNA_REQUIRE_BROWSER"):
        raise RuntimeError(f"CNA_REQUIRE_BROWSER is set but {CHROMIUM} is missing")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium); .ci/run installs it",
                allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(new_database_module: str) -> Iterator[dict[str, Any]]:
    """A live server on 127.0.0.1 with the demo data, and an official's key."""
    db_engine.configure_engine(new_database_module)
    invalidate_reference_cache()
    with Session(db_engine.get_engine()) as session:
        report = import_records(session, parse_records(DEMO.read_text("utf-8")),
                                load_reference(session), SYSTEM_SEED, reason="demo")
        assert report.ok
        key, _ = create_key(session, Role.official)
        session.commit()
    from app.main import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "key": key}
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        db_engine.dispose_engine()


@pytest.fixture(scope="module")
def new_database_module(server_url: str, template_url: str) -> Iterator[str]:
    import uuid

    from sqlalchemy.engine import make_url

    from tests.conftest import _execute_admin, _with_database

    name = f"cna_web_{uuid.uuid4().hex[:12]}"
    template = make_url(template_url).database
    _execute_admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _with_database(server_url, name)
    _execute_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, live: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(base_url=live["url"], locale="en-GB",
                                  viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    # Nothing but the live server may be reached.
    context.route(re.compile(r"^(?!http://127\.0\.0\.1:).*"), lambda route: route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def result_ids(page: Page) -> list[str]:
    hrefs = page.locator("#results a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    return [h.split("/authorities/")[1].split("?")[0] for h in hrefs]


def type_ahead(page: Page, text: str, label: str = "Search authorities") -> None:
    box = page.get_by_label(label, exact=True)
    box.fill("")
    box.press_sequentially(text, delay=20)  # keystrokes, as a person types
    settled(page, text)


def settled(page: Page, text: str) -> None:
    """Wait for the answer to the whole text (the page searches 150 ms after typing)."""
    page.wait_for_function("q => new URLSearchParams(location.search).get('q') === q", arg=text)
    expect(page.locator("#results-status")).not_to_have_text(re.compile("…$"))


def test_type_ahead_in_latin_script(page: Page) -> None:
    page.goto("/")
    type_ahead(page, "coopération pénale")
    expect(page.locator(f'#results a[href^="/authorities/{FRA_OFFICE}"]')).to_be_visible()
    expect(page.locator("#results-status")).to_contain_text("found")
    assert "q=coop" in page.url  # the query is kept in the address for sharing
    shot(page, "01-type-ahead-latin")


@pytest.mark.parametrize(("text", "expected"), [
    ("司法部", CHN_BUREAU),
    ("التعاون الدولي", EGY_DEPARTMENT),
    ("сотрудничества", "4e020c63-b1c2-5a15-aff2-c39c5dfee610"),
])
def test_type_ahead_in_non_latin_scripts(page: Page, text: str, expected: str) -> None:
    page.goto("/")
    type_ahead(page, text)
    expect(page.locator(f'#results a[href^="/authorities/{expected}"]')).to_be_visible()
    if expected == EGY_DEPARTMENT:
        assert EGY_OFFICE in result_ids(page)
        shot(page, "02-type-ahead-arabic-script")


def test_filters_narrow_the_results(page: Page) -> None:
    page.goto("/")
    expect(page.locator("#results a").first).to_be_visible()
    page.get_by_label("Country").select_option("RUS")
    expect(page.locator("#results a")).to_have_count(len(RUS_IDS))
    assert set(result_ids(page)) == RUS_IDS
    page.get_by_label("Country").select_option("")
    page.get_by_label("Type of request").select_option("firearms_focal_point")
    page.get_by_label("Accepted language").select_option("fr")
    # The French firearms focal point is in; the French MLA office is not.
    expect(page.locator('#results a[href^="/authorities/76444cde-e889-586d-8281-44717821af1d"]'
                        )).to_be_visible()
    expect(page.locator(f'#results a[href^="/authorities/{FRA_OFFICE}"]')).to_have_count(0)
    for hit in page.locator("#results .hit-meta").all_inner_texts():
        assert "Firearms" in hit
    assert "type=firearms_focal_point" in page.url and "language=fr" in page.url
    shot(page, "03-filters")


def test_open_a_record_public(page: Page) -> None:
    """Anonymous visitors see the public view; a person signed in sees more
    (tests/test_web_accounts_browser.py)."""
    page.goto("/")
    type_ahead(page, "coopération pénale")
    page.locator(f'#results a[href^="/authorities/{FRA_OFFICE}"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "International Criminal Cooperation Office")
    record = page.locator("article.record")
    expect(record).to_have_attribute("data-view", "public")
    expect(page.locator(".contacts")).to_have_count(0)
    expect(page.locator(".restricted")).to_have_count(0)
    expect(page.get_by_role("link", name="Contact card (vCard)")).to_have_attribute(
        "href", f"/v1/authorities/{FRA_OFFICE}.vcf")
    expect(page.get_by_role("link", name="Sign in")).to_have_attribute(
        "href", f"/sign-in?lang=en&next=/authorities/{FRA_OFFICE}")
    expect(page.get_by_label("API key")).to_have_count(0)  # "Sign in" replaced the key box
    shot(page, "04-record-public")


def test_switch_to_arabic_is_right_to_left(page: Page) -> None:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.locator('nav.langs a[data-lang="ar"]').click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.get_by_label("البحث عن السلطات", exact=True)).to_be_visible()
    type_ahead(page, "تسليم", label="البحث عن السلطات")
    expect(page.locator(f'#results a[href^="/authorities/{EGY_OFFICE}"]')).to_be_visible()
    # Record names follow the interface language where the record has it.
    expect(page.locator(f'#results a[href^="/authorities/{EGY_OFFICE}"]')).to_contain_text(
        "مكتب التعاون الدولي")
    shot(page, "06-arabic-rtl")
    page.goto("/route")  # the choice is remembered
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_route_card_form(page: Page) -> None:
    page.goto("/route")
    page.get_by_label("Requesting State").select_option("FRA")
    page.get_by_label("Requested State").select_option("BRA")
    page.get_by_label("Type of request").select_option("extradition")
    page.get_by_role("button", name="Show the route").click()
    card = page.locator("#route-card section.card")
    expect(card).to_contain_text("France → Brazil")
    expect(card.locator("article.authority h3 a").first).to_have_attribute(
        "href", re.compile("/authorities/a405d9e1-61fd-5027-92c3-ae70d95eb65a"))
    expect(card.locator('[data-translation="needed"]').first).to_contain_text(
        "Translation needed")
    expect(card.locator(".open-state").first).to_have_attribute(
        "data-open", re.compile("^(true|false)$"))
    shot(page, "07-route-card")
    page.get_by_label("Requesting State").select_option("PRT")
    page.get_by_role("button", name="Show the route").click()
    expect(page.locator('#route-card [data-translation="none"]').first).to_contain_text(
        "Portuguese")
    expect(page.locator("#route-card .networks")).to_contain_text("IberRed")


def test_route_card_without_a_designation_offers_alternatives(page: Page) -> None:
    response = page.goto("/route?from=FRA&to=FRA&type=corruption_prevention")
    assert response is not None and response.status == 404
    expect(page.locator(".problem")).to_contain_text("Nothing is designated")


def test_keyboard_only_search(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")  # the first stop is the skip link, and it is visible
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.press("Enter")  # skip to the content
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("ministry of justice", delay=20)
    settled(page, "ministry of justice")
    expect(page.locator("#results a").nth(1)).to_be_visible()
    first, second = result_ids(page)[:2]
    page.keyboard.press("ArrowDown")
    assert first in page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("ArrowDown")
    assert second in page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("ArrowDown")
    expect(page.locator("#results-status")).to_contain_text("found")  # no new search
    assert first in page.evaluate("document.activeElement.getAttribute('href')")
    page.screenshot(path=str(SHOTS / "08-keyboard.png"))  # not full-page: keeps the focus
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"/authorities/{first}"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
