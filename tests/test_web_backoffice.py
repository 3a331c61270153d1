"""The secretariat's back-office pages over HTTP: "verified on … (7 months ago)", /currency
and its reminder button, /authorities/{id}/history with "restore this version", and
/admin (the browser tests are in tests/test_web_history_browser.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.reference.data import ReferenceData
from app.routecard.router import current_time
from tests.conftest import make_record, store

DECEMBER = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def bra(session: Session, reference: ReferenceData) -> Any:
    return store(session, reference, make_record()).authority


@pytest.fixture
def december(client: TestClient) -> Any:
    client.app.dependency_overrides[current_time] = lambda: DECEMBER  # type: ignore[attr-defined]
    yield DECEMBER
    client.app.dependency_overrides.pop(current_time)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("lang", "words"), [("en", "(7 months ago)"), ("fr", "(il y a 7 mois)"),
                                             ("ar", "(قبل 7 أشهر)"), ("zh", "(7个月前)")])
def test_the_record_page_says_how_long_ago_it_was_verified(
        client: TestClient, bra: Any, december: datetime, lang: str, words: str) -> None:
    page = client.get(f"/authorities/{bra.id}?lang={lang}")
    assert page.status_code == 200
    assert '<time datetime="2026-05-01">2026-05-01</time>' in page.text
    assert words in page.text
