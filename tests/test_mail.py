"""Mail: the outbox written with its cause, rendering, and sending through a real SMTP
server on loopback (aiosmtpd) or into the Maildir."""

from __future__ import annotations

import contextlib
import email.policy
import json
import logging
import mailbox
import signal
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from fastapi.testclient import TestClient
from sqlalchemy import func, text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.access.principal import Role
from app.access.service import create_key
from app.core.settings import Settings, get_settings
from app.db import engine as db_engine
from app.mail.models import MailMessage
from app.mail.outbox import enqueue
from app.mail.render import MailRenderer
from app.mail.sender import MailConfigError, SmtpTarget, SmtpTransport, check_mail_settings
from app.mail.worker import LEASE_SECONDS, MailPass, claim_next, run_once


def _outbox_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(MailMessage)) or 0


def test_an_outbox_row_is_rolled_back_with_its_cause(session: Session) -> None:
    """The mail and the action that causes it are one transaction: no mail without it."""
    session.execute(text("CREATE TABLE cause_of_mail (note text)"))
    session.commit()
    with session.begin():
        session.execute(text("INSERT INTO cause_of_mail VALUES ('kept')"))
        enqueue(session, to="kept@example.org", language="en", template="test", context={},
                cause="kept")
    session.begin()
    session.execute(text("INSERT INTO cause_of_mail VALUES ('undone')"))
    enqueue(session, to="undone@example.org", language="en", template="test", context={},
            cause="undone")
    session.rollback()
    with Session(db_engine.get_engine()) as other:
        assert other.scalars(text("SELECT note FROM cause_of_mail")).all() == ["kept"]
        assert [m.recipient for m in other.scalars(select(MailMessage))] == ["kept@example.org"]
        assert _outbox_count(other) == 1


def test_enqueue_renders_in_the_recipients_language_with_absolute_links(
        session: Session) -> None:
    settings = Settings(CNA_PUBLIC_URL="https://cna.example.org/")
    with session.begin():
        arabic = enqueue(session, to="Someone@Example.ORG", language="ar-EG", template="test",
                         context={}, settings=settings)
        unknown = enqueue(session, to="b@example.org", language="de", template="test",
                          context={}, settings=settings)
    assert arabic.language == "ar" and unknown.language == "en"
    assert arabic.recipient == "Someone@example.org"  # the domain is normalised
    assert "اختبار" in arabic.subject
    assert 'dir="rtl"' in arabic.body_html and 'lang="ar"' in arabic.body_html
    assert "https://cna.example.org/" in arabic.body_text
    assert 'href="https://cna.example.org/"' in arabic.body_html
    assert unknown.subject == "CNA Directory: test message"
    assert arabic.status == "pending" and arabic.attempts == 0


# --- sending through a real SMTP server on loopback -------------------------------------


