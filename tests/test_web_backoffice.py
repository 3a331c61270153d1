"""The secretariat's back-office pages over HTTP: "verified on … (7 months ago)", /currency
and its reminder button, /authorities/{id}/history with "restore this version", and
/admin (the browser tests are in tests/test_web_history_browser.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.access.principal import Role
from app.access.service import create_key
from app.accounts.models import Account, AccountEvent
from app.accounts.totp_models import AccountTotp
from app.authorities.documents import content_of
from app.authorities.service import Actor
from app.changes.models import Change, Revision
from app.mail.models import MailMessage
from app.main import create_app
from app.reference.data import ReferenceData
from app.reminders.models import ReminderDigest
from app.routecard.router import current_time
from tests.conftest import make_record, store
from tests.test_accounts import auth, person
from tests.test_web_accounts import csrf_of

DECEMBER = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


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


# -- who may open the secretariat's pages ------------------------------------------------


@pytest.fixture
def key(session: Session) -> str:
    made = create_key(session, Role.secretariat)[0]
    session.commit()
    return made


def signed_in(client: TestClient, session: Session, key: str, role: str,
              email: str, **scope: Any) -> None:
    """A person of ``role`` signed in (second factor enrolled where required)."""
    person(client, session, key, email, role, **scope)


def form_csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


@pytest.mark.parametrize("path", ["/currency", "/admin"])
def test_only_the_secretariat_opens_the_back_office(
        client: TestClient, session: Session, key: str, bra: Any, path: str) -> None:
    anonymous = client.get(path, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in?")
    signed_in(client, session, key, "focal_point", "fp@example.org", countries=["BRA"])
    refused = client.get(path + "?lang=fr")
    assert refused.status_code == 403 and "Seul le secrétariat" in refused.text
    client.cookies.clear()
    assert client.get(path, headers=auth(key)).status_code == 200  # a secretariat key


def test_a_focal_point_cannot_restore_nor_post_without_the_token(
        client: TestClient, session: Session, key: str, reference: ReferenceData,
        bra: Any) -> None:
    store(session, reference, make_record(acronym="DRCI2"))
    signed_in(client, session, key, "focal_point", "fp@example.org", countries=["BRA"])
    history_page = client.get(f"/authorities/{bra.id}/history")
    assert history_page.status_code == 200
    assert "/restore?" not in history_page.text  # no restore form for them
    csrf = csrf_of(client.get("/account").text)
    posted = client.post(f"/authorities/{bra.id}/versions/1/restore",
                         data={"csrf": csrf, "expected_version": "2"})
    assert posted.status_code == 403
    client.cookies.clear()
    signed_in(client, session, key, "secretariat", "sec@example.org")
    without_token = client.post(f"/authorities/{bra.id}/versions/1/restore",
                                data={"expected_version": "2"})
    assert without_token.status_code == 403
    assert session.scalar(select(func.count()).select_from(Revision)) == 2


# -- history and restore -------------------------------------------------------------------


def _changes(session: Session) -> list[Change]:
    session.expire_all()
    return list(session.scalars(select(Change).order_by(col(Change.seq))).all())


def test_restore_makes_one_new_version_equal_to_the_old_one_and_one_feed_change(
        client: TestClient, session: Session, key: str, reference: ReferenceData,
        bra: Any) -> None:
    store(session, reference, make_record(
        acronym="DRCI-2", website="https://new.drci.example.org",
        name={"pt": "Departamento Novo", "en": "New Department"}),
        actor=Actor(name="someone", role="secretariat"))
    before = _changes(session)
    signed_in(client, session, key, "secretariat", "sec@example.org")
    page = client.get(f"/authorities/{bra.id}/history")
    assert page.status_code == 200
    assert page.text.count("/restore?") == 1  # a form for version 1, not the current one
    assert "New Department" in page.text and "https://new.drci.example.org" in page.text
    assert "/website" not in page.text  # readable labels, never JSON Pointers
    restored = client.post(f"/authorities/{bra.id}/versions/1/restore", data={
        "csrf": csrf_of(page.text), "expected_version": "2", "reason": "wrong edit"},
        follow_redirects=False)
    assert restored.status_code == 303, restored.text
    session.expire_all()
    revisions = session.scalars(select(Revision).where(col(Revision.authority_id) == bra.id)
                                .order_by(col(Revision.version))).all()
    assert [r.version for r in revisions] == [1, 2, 3]
    assert content_of(revisions[2].document) == content_of(revisions[0].document)
    assert revisions[2].reason == "restore of version 1: wrong edit"
    assert revisions[2].actor.startswith("account:")
    after = _changes(session)
    assert len(after) == len(before) + 1 and after[-1].version == 3
    shown = client.get(restored.headers["location"])
    assert "The version was restored" in shown.text
    assert 'data-version="3" data-current="true"' in shown.text
    assert "Ana Souza" in shown.text  # who, by name
    # Posting the same form again (back and resubmit) changes nothing.
    again = client.post(f"/authorities/{bra.id}/versions/1/restore", data={
        "csrf": csrf_of(page.text), "expected_version": "2"})
    assert again.status_code == 409 and "nothing was restored" in again.text
    assert len(_changes(session)) == len(after)


def test_a_version_opens_as_it_was_in_the_record_template(
        client: TestClient, session: Session, reference: ReferenceData, bra: Any) -> None:
    store(session, reference, make_record(acronym="NEWER"))
    old = client.get(f"/authorities/{bra.id}/versions/1?lang=es")
    assert old.status_code == 200
    assert "(DRCI)" in old.text and "NEWER" not in old.text
    assert "versión 1" in old.text
    assert "duty@drci.example.org" not in old.text  # anonymous: the public view
    assert client.get(f"/authorities/{bra.id}/versions/9").status_code == 404
    history_page = client.get(f"/authorities/{bra.id}/history?lang=ar")
    assert history_page.status_code == 200 and 'dir="rtl"' in history_page.text
    assert "pytest" not in history_page.text  # anonymous: no who or why


# -- currency and reminders ---------------------------------------------------------------


def test_currency_counts_records_by_band_and_sends_a_reminder_for_one_state(
        client: TestClient, session: Session, key: str, reference: ReferenceData,
        bra: Any, december: datetime) -> None:
    store(session, reference, make_record(ref="BRA-PF", verified_on=None))
    store(session, reference, make_record(ref="BRA-MPF", verified_on="2024-01-10"))
    store(session, reference, make_record(ref="BRA-X", verified_on="2026-11-01"))
    signed_in(client, session, key, "focal_point", "fp@example.org", countries=["BRA"])
    client.cookies.clear()
    signed_in(client, session, key, "secretariat", "sec@example.org")
    page = client.get("/currency")
    assert page.status_code == 200
    row = re.search(r'<tr id="state-BRA".*?</tr>', page.text, re.S)
    assert row is not None
    bands = dict(re.findall(r'data-band="([a-z_0-9]+)">(\d+)<', row.group(0)))
    assert bands == {"under_6": "1", "6_to_12": "1", "12_to_24": "0", "over_24": "1",
                     "never": "1"}
    assert "fp@example.org" in row.group(0) and "None yet" in row.group(0)
    sent = client.post("/currency/BRA/remind", data={"csrf": csrf_of(page.text)})
    assert sent.status_code == 200
    assert "reminder queued for 1 focal point(s)" in sent.text
    assert "None yet" not in re.search(r'<tr id="state-BRA".*?</tr>', sent.text,
                                       re.S).group(0)  # type: ignore[union-attr]
    session.expire_all()
    [digest] = session.scalars(select(ReminderDigest)).all()
    assert digest.countries == ["BRA"] and len(digest.authority_ids) == 2
    twice = client.post("/currency/BRA/remind", data={"csrf": csrf_of(page.text)})
    assert "1 had one in the last 7 days" in twice.text
    assert len(session.scalars(select(ReminderDigest)).all()) == 1


# -- admin ----------------------------------------------------------------------------------


def test_admin_suspends_and_reactivates_accounts_and_revokes_keys(
        client: TestClient, session: Session, key: str, bra: Any) -> None:
    signed_in(client, session, key, "focal_point", "fp@example.org", countries=["BRA"])
    client.cookies.clear()
    other_key, other = create_key(session, Role.official, label="for the tests")
    session.commit()
    signed_in(client, session, key, "secretariat", "sec@example.org")
    page = client.get("/admin")
    assert page.status_code == 200
    assert "fp@example.org" in page.text and other.prefix in page.text
    assert 'href="/access-requests' in page.text
    fp = session.scalars(select(Account).where(col(Account.email) == "fp@example.org")).one()
    suspended = client.post(f"/admin/accounts/{fp.id}/status",
                            data={"csrf": csrf_of(page.text), "status": "suspended"})
    assert suspended.status_code == 200 and "The account is suspended" in suspended.text
    session.expire_all()
    assert session.get(Account, fp.id).status == "suspended"  # type: ignore[union-attr]
    client.post(f"/admin/accounts/{fp.id}/status",
                data={"csrf": csrf_of(page.text), "status": "active"})
    session.expire_all()
    assert session.get(Account, fp.id).status == "active"  # type: ignore[union-attr]
    revoked = client.post(f"/admin/keys/{other.prefix}/revoke",
                          data={"csrf": csrf_of(page.text)})
    assert revoked.status_code == 200 and "The key is revoked" in revoked.text
    assert client.get("/v1/authorities", headers=auth(other_key)).status_code == 401


def test_history_follows_the_apis_rules_for_a_key_limited_to_other_countries(
        client: TestClient, session: Session, reference: ReferenceData, bra: Any) -> None:
    store(session, reference, make_record(acronym="NEWER"))
    argentina, _ = create_key(session, Role.network, ["ARG"])
    official, _ = create_key(session, Role.official)
    session.commit()
    api = client.get(f"/v1/authorities/{bra.id}/history", headers=auth(argentina))
    page = client.get(f"/authorities/{bra.id}/history", headers=auth(argentina))
    assert api.status_code == page.status_code == 404
    assert client.get(f"/authorities/{bra.id}/versions/1",
                      headers=auth(argentina)).status_code == 404
    full = client.get(f"/authorities/{bra.id}/history", headers=auth(official))
    assert full.status_code == 200
    assert '<span class="who">pytest</span>' in full.text  # who, for a key holder
    assert "/restore?" not in full.text  # an official restores nothing


def test_a_secretariat_session_without_its_second_factor_is_refused(
        client: TestClient, session: Session, key: str, bra: Any) -> None:
    """Pages see such a person as signed out (as rule() does for the API); a form they
    post is refused, saying why."""
    from tests.test_totp import _accepted, _sign_in

    _accepted(client, session, key, "new@example.org", "secretariat")
    signed = _sign_in(client, "new@example.org")
    assert signed.status_code == 201
    page = client.get("/currency", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in?")
    posted = client.post("/currency/BRA/remind", data={"csrf": signed.json()["csrf_token"]})
    assert posted.status_code == 403 and "second factor" in posted.text
    assert session.scalars(select(ReminderDigest)).all() == []


def test_admin_resets_a_lost_second_factor(
        client: TestClient, session: Session, key: str, bra: Any) -> None:
    """The same reset as POST /v1/accounts/{id}/second-factor/reset, from /admin: the seed
    goes, the person's sessions end, they get a mail, and the audit row names who."""
    with TestClient(create_app()) as phone:
        signed_in(phone, session, key, "focal_point", "fp@example.org", countries=["BRA"])
        assert phone.get("/v1/me").json()["kind"] == "session"
        signed_in(client, session, key, "secretariat", "sec@example.org")
        fp = session.scalars(select(Account).where(col(Account.email) == "fp@example.org")).one()
        assert session.get(AccountTotp, fp.id) is not None
        page = client.get("/admin")
        assert f'action="/admin/accounts/{fp.id}/second-factor/reset' in page.text
        without = client.post(f"/admin/accounts/{fp.id}/second-factor/reset", data={})
        assert without.status_code == 403
        session.expire_all()
        assert session.get(AccountTotp, fp.id) is not None  # nothing changed
        done = client.post(f"/admin/accounts/{fp.id}/second-factor/reset",
                           data={"csrf": csrf_of(page.text)})
        assert done.status_code == 200 and "The second factor is reset" in done.text
        session.expire_all()
        assert session.get(AccountTotp, fp.id) is None
        assert phone.get("/v1/me").json()["kind"] == "anonymous"  # the session ended
        event = session.scalars(select(AccountEvent).where(
            col(AccountEvent.account_id) == fp.id,
            col(AccountEvent.action) == "second_factor_reset")).one()
        secretariat = session.scalars(select(Account).where(
            col(Account.email) == "sec@example.org")).one()
        assert event.actor == f"account:{secretariat.id}"
        mail = session.scalars(select(MailMessage).where(
            col(MailMessage.recipient) == "fp@example.org",
            col(MailMessage.template) == "second_factor_reset")).all()
        assert len(mail) == 1
