"""The back office over HTTP: /inbox (secretariat), /my-state and /my-proposals (focal
points), confirmations, stale proposals and their three-way merge, the decision mail and
the daily digest."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy import text as sqltext
from sqlmodel import Session, col, select

from app.access.principal import Role
from app.access.service import create_key
from app.authorities.models import Authority
from app.changes.models import Change, Revision
from app.db import engine as db_engine
from app.mail.models import MailMessage
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.proposals.notices import send_digest
from app.reference.data import ReferenceData
from tests.conftest import make_record, settings_env, store
from tests.test_access import _signed_in
from tests.test_web_accounts import csrf_of


@pytest.fixture
def bra(session: Session, reference: ReferenceData) -> Authority:
    return store(session, reference, make_record(verified_on="2024-01-15")).authority


@pytest.fixture
def secretariat_key(session: Session) -> dict[str, str]:
    key, _ = create_key(session, Role.secretariat)
    session.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def people(session: Session) -> dict[str, str]:
    """Session tokens of a focal point of Brazil and of the secretariat."""
    return {"focal": _signed_in(session, Role.focal_point, countries=["BRA"]),
            "secretariat": _signed_in(session, Role.secretariat)}


def as_person(client: TestClient, token: str | None) -> None:
    client.cookies.clear()
    if token:
        client.cookies.set("cna_session", token)


def csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def changes(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Change)) or 0


def pending(session: Session) -> list[Proposal]:
    session.expire_all()
    return list(session.scalars(select(Proposal).where(col(Proposal.status) == "pending")
                                .order_by(col(Proposal.created_at))))


def confirm_from_my_state(client: TestClient, people: dict[str, str], record: Any,
                          version: int | None = None) -> Any:
    as_person(client, people["focal"])
    token = csrf(client, "/my-state")
    return client.post(f"/my-state/{record.id}/confirm",
                       data={"csrf": token, "version": str(version or record.version)},
                       follow_redirects=False)


def test_the_inbox_is_for_the_secretariat_and_my_state_for_focal_points(
        client: TestClient, people: dict[str, str], bra: Authority) -> None:
    anonymous = client.get("/inbox", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in?")
    as_person(client, people["focal"])
    assert client.get("/inbox").status_code == 403
    mine = client.get("/my-state")
    assert mine.status_code == 200 and f'id="record-{bra.id}"' in mine.text
    assert f'href="/authorities/{bra.id}/edit' in mine.text
    assert 'href="/authorities/new' in mine.text
    assert "January 15, 2024" in mine.text and "ago" in mine.text
    as_person(client, people["secretariat"])
    assert client.get("/inbox").status_code == 200
    assert client.get("/my-state").status_code == 403
    # A form posted without the CSRF token changes nothing.
    refused = client.post(f"/my-state/{bra.id}/confirm", data={"version": "1"})
    assert refused.status_code == 403


def test_a_confirmation_approved_in_the_inbox_moves_verified_on_once(
        client: TestClient, session: Session, people: dict[str, str], bra: Authority) -> None:
    first = confirm_from_my_state(client, people, bra)
    again = confirm_from_my_state(client, people, bra)  # a double click
    assert first.status_code == again.status_code == 303
    [proposal] = pending(session)
    assert proposal.action == "confirm" and proposal.base_version == 1
    before = changes(session)

    as_person(client, people["secretariat"])
    inbox = client.get("/inbox")
    assert f'id="proposal-{proposal.id}"' in inbox.text
    assert "January 15, 2024" in inbox.text  # the diff: verified_on as people read it
    token = csrf_of(inbox.text)
    url = f"/inbox/{proposal.id}/approve"
    decided = client.post(url, data={"csrf": token, "comment": "thank you"},
                          follow_redirects=False)
    twice = client.post(url, data={"csrf": token, "comment": "thank you"},
                        follow_redirects=False)
    assert "done=approved" in decided.headers["location"]
    assert "done=already_decided" in twice.headers["location"]
    assert changes(session) == before + 1
    session.expire_all()
    record = session.get(Authority, bra.id)
    assert record is not None and record.version == 2
    assert record.verified_on == datetime.now(UTC).date()
    latest = session.scalars(select(Revision).where(col(Revision.authority_id) == bra.id,
                                                    col(Revision.version) == 2)).one()
    assert proposals.is_confirmation(latest.reason)
    assert proposal.proposed_by in (latest.reason or "")
    assert latest.actor.startswith("account:") and latest.actor_role == "secretariat"
    # The focal point is told, in the decision's transaction.
    [mail] = session.scalars(select(MailMessage).where(
        col(MailMessage.template) == "proposal_decided")).all()
    assert "thank you" in mail.body_text and "approved" in mail.body_text
    as_person(client, people["focal"])
    mine = client.get("/my-proposals")
    assert f'id="proposal-{proposal.id}" data-status="approved"' in mine.text
    assert "thank you" in mine.text


def test_reject_needs_a_comment_beside_the_field_and_says_why(
        client: TestClient, session: Session, people: dict[str, str], bra: Authority) -> None:
    confirm_from_my_state(client, people, bra)
    [proposal] = pending(session)
    as_person(client, people["secretariat"])
    token = csrf(client, "/inbox")
    empty = client.post(f"/inbox/{proposal.id}/reject", data={"csrf": token, "comment": "  "})
    assert empty.status_code == 422
    assert f'id="comment-error-{proposal.id}" class="field-error" role="alert"' in empty.text
    assert f'aria-describedby="comment-error-{proposal.id}"' in empty.text
    rejected = client.post(f"/inbox/{proposal.id}/reject",
                           data={"csrf": token, "comment": "the phone number is wrong"},
                           follow_redirects=False)
    assert rejected.status_code == 303
    as_person(client, people["focal"])
    mine = client.get("/my-proposals?lang=fr")
    assert 'data-status="rejected"' in mine.text and "rejetée" in mine.text
    assert "the phone number is wrong" in mine.text


def test_withdrawal_needs_a_reason_and_keeps_what_was_typed(
        client: TestClient, session: Session, people: dict[str, str], bra: Authority) -> None:
    as_person(client, people["focal"])
    token = csrf(client, "/my-state?lang=ar")
    empty = client.post(f"/my-state/{bra.id}/withdraw?lang=ar",
                        data={"csrf": token, "version": "1", "reason": ""})
    assert empty.status_code == 422 and 'dir="rtl"' in empty.text
    assert f'id="reason-error-{bra.id}"' in empty.text and "اذكر سبب السحب" in empty.text
    sent = client.post(f"/my-state/{bra.id}/withdraw",
                       data={"csrf": token, "version": "1", "reason": "merged into MJSP"},
                       follow_redirects=False)
    assert sent.status_code == 303
    [proposal] = pending(session)
    assert (proposal.action, proposal.reason) == ("withdraw", "merged into MJSP")


def test_a_stale_proposal_on_other_fields_is_applied_on_top_of_the_current_version(
        client: TestClient, session: Session, people: dict[str, str], bra: Authority,
        secretariat_key: dict[str, str]) -> None:
    as_person(client, people["focal"])
    token = csrf(client, "/my-state")
    client.post(f"/my-state/{bra.id}/withdraw",
                data={"csrf": token, "version": "1", "reason": "abolished"})
    [proposal] = pending(session)
    as_person(client, None)
    patched = client.patch(f"/v1/authorities/{bra.id}", json={"acronym": "NEW"},
                           headers={**secretariat_key, "If-Match": '"1-full"'})
    assert patched.status_code == 200, patched.text

    as_person(client, people["secretariat"])
    inbox = client.get("/inbox")
    item = inbox.text.split(f'id="proposal-{proposal.id}"', 1)[1]
    assert item.startswith(' data-action="withdraw" data-stale="true"')
    assert 'data-field="acronym"' in item and 'data-decision="merge"' in item
    assert 'data-decision="approve"' not in item.split("</li>", 1)[0]
    before = changes(session)
    merged = client.post(f"/inbox/{proposal.id}/approve",
                         data={"csrf": csrf_of(inbox.text), "comment": "ok", "merge": "1"},
                         follow_redirects=False)
    assert "done=approved" in merged.headers["location"]
    assert changes(session) == before + 1
    record = session.get(Authority, bra.id)
    assert record is not None
    assert (record.status, record.acronym, record.version) == ("withdrawn", "NEW", 3)


def test_a_stale_proposal_on_the_same_field_can_only_be_rejected(
        client: TestClient, session: Session, people: dict[str, str], bra: Authority,
        secretariat_key: dict[str, str]) -> None:
    focal = {"Authorization": "Bearer " + create_key(session, Role.focal_point,
                                                      countries=["BRA"])[0]}
    session.commit()
    made = client.post("/v1/proposals", headers=focal, json={
        "action": "update", "authority_id": str(bra.id), "base_version": 1,
        "record": make_record(acronym="MINE", verified_on="2024-01-15")})
    assert made.status_code == 201, made.text
    client.patch(f"/v1/authorities/{bra.id}", json={"acronym": "THEIRS"},
                 headers={**secretariat_key, "If-Match": '"1-full"'})
    as_person(client, people["secretariat"])
    inbox = client.get("/inbox").text
    item = inbox.split(f'id="proposal-{made.json()["id"]}"', 1)[1].split("</li>", 1)[0]
    assert 'data-stale="true"' in item
    assert 'data-decision="merge"' not in item and 'data-decision="approve"' not in item
    as_person(client, None)
    refused = client.post(f"/v1/proposals/{made.json()['id']}/approve",
                          headers=secretariat_key, json={"comment": "try", "merge": True})
    assert refused.status_code == 409
    assert refused.json()["proposal"]["status"] == "stale"
    session.expire_all()
    record = session.get(Authority, bra.id)
    assert record is not None and record.acronym == "THEIRS"


def test_confirmations_approved_in_bulk_through_the_page_and_the_api(
        client: TestClient, session: Session, people: dict[str, str],
        reference: ReferenceData, bra: Authority,
        secretariat_key: dict[str, str]) -> None:
    other = store(session, reference, make_record(ref="BRA-PF", verified_on=None)).authority
    third = store(session, reference, make_record(ref="BRA-MPF")).authority
    for record in (bra, other, third):
        assert confirm_from_my_state(client, people, record).status_code == 303
    ids = [p.id for p in pending(session)]
    as_person(client, people["secretariat"])
    inbox = client.get("/inbox?action=confirm")
    token = csrf_of(inbox.text)
    empty = client.post("/inbox/confirmations", data={"csrf": token, "bulk_comment": "ok"})
    assert empty.status_code == 422 and 'id="bulk-error"' in empty.text
    before = changes(session)
    done = client.post("/inbox/confirmations", follow_redirects=False, data={
        "csrf": token, "bulk_comment": "annual review", "action": "confirm",
        f"confirm_{ids[0]}": "1", f"confirm_{ids[1]}": "1"})
    assert "done=confirmations_approved" in done.headers["location"]
    assert "n=2" in done.headers["location"]
    assert changes(session) == before + 2
    as_person(client, None)
    api = client.post("/v1/proposals/confirmation-approvals", headers=secretariat_key,
                      json={"ids": [str(ids[0]), str(ids[2]), str(uuid.uuid4())],
                            "comment": "annual review"})
    assert api.status_code == 200, api.text
    assert [i["outcome"] for i in api.json()["items"]] == ["decided", "approved", "not_found"]
    session.expire_all()
    today = datetime.now(UTC).date()
    for record in (bra, other, third):
        stored = session.get(Authority, record.id)
        assert stored is not None and stored.verified_on == today


def test_a_confirmation_over_the_api(client: TestClient, session: Session, bra: Authority,
                                     secretariat_key: dict[str, str]) -> None:
    focal = {"Authorization": "Bearer " + create_key(session, Role.focal_point,
                                                      countries=["BRA"])[0]}
    session.commit()
    made = client.post("/v1/proposals", headers=focal,
                       json={"action": "confirm", "authority_id": str(bra.id)})
    assert made.status_code == 201, made.text
    same = client.post("/v1/proposals", headers=focal,
                       json={"action": "confirm", "authority_id": str(bra.id)})
    assert same.json()["id"] == made.json()["id"]
    approved = client.post(f"/v1/proposals/{made.json()['id']}/approve",
                           headers=secretariat_key, json={"comment": "ok"})
    assert approved.status_code == 200 and approved.json()["result_version"] == 2
    record = client.get(f"/v1/authorities/{bra.id}").json()
    assert record["verified_on"] == datetime.now(UTC).date().isoformat()


def test_the_daily_digest_goes_once_a_day_after_its_hour(
        session: Session, people: dict[str, str], bra: Authority, client: TestClient) -> None:
    confirm_from_my_state(client, people, bra)
    engine = db_engine.get_engine()
    now = datetime.now(UTC).replace(hour=9, minute=0)
    with settings_env(CNA_PROPOSALS_DIGEST_HOUR="8"):
        with Session(engine) as s, s.begin():
            early = send_digest(s, now.replace(hour=7))
        with Session(engine) as s, s.begin():
            run = send_digest(s, now)
        with Session(engine) as s, s.begin():
            again = send_digest(s, now + timedelta(hours=3))
    assert early is None and again is None
    assert run is not None and (run.recipients, run.proposals) == (1, 1)
    [mail] = session.scalars(select(MailMessage).where(
        col(MailMessage.template) == "proposals_digest")).all()
    assert re.search(r"/inbox\b", mail.body_text)


def test_two_posts_at_once_make_one_proposal(session: Session, bra: Authority) -> None:
    """The second of two simultaneous posts waits for the first and gets its proposal."""
    import threading

    from app.access.principal import Principal

    focal = Principal(role=Role.focal_point, countries=frozenset({"BRA"}),
                      key_prefix="double")
    engine = db_engine.get_engine()
    results: list[uuid.UUID] = []
    with Session(engine) as first:
        made = proposals.propose(first, focal, "confirm", bra.id, None, None, None).id

        def second_post() -> None:
            with Session(engine) as second:
                results.append(proposals.propose(second, focal, "confirm", bra.id, None,
                                                 None, None).id)
                second.commit()

        thread = threading.Thread(target=second_post)
        thread.start()
        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while not session.scalar(select(func.count()).select_from(
                sqltext("pg_locks")).where(sqltext("locktype = 'advisory' AND NOT granted"))):
            assert datetime.now(UTC) < deadline, "the second post never waited"
            session.rollback()
        first.commit()
        thread.join(timeout=30)
    assert results == [made]
    assert len(pending(session)) == 1