class Inbox:
    """An aiosmtpd handler keeping every accepted message; ``answer`` set: every DATA is
    refused with it (e.g. a 451 while the server is in trouble)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.over_tls: list[bool] = []
        self.answer: str | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answer:
            return self.answer
        parsed = BytesParser(policy=email.policy.default).parsebytes(envelope.content)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            self.over_tls.append(server.transport.get_extra_info("ssl_object") is not None)
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        with contextlib.suppress(AssertionError, RuntimeError):  # stopped by the test
            controller.stop()


def _smtp_settings(controller: Controller, tmp_path: Path, **more: Any) -> Settings:
    return Settings(CNA_SMTP_URL=f"smtp://127.0.0.1:{controller.port}",  # loopback: no TLS
                    CNA_DATA_DIR=str(tmp_path), CNA_MAIL_FROM="CNA <no-reply@cna.example.org>",
                    CNA_PUBLIC_URL="https://cna.example.org", **more)


def _queue(count: int, settings: Settings, language: str = "en") -> list[str]:
    with Session(db_engine.get_engine()) as session, session.begin():
        rows = [enqueue(session, to=f"person{n}@example.org", language=language,
                        template="test", context={}, cause=f"test:{n}", settings=settings)
                for n in range(count)]
        session.flush()
        return [row.message_id for row in rows]


def _statuses() -> dict[str, str]:
    with Session(db_engine.get_engine()) as session:
        return {m.message_id: m.status for m in session.scalars(select(MailMessage))}


def test_each_mail_is_sent_exactly_once_with_two_workers_running(
        db_url: str, smtp_server: tuple[Controller, Inbox], tmp_path: Path) -> None:
    controller, inbox = smtp_server
    settings = _smtp_settings(controller, tmp_path)
    queued = _queue(40, settings)
    start = threading.Barrier(2)
    passes: list[MailPass] = []

    def work() -> None:
        start.wait()
        passes.append(run_once(db_engine.get_engine(), settings))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert sorted(inbox.message_ids()) == sorted(queued)  # every one, none twice
    assert sum(p.sent for p in passes) == 40
    assert set(_statuses().values()) == {"sent"}
    assert run_once(db_engine.get_engine(), settings).sent == 0  # nothing left to send


def test_a_claimed_mail_is_left_alone_until_its_lease_runs_out(
        db_url: str, smtp_server: tuple[Controller, Inbox], tmp_path: Path) -> None:
    """A worker that claimed a mail and stopped (crashed) holds it only for its lease."""
    controller, inbox = smtp_server
    settings = _smtp_settings(controller, tmp_path)
    [message_id] = _queue(1, settings)
    now = datetime.now(UTC)
    crashed = claim_next(db_engine.get_engine(), uuid.uuid4(), now, settings)
    assert crashed is not None and crashed.status == "sending" and crashed.attempts == 1
    assert run_once(db_engine.get_engine(), settings, clock=lambda: now).sent == 0
    later = now + timedelta(seconds=LEASE_SECONDS - 1)
    assert run_once(db_engine.get_engine(), settings, clock=lambda: later).sent == 0
    assert inbox.message_ids() == []
    after_lease = now + timedelta(seconds=LEASE_SECONDS + 1)
    assert run_once(db_engine.get_engine(), settings, clock=lambda: after_lease).sent == 1
    assert inbox.message_ids() == [message_id]
    with Session(db_engine.get_engine()) as session:
        row = session.scalars(select(MailMessage)).one()
        assert (row.status, row.attempts, row.lease_owner) == ("sent", 2, None)


def test_an_smtp_outage_delays_mail_but_loses_none(
        db_url: str, smtp_server: tuple[Controller, Inbox], tmp_path: Path) -> None:
    controller, inbox = smtp_server
    settings = _smtp_settings(controller, tmp_path, CNA_MAIL_BACKOFF_SECONDS=30)
    engine = db_engine.get_engine()
    queued = _queue(3, settings)
    now = datetime.now(UTC)

    # The server answers 451 (try again later): each mail is tried, kept, and rescheduled.
    inbox.answer = "451 4.3.0 Try again later"
    first = run_once(engine, settings, clock=lambda: now)
    assert (first.sent, first.retrying, first.failed) == (0, 3, 0)
    with Session(engine) as session:
        rows = list(session.scalars(select(MailMessage)))
    assert {(r.status, r.attempts) for r in rows} == {("pending", 1)}
    assert all(r.last_error and "451" in r.last_error for r in rows)
    assert all(r.next_attempt_at == now + timedelta(seconds=30) for r in rows)
    assert run_once(engine, settings, clock=lambda: now + timedelta(seconds=29)).retrying == 0

    # The server is down: the pass stops at the first mail (the rest waits untouched).
    controller.stop()
    second_at = now + timedelta(seconds=31)
    second = run_once(engine, settings, clock=lambda: second_at)
    assert (second.sent, second.retrying) == (0, 1)
    with Session(engine) as session:
        attempts = sorted(r.attempts for r in session.scalars(select(MailMessage)))
        retried = session.scalars(select(MailMessage).where(
            col(MailMessage.attempts) == 2)).one()
    assert attempts == [1, 1, 2]
    assert retried.next_attempt_at == second_at + timedelta(seconds=60)  # doubled
    assert retried.last_error and "ConnectionRefusedError" in retried.last_error

    # Back up: everything goes out, once.
    inbox.answer = None
    restarted = Controller(inbox, hostname="127.0.0.1", port=controller.port)
    restarted.start()
    back = now + timedelta(seconds=31 + 61)
    try:
        assert run_once(engine, settings, clock=lambda: back).sent == 3
    finally:
        restarted.stop()
    assert sorted(inbox.message_ids()) == sorted(queued)
    assert set(_statuses().values()) == {"sent"}


def test_a_mail_is_marked_failed_after_its_last_attempt_or_a_permanent_refusal(
        db_url: str, smtp_server: tuple[Controller, Inbox], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    controller, inbox = smtp_server
    settings = _smtp_settings(controller, tmp_path, CNA_MAIL_MAX_ATTEMPTS=2)
    engine = db_engine.get_engine()
    _queue(1, settings)
    now = datetime.now(UTC)
    inbox.answer = "452 4.2.2 Mailbox full"
    assert run_once(engine, settings, clock=lambda: now).retrying == 1
    assert run_once(engine, settings, clock=lambda: now + timedelta(hours=1)).failed == 1
    inbox.answer = "554 5.7.1 <person0@example.org> refused"
    _queue(1, settings)
    with caplog.at_level(logging.INFO, logger="app"):
        assert run_once(engine, settings, clock=lambda: now + timedelta(hours=2)).failed == 1
    with Session(engine) as session:
        rows = list(session.scalars(select(MailMessage).order_by(col(MailMessage.id))))
    assert [(r.status, r.attempts) for r in rows] == [("failed", 2), ("failed", 1)]
    assert rows[1].last_error and "554" in rows[1].last_error
    assert "person0@example.org" in rows[1].last_error  # for the secretariat, not the log
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("app"))
    assert "SMTPDataError 554" in ours and "person0" not in ours
    # Failed mail stays failed: later passes leave it alone.
    assert run_once(engine, settings, clock=lambda: now + timedelta(days=1)).failed == 0


def test_a_row_no_message_can_carry_fails_instead_of_blocking_the_outbox(
        db_url: str, smtp_server: tuple[Controller, Inbox], tmp_path: Path) -> None:
    """A recipient that bypassed enqueue's checks (header injection) is never sent."""
    controller, inbox = smtp_server
    settings = _smtp_settings(controller, tmp_path)
    [good] = _queue(1, settings)
    with Session(db_engine.get_engine()) as session, session.begin():
        session.execute(text(
            "INSERT INTO mail_outbox (message_id, recipient, language, template, subject, "
            "body_text, body_html, next_attempt_at) VALUES ('<bad@cna.example.org>', "
            "E'a@example.org\\r\\nBcc: b@example.org', 'en', 'test', 's', 't', 'h', "
            "now() - interval '1 hour')"))
    stats = run_once(db_engine.get_engine(), settings)
    assert (stats.sent, stats.failed) == (1, 1)
    assert inbox.message_ids() == [good]
    assert _statuses()["<bad@cna.example.org>"] == "failed"


