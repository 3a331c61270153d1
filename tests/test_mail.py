"""Mail: the outbox written with its cause, rendering, and sending through a real SMTP
server on loopback (aiosmtpd) or into the Maildir."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlmodel import Session

from app.core.settings import Settings
from app.db import engine as db_engine
from app.mail.models import MailMessage
from app.mail.outbox import enqueue


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
