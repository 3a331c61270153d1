"""Reminder digests: each focal point whose State has records not verified for
CNA_VERIFY_AFTER_MONTHS gets one digest in their language, at most one a week, through a
real SMTP server on loopback (aiosmtpd); `cna reminders send --dry-run` sends nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, col, select

from app.accounts.models import Account
from app.core.settings import Settings
from app.db import engine as db_engine
from app.mail.worker import run_once as send_mail
from app.reference.data import ReferenceData
from app.reminders import worker as reminder_worker
from app.reminders.models import ReminderDigest
from app.reminders.service import send_reminders
from tests.conftest import make_record, store
from tests.test_mail import Inbox, _smtp_settings, smtp_server  # noqa: F401  (fixture)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def focal_point(session: Session, email: str, countries: list[str], language: str = "fr",
                status: str = "active") -> Account:
    account = Account(id=uuid.uuid4(), email=email, display_name=email.split("@")[0],
                      language=language, role="focal_point", countries=countries,
                      status=status, password_hash="x")
    session.add(account)
    session.commit()
    return account


@pytest.fixture
def records(session: Session, reference: ReferenceData) -> dict[str, Any]:
    """Brazil: one record verified long ago, one never, one recently; France: one old."""
    old = store(session, reference, make_record(verified_on="2024-03-01")).authority
    never = store(session, reference, make_record(ref="BRA-PF", verified_on=None,
                                                  name={"pt": "Polícia Federal",
                                                        "fr": "Police fédérale"})).authority
    fresh = store(session, reference, make_record(ref="BRA-MPF",
                                                  verified_on="2026-10-01")).authority
    french = store(session, reference, make_record(
        ref="FRA-BEPI", country="FRA", verified_on="2023-01-01",
        phones=[], emails=[], contacts=[])).authority
    return {"old": old.id, "never": never.id, "fresh": fresh.id, "french": french.id}


def _run(settings: Settings, now: datetime, **options: Any) -> Any:
    with Session(db_engine.get_engine()) as session, session.begin():
        return send_reminders(session, settings, now=now, trigger="test", **options)


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def test_a_digest_arrives_once_a_week_in_the_focal_points_language(
        session: Session, records: dict[str, Any], smtp_server: tuple[Controller, Inbox],  # noqa: F811
        tmp_path: Path) -> None:
    controller, inbox = smtp_server
    settings = _smtp_settings(controller, tmp_path)
    ana = focal_point(session, "ana@example.org", ["BRA"])
    focal_point(session, "gone@example.org", ["BRA"], status="suspended")
    focal_point(session, "elsewhere@example.org", ["ARG"])

    first = _run(settings, NOW)
    assert [d.email for d in first.digests] == ["ana@example.org"]
    assert send_mail(db_engine.get_engine(), settings).sent == 1
    [message] = inbox.messages
    assert message["To"] == "ana@example.org"
    assert "fiche(s) de votre État à vérifier" in str(message["Subject"])
    text = _text(message)
    links = re.findall(r"https://cna\.example\.org/authorities/([0-9a-f-]+)(/edit)?", text)
    assert {uuid.UUID(found) for found, _ in links} == {records["old"], records["never"]}
    assert "https://cna.example.org/my-state" in text
    assert "Police fédérale" in text and "jamais vérifiée" in text and "2024-03-01" in text

    # Six days later: nothing (a week has not passed); the next week: a second digest.
    again = _run(settings, NOW + timedelta(days=6))
    assert again.digests == [] and again.recently_reminded == [ana.id]
    assert send_mail(db_engine.get_engine(), settings).sent == 0
    assert len(inbox.messages) == 1
    assert len(_run(settings, NOW + timedelta(days=7, minutes=1)).digests) == 1
    assert send_mail(db_engine.get_engine(), settings).sent == 1
    assert len(inbox.messages) == 2
    session.expire_all()
    rows = session.scalars(select(ReminderDigest).order_by(col(ReminderDigest.id))).all()
    assert [(r.account_id, r.countries, r.mail_id is not None) for r in rows] == \
        [(ana.id, ["BRA"], True)] * 2


def test_a_dry_run_sends_nothing_and_one_state_can_be_reminded_alone(
        session: Session, records: dict[str, Any], smtp_server: tuple[Controller, Inbox],  # noqa: F811
        tmp_path: Path) -> None:
    controller, inbox = smtp_server
    settings = _smtp_settings(controller, tmp_path)
    focal_point(session, "both@example.org", ["BRA", "FRA"], language="en")
    dry = _run(settings, NOW, dry_run=True)
    assert [len(d.records) for d in dry.digests] == [3]  # BRA old, BRA never, FRA old
    assert session.scalars(select(ReminderDigest)).all() == []
    only_france = _run(settings, NOW, country="FRA")
    assert [(d.countries, [r.id for r in d.records]) for d in only_france.digests] == \
        [(["FRA"], [records["french"]])]
    assert send_mail(db_engine.get_engine(), settings).sent == 1
    assert len(inbox.messages) == 1


def test_the_worker_job_runs_when_due_and_cna_reminders_send_dry_run_sends_nothing(
        session: Session, db_url: str, records: dict[str, Any],
        smtp_server: tuple[Controller, Inbox], tmp_path: Path) -> None:  # noqa: F811
    controller, inbox = smtp_server
    settings = _smtp_settings(controller, tmp_path)
    focal_point(session, "ana@example.org", ["BRA"])
    cna = str(Path(sys.executable).with_name("cna"))
    env = {**os.environ, "DATABASE_URL": db_url, "CNA_DATA_DIR": str(tmp_path),
           "CNA_SMTP_URL": f"smtp://127.0.0.1:{controller.port}"}
    dry = subprocess.run([cna, "reminders", "send", "--dry-run"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert dry.returncode == 0, dry.stderr
    assert "ana@example.org" in dry.stdout and "Would send" in dry.stdout
    assert inbox.messages == []
    session.expire_all()
    assert session.scalars(select(ReminderDigest)).all() == []
    sent = subprocess.run([cna, "reminders", "send"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert sent.returncode == 0, sent.stderr
    assert "1 sent" in sent.stderr and len(inbox.messages) == 1
    assert "--dry-run" in subprocess.run([cna, "reminders", "send", "--help"],
                                         capture_output=True, text=True, env=env).stdout

    # The scheduled job: due (no scheduled run yet), but Ana had hers from the command.
    engine = db_engine.get_engine()
    scheduled = reminder_worker.run_once(engine, settings, clock=lambda: NOW)
    assert scheduled is not None
    assert scheduled.digests == [] and len(scheduled.recently_reminded) == 1
    later = datetime.now(UTC) + timedelta(days=8)
    ran = reminder_worker.run_once(engine, settings, clock=lambda: later)
    assert ran is not None and len(ran.digests) == 1
    assert reminder_worker.run_once(engine, settings,
                                    clock=lambda: later + timedelta(days=1)) is None
    off = _smtp_settings(controller, tmp_path, CNA_REMINDER_DAYS=0)
    assert reminder_worker.run_once(engine, off, clock=lambda: later + timedelta(days=30)) \
        is None