def test_the_message_is_multipart_text_and_html_in_the_recipients_language(
        db_url: str, smtp_server: tuple[Controller, Inbox], tmp_path: Path) -> None:
    controller, inbox = smtp_server
    settings = _smtp_settings(controller, tmp_path)
    [message_id] = _queue(1, settings, language="fr-CA")
    assert run_once(db_engine.get_engine(), settings).sent == 1
    [message] = inbox.messages
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert str(message["Message-ID"]) == message_id
    assert str(message["From"]) == "CNA <no-reply@cna.example.org>"
    assert str(message["To"]) == "person0@example.org"
    assert str(message["Subject"]) == "Annuaire des ANC : message d'essai"
    assert message["Content-Language"] == "fr"
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(text_part, EmailMessage) and isinstance(html_part, EmailMessage)
    assert "Bonjour," in text_part.get_content()
    assert "https://cna.example.org/" in text_part.get_content().splitlines()
    assert 'href="https://cna.example.org/"' in html_part.get_content()
    assert '<html lang="fr" dir="ltr">' in html_part.get_content()


def test_html_escapes_the_context_and_the_text_keeps_it(tmp_path: Path) -> None:
    (tmp_path / "hello.json").write_text(json.dumps(
        {"en": {"subject": "Hi {{ name }}", "hello": "Hello {{ name }}"}}), "utf-8")
    (tmp_path / "hello.txt").write_text("{{ t.hello }} {{ absolute_url(path) }}", "utf-8")
    (tmp_path / "hello.html").write_text("<p>{{ t.hello }}</p><a href=\"{{ absolute_url(path) }}"
                                         "\">{{ name }}</a>", "utf-8")
    rendered = MailRenderer(Settings(), tmp_path).render(
        "hello", "zh", {"name": "<b>Ann & Bo</b>\r\nBcc: x@evil.example", "path": "/a?b=1&c=2"})
    assert rendered.language == "zh"
    assert rendered.text == "Hello <b>Ann & Bo</b>\r\nBcc: x@evil.example " \
                            "http://127.0.0.1:8000/a?b=1&c=2"
    assert "<b>" not in rendered.html and "&lt;b&gt;Ann &amp; Bo&lt;/b&gt;" in rendered.html
    assert 'href="http://127.0.0.1:8000/a?b=1&amp;c=2"' in rendered.html
    assert "\n" not in rendered.subject and "\r" not in rendered.subject


