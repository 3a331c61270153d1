"""Sending the outbox (run by ``cna worker``): each mail once, retried with backoff.

A pass claims one due row at a time:

1. In a short transaction, ``SELECT … FOR UPDATE SKIP LOCKED`` picks the oldest due row
   (``pending``, or ``sending`` with its lease run out) that no other worker is claiming;
   it becomes ``sending``, leased to this worker for ``LEASE_SECONDS``, with ``attempts``
   counted; the transaction commits. No other worker takes the row while the lease runs.
2. With no transaction open, the mail goes to the SMTP server (or the Maildir).
3. A second transaction records the result, only if this worker still holds the lease:
   ``sent``; or ``pending`` again with ``next_attempt_at`` pushed back (the backoff
   doubles from ``CNA_MAIL_BACKOFF_SECONDS``, at most an hour); or ``failed`` after
   ``CNA_MAIL_MAX_ATTEMPTS`` attempts, or at once when the server refuses the recipient
   or the message for good (5xx). A failed mail stays in the outbox: the secretariat sees
   it in ``GET /v1/mail``.

The crash window: a worker that dies (or stalls past its lease) after the server accepted
the mail and before step 3 commits leaves the row ``sending``; once the lease has run out
another worker sends it again, with the same Message-ID. Between healthy workers a mail is
never sent twice: a send is bounded by the SMTP timeouts, well inside the lease.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from app.core.loops import repeat_until_stopped
from app.core.settings import Settings, get_settings
from app.mail.models import MailMessage, MailStatus
from app.mail.sender import SendFailure, Transport, build_email, open_transport

log = logging.getLogger(__name__)

LEASE_SECONDS = 600
MAX_BACKOFF_SECONDS = 3600
MESSAGES_PER_PASS = 200

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class MailPass:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    seconds = settings.mail_backoff_seconds * 2 ** min(attempts - 1, 30)
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def _domain(address: str) -> str:
    return address.rpartition("@")[2]


def claim_next(engine: Engine, owner: uuid.UUID, now: datetime,
               settings: Settings) -> MailMessage | None:
    """Lease the oldest due mail to ``owner`` and commit; None when nothing is due."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        while True:
            row = session.scalars(
                select(MailMessage)
                .where(col(MailMessage.status).in_([MailStatus.pending, MailStatus.sending]),
                       col(MailMessage.next_attempt_at) <= now)
                .order_by(col(MailMessage.next_attempt_at), col(MailMessage.id))
                .limit(1).with_for_update(skip_locked=True)).first()
            if row is None:
                return None
            if row.status == MailStatus.sending and row.attempts >= settings.mail_max_attempts:
                # Its worker stopped during the last attempt: give up (it may have gone out).
                row.status = MailStatus.failed
                row.last_error = ("the worker stopped while sending the last attempt; "
                                  "the mail may or may not have been delivered")
                row.lease_owner = row.lease_until = None
                session.add(row)
                session.flush()
                continue
            lease_until = now + timedelta(seconds=LEASE_SECONDS)
            row.status = MailStatus.sending
            row.lease_owner = owner
            row.lease_until = row.next_attempt_at = lease_until
            row.attempts += 1
            row.last_attempt_at = now
            session.add(row)
            return row


def _record(engine: Engine, row: MailMessage, owner: uuid.UUID, **values: object) -> bool:
    """Write the outcome if ``owner`` still holds the lease (False: it had run out)."""
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(MailMessage)
            .where(col(MailMessage.id) == row.id, col(MailMessage.lease_owner) == owner,
                   col(MailMessage.status) == MailStatus.sending)
            .values(lease_owner=None, lease_until=None, **values))
        return bool(getattr(result, "rowcount", 0))


def send_one(engine: Engine, transport: Transport, row: MailMessage, owner: uuid.UUID,
             now: datetime, settings: Settings, stats: MailPass) -> bool:
    """Send one claimed mail and record the outcome; False when the server is down."""
    try:
        try:
            message = build_email(row, settings, now)
        except (ValueError, TypeError) as exc:  # a stored header no message can carry
            raise SendFailure(f"cannot build the message: {type(exc).__name__}",
                              "unbuildable", permanent=True) from None
        transport.send(message)
    except SendFailure as failure:
        reason = str(failure)
        if failure.permanent or row.attempts >= settings.mail_max_attempts:
            _record(engine, row, owner, status=MailStatus.failed, last_error=reason)
            stats.failed += 1
            log.warning(f"mail {row.message_id} to @{_domain(row.recipient)} failed after "
                        f"{row.attempts} attempt(s): {failure.summary}")
        else:
            _record(engine, row, owner, status=MailStatus.pending, last_error=reason,
                    next_attempt_at=now + backoff(settings, row.attempts))
            stats.retrying += 1
            log.info(f"mail {row.message_id} to @{_domain(row.recipient)} will be retried "
                     f"(attempt {row.attempts}): {failure.summary}")
        return not failure.server_down
    if _record(engine, row, owner, status=MailStatus.sent, sent_at=now):
        stats.sent += 1
        log.info(f"mail {row.message_id} sent to @{_domain(row.recipient)}")
    else:
        log.warning(f"mail {row.message_id} was sent after its lease ran out")
    return True


def run_once(engine: Engine, settings: Settings | None = None, *,
             clock: Clock = utc_now, transport: Transport | None = None,
             max_messages: int = MESSAGES_PER_PASS) -> MailPass:
    """Send what is due. Stops early when the server is unreachable: the rest waits."""
    settings = settings or get_settings()
    owner = uuid.uuid4()
    stats = MailPass()
    if transport is None:
        with open_transport(settings) as opened:
            return _drain(engine, settings, clock, opened, owner, stats, max_messages)
    return _drain(engine, settings, clock, transport, owner, stats, max_messages)


def _drain(engine: Engine, settings: Settings, clock: Clock, transport: Transport,
           owner: uuid.UUID, stats: MailPass, max_messages: int) -> MailPass:
    for _ in range(max_messages):
        row = claim_next(engine, owner, clock(), settings)
        if row is None:
            break
        if not send_one(engine, transport, row, owner, clock(), settings, stats):
            break
    return stats


def run_forever(engine: Engine, settings: Settings | None = None, interval: float = 1.0,
                stop: threading.Event | None = None) -> None:
    """The mail loop of ``cna worker``; any number may run side by side."""
    repeat_until_stopped(lambda: run_once(engine, settings), name="mail", interval=interval,
                         stop=stop or threading.Event())