def test_enqueue_refuses_an_unknown_template_or_a_bad_address(session: Session) -> None:
    for template in ("no_such_mail", "../test", "_layout"):
        with pytest.raises(ValueError, match="unknown mail template"):
            enqueue(session, to="a@example.org", language="en", template=template,
                    context={})
    for address in ("not-an-address", "a@example.org\r\nBcc: b@example.org", "a@b@c"):
        with pytest.raises(ValueError, match="not a mail address"):
            enqueue(session, to=address, language="en", template="test", context={})
    session.flush()
    assert _outbox_count(session) == 0


def test_a_password_in_the_smtp_url_is_never_logged_nor_kept(
        db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The server refuses the credentials: the error is kept, the password is not."""
    secret = "s3cret-Pa55word"

    class Refuse:
        def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                           auth_data: Any) -> AuthResult:
            return AuthResult(success=False, handled=False)

    controller = Controller(Inbox(), hostname="127.0.0.1", port=_free_port(),
                            authenticator=Refuse(), auth_require_tls=False)
    controller.start()
    try:
        settings = Settings(CNA_SMTP_URL=f"smtp://cna:{secret}@127.0.0.1:{controller.port}",
                            CNA_DATA_DIR=str(tmp_path))
        _queue(1, settings)
        with caplog.at_level(logging.DEBUG, logger="app"):  # the server's own log aside
            stats = run_once(db_engine.get_engine(), settings)
    finally:
        controller.stop()
    assert stats.retrying == 1
    with Session(db_engine.get_engine()) as session:
        row = session.scalars(select(MailMessage)).one()
    assert row.last_error and "535" in row.last_error
    assert secret not in row.last_error
    assert secret not in caplog.text and row.body_text not in caplog.text
    assert "@example.org" in caplog.text and "person0" not in caplog.text


class Credentials:
    """An aiosmtpd authenticator accepting one user name and password."""

    def __init__(self, username: str, password: str) -> None:
        self.expected = (username.encode(), password.encode())
        self.seen: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        given = (auth_data.login, auth_data.password)
        self.seen.append(auth_data.login.decode())
        return AuthResult(success=given == self.expected)


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


def _tls_contexts(authority: trustme.CA) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(the server's context, a client context trusting the test CA)."""
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    authority.configure_trust(client)
    return server, client


def test_smtp_upgrades_with_starttls_and_logs_in_over_tls(
        db_url: str, tmp_path: Path, certificate_authority: trustme.CA) -> None:
    server_tls, client_tls = _tls_contexts(certificate_authority)
    inbox, credentials = Inbox(), Credentials("cna", "p@ss word")
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(),
                            tls_context=server_tls, require_starttls=True,
                            authenticator=credentials, auth_require_tls=True)
    controller.start()
    try:
        url = f"smtp://cna:p%40ss%20word@127.0.0.1:{controller.port}"
        settings = Settings(CNA_SMTP_URL=url, CNA_DATA_DIR=str(tmp_path))
        _queue(1, settings)
        # The system's CAs do not know the test CA: the certificate is refused, mail kept.
        refused = run_once(db_engine.get_engine(), settings)
        assert (refused.sent, refused.retrying) == (0, 1)
        with Session(db_engine.get_engine()) as session:
            row = session.scalars(select(MailMessage)).one()
        assert row.last_error and "SSLCertVerificationError" in row.last_error
        assert credentials.seen == [] and inbox.messages == []

        trusted = SmtpTransport(SmtpTarget.parse(url), ssl_context=client_tls)
        later = datetime.now(UTC) + timedelta(minutes=5)
        try:
            sent = run_once(db_engine.get_engine(), settings, clock=lambda: later,
                            transport=trusted)
        finally:
            trusted.close()
    finally:
        controller.stop()
    assert sent.sent == 1
    assert credentials.seen == ["cna"] and inbox.over_tls == [True]


def test_plain_smtp_is_refused_off_loopback(
        db_url: str, smtp_server: tuple[Controller, Inbox], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that offers no STARTTLS gets nothing unless it is on loopback (the test
    server is; the transport is told it is not)."""
    controller, inbox = smtp_server
    settings = _smtp_settings(controller, tmp_path)
    _queue(1, settings)
    monkeypatch.setattr(SmtpTarget, "loopback", property(lambda self: False))
    stats = run_once(db_engine.get_engine(), settings)
    assert (stats.sent, stats.retrying) == (0, 1) and inbox.messages == []
    with Session(db_engine.get_engine()) as session:
        row = session.scalars(select(MailMessage)).one()
    assert row.status == "pending" and row.last_error
    assert "does not offer STARTTLS" in row.last_error


def test_smtps_speaks_tls_from_the_start(
        db_url: str, tmp_path: Path, certificate_authority: trustme.CA) -> None:
    server_tls, client_tls = _tls_contexts(certificate_authority)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(),
                            ssl_context=server_tls)
    controller.start()
    try:
        url = f"smtps://127.0.0.1:{controller.port}"
        settings = Settings(CNA_SMTP_URL=url, CNA_DATA_DIR=str(tmp_path))
        _queue(1, settings)
        trusted = SmtpTransport(SmtpTarget.parse(url), ssl_context=client_tls)
        try:
            assert run_once(db_engine.get_engine(), settings, transport=trusted).sent == 1
        finally:
            trusted.close()
    finally:
        controller.stop()
    assert inbox.over_tls == [True]


def test_smtp_urls_are_checked_without_repeating_them() -> None:
    assert SmtpTarget.parse("smtp://relay.example.org") == SmtpTarget(
        implicit_tls=False, host="relay.example.org", port=587, username=None, password=None)
    assert SmtpTarget.parse("smtps://u%40x:p%3Aw@[::1]").port == 465
    assert SmtpTarget.parse("smtps://u%40x:p%3Aw@[::1]").password == "p:w"
    assert SmtpTarget.parse("smtp://localhost:25").loopback
    assert not SmtpTarget.parse("smtp://relay.example.org:25").loopback
    for bad in ("http://u:hunter2-secret@relay.example.org", "smtp://u:hunter2-secret@:25",
                "smtp://u:hunter2-secret@relay.example.org:99999"):
        with pytest.raises(MailConfigError) as refused:
            SmtpTarget.parse(bad)
        assert "hunter2" not in str(refused.value)
    with pytest.raises(MailConfigError):
        check_mail_settings(Settings(CNA_MAIL_FROM="not an address"))


# --- without SMTP: the local Maildir ----------------------------------------------------


@pytest.fixture
def local_mail_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The process's settings without SMTP, mail going to ``tmp_path/mail``."""
    monkeypatch.setenv("CNA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CNA_PUBLIC_URL", "https://cna.example.org")
    monkeypatch.delenv("CNA_SMTP_URL", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    monkeypatch.undo()
    get_settings.cache_clear()


def test_without_smtp_mail_lands_in_the_maildir_and_cna_mail_reads_it(
        db_url: str, tmp_path: Path, local_mail_settings: Settings) -> None:
    from app.cli.main import app as cli

    settings = local_mail_settings
    [message_id] = _queue(1, settings, language="ru")
    assert run_once(db_engine.get_engine(), settings).sent == 1
    box = mailbox.Maildir(tmp_path / "mail", create=False)
    [key] = list(box.iterkeys())

    runner = CliRunner()
    listed = runner.invoke(cli, ["mail", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    [item] = json.loads(listed.stdout)
    assert item["id"] == key and item["message_id"] == message_id
    assert item["to"] == "person0@example.org"
    assert item["subject"] == "Справочник КНО: тестовое сообщение"

    shown = runner.invoke(cli, ["mail", "show", key[:12]])
    assert shown.exit_code == 0, shown.output
    assert "Subject: Справочник КНО: тестовое сообщение" in shown.stdout
    assert "Здравствуйте!" in shown.stdout
    links = shown.stdout.split("\nLinks:\n")[1].split()
    assert "https://cna.example.org/" in links

    missing = runner.invoke(cli, ["mail", "show", "nothing-like-this"])
    assert missing.exit_code == 1
    for command in (["mail", "--help"], ["mail", "list", "--help"], ["mail", "show", "--help"],
                    ["mail", "send-test", "--help"]):
        assert runner.invoke(cli, command).exit_code == 0


def test_cna_worker_once_sends_the_outbox(
        db_url: str, tmp_path: Path, local_mail_settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli.main import app as cli

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("MEILI_URL", raising=False)
    get_settings.cache_clear()
    queued = _queue(2, local_mail_settings)
    previous_sigterm = signal.getsignal(signal.SIGTERM)
    try:
        result = CliRunner().invoke(cli, ["worker", "--once"])
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
        db_engine.configure_engine(db_url)  # the command disposed of its engine
    assert result.exit_code == 0, result.output
    assert "mail: sent 2" in result.output
    box = mailbox.Maildir(tmp_path / "mail", create=False)
    assert sorted(str(m["Message-ID"]) for m in box) == sorted(queued)
    assert set(_statuses().values()) == {"sent"}


# --- what the secretariat sees ------------------------------------------------------------


def test_the_secretariat_sees_undelivered_mail_without_bodies(
        client: TestClient, session: Session, smtp_server: tuple[Controller, Inbox],
        tmp_path: Path) -> None:
    controller, inbox = smtp_server
    settings = _smtp_settings(controller, tmp_path)
    keys = {role: create_key(session, role)[0] for role in Role}
    session.commit()
    _queue(2, settings)
    inbox.answer = "451 4.3.0 Try again later"
    run_once(db_engine.get_engine(), settings, max_messages=1)

    for role in (Role.official, Role.network, Role.focal_point):
        denied = client.get("/v1/mail", headers={"Authorization": f"Bearer {keys[role]}"})
        assert denied.status_code == 403
        assert denied.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/mail").status_code == 401

    secretariat = {"Authorization": f"Bearer {keys[Role.secretariat]}"}
    answer = client.get("/v1/mail", headers=secretariat)
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [(i["status"], i["attempts"]) for i in items] == [("pending", 0), ("pending", 1)]
    retried = items[1]
    assert retried["recipient"] == "person0@example.org" and retried["template"] == "test"
    assert "451" in retried["last_error"] and retried["next_attempt_at"]
    assert retried["cause"] == "test:0" and retried["created_at"]
    assert not {"subject", "body_text", "body_html"} & set(retried)
    assert "cna.example.org/" not in answer.text  # nothing of the body
    assert client.get("/v1/mail?status=failed", headers=secretariat).json()["items"] == []
    bad = client.get("/v1/mail?status=lost", headers=secretariat)
    assert bad.status_code == 422
