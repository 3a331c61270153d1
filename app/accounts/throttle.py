"""Failed sign-ins and password-reset requests, counted in Postgres.

Counters are kept per *subject*: the e-mail address typed (whether or not an account has
it, so an unknown address is throttled exactly like a known one) and the client address.
Only SHA-256 digests of subjects are stored.  Each count is one atomic upsert, so workers
and processes share it.  A refused try is answered at once with 429 and Retry-After;
nothing sleeps.

Sign-in, per e-mail address: ``sign_in_free_failures`` failures in a window are free; each
further one makes the next try wait 2, 4, 8, … seconds; at ``sign_in_lock_failures`` the
address is locked for ``sign_in_lock_minutes`` (and, for an account, its owner gets a mail).
Per client address the same doubling delays start after ``sign_in_address_free_failures``
(no lock).  Password-reset requests: at most so many per hour per e-mail and per client.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from app.accounts.models import AttemptCounter
from app.accounts.service import find_by_email
from app.accounts.tokens import token_digest
from app.core.problems import Problem
from app.core.settings import Settings

SIGN_IN_EMAIL = "sign_in:email"
SIGN_IN_CLIENT = "sign_in:client"
RESET_EMAIL = "reset:email"
RESET_CLIENT = "reset:client"
TOO_MANY_SIGN_INS = "too many failed sign-ins; try again later"
TOO_MANY_RESETS = "too many password-reset requests; try again later"


def subject_digest(subject: str) -> str:
    return token_digest(subject.strip().lower())


def email_subject(email: str) -> str:
    """What an e-mail address is counted as: its case-folded, trimmed form (a cheap, total
    normalisation, so that invalid input is counted too)."""
    return email.strip().lower()[:320]


@dataclass(frozen=True)
class Counted:
    count: int
    window_started_at: datetime


def _count(session: Session, scope: str, subject: str, now: datetime,
           window: timedelta) -> Counted:
    """One more for this subject: a new window when the last one is over.  Row-locked
    until the caller's transaction ends."""
    table = AttemptCounter.__table__  # type: ignore[attr-defined]
    digest = subject_digest(subject)
    fresh = table.c.window_started_at <= now - window
    first = insert(table).values(scope=scope, subject_digest=digest, count=1,
                                 window_started_at=now)
    statement = first.on_conflict_do_update(
        index_elements=[table.c.scope, table.c.subject_digest],
        set_={"count": case((fresh, 1), else_=table.c.count + 1),
              "window_started_at": case((fresh, now), else_=table.c.window_started_at)},
    ).returning(table.c.count, table.c.window_started_at)
    count, started = session.execute(statement).one()
    return Counted(count=count, window_started_at=started)


def _block(session: Session, scope: str, subject: str, until: datetime, *,
           reset_count: bool = False) -> None:
    values: dict[str, object] = {"blocked_until": until}
    if reset_count:
        values["count"] = 0
    session.execute(update(AttemptCounter)
                    .where(col(AttemptCounter.scope) == scope)
                    .where(col(AttemptCounter.subject_digest) == subject_digest(subject))
                    .values(**values))


def _blocked_until(session: Session, scope: str, subject: str) -> datetime | None:
    return session.scalars(select(AttemptCounter.blocked_until)
                           .where(col(AttemptCounter.scope) == scope)
                           .where(col(AttemptCounter.subject_digest) == subject_digest(subject))
                           ).one_or_none()


def too_many(detail: str, retry_after: timedelta) -> Problem:
    seconds = max(1, math.ceil(retry_after.total_seconds()))
    return Problem(status=429, detail=detail, headers={"Retry-After": str(seconds)},
                   extra={"retry_after": seconds})


def _delay(failures: int, free: int, cap: timedelta) -> timedelta | None:
    """No wait for the first ``free`` failures, then 2, 4, 8, … seconds, at most ``cap``."""
    if failures <= free:
        return None
    exponent = min(failures - free, 30)
    return min(timedelta(seconds=2 ** exponent), cap)


# -- sign-in ----------------------------------------------------------------------------------

def check_sign_in(session: Session, *, email: str, client_address: str | None,
                  now: datetime) -> None:
    """Refuse (429, Retry-After) while the e-mail address or the client must wait."""
    waits = [until for until in (
        _blocked_until(session, SIGN_IN_EMAIL, email_subject(email)),
        _blocked_until(session, SIGN_IN_CLIENT, client_address) if client_address else None,
    ) if until is not None and until > now]
    if waits:
        raise too_many(TOO_MANY_SIGN_INS, max(waits) - now)


def sign_in_failed(session: Session, settings: Settings, *, email: str,
                   client_address: str | None, now: datetime) -> bool:
    """Count a failed sign-in (in the caller's transaction).  True when it locked the
    e-mail address just now."""
    window = timedelta(minutes=settings.sign_in_window_minutes)
    lock = timedelta(minutes=settings.sign_in_lock_minutes)
    subject = email_subject(email)
    locked = False
    counted = _count(session, SIGN_IN_EMAIL, subject, now, window)
    if counted.count >= settings.sign_in_lock_failures:
        _block(session, SIGN_IN_EMAIL, subject, now + lock, reset_count=True)
        locked = True
    else:
        delay = _delay(counted.count, settings.sign_in_free_failures, lock)
        if delay is not None:
            _block(session, SIGN_IN_EMAIL, subject, now + delay)
    if client_address:
        by_client = _count(session, SIGN_IN_CLIENT, client_address, now, window)
        delay = _delay(by_client.count, settings.sign_in_address_free_failures, lock)
        if delay is not None:
            _block(session, SIGN_IN_CLIENT, client_address, now + delay)
    return locked


def sign_in_succeeded(session: Session, *, email: str) -> None:
    """A right password: the e-mail address starts afresh (the client's count stays)."""
    session.execute(delete(AttemptCounter)
                    .where(col(AttemptCounter.scope) == SIGN_IN_EMAIL)
                    .where(col(AttemptCounter.subject_digest)
                           == subject_digest(email_subject(email))))


def current_time() -> datetime:
    """The clock of throttling and reset links (a dependency, so tests can set it)."""
    return datetime.now(UTC)


@contextmanager
def guarded_sign_in(session: Session, settings: Settings, *, email: str,
                    client_address: str | None, now: datetime) -> Iterator[None]:
    """Around a sign-in: refused (429) while the address or client must wait; a 401 inside
    is counted and committed before it goes on (with the lock mail when it locks an
    account); success clears the e-mail address's count."""
    check_sign_in(session, email=email, client_address=client_address, now=now)
    try:
        yield
    except Problem as refused:
        if refused.status == 401:
            session.rollback()
            if sign_in_failed(session, settings, email=email, client_address=client_address,
                              now=now):
                _mail_lock(session, settings, email)
            session.commit()
        raise
    sign_in_succeeded(session, email=email)


def _mail_lock(session: Session, settings: Settings, email: str) -> None:
    from app.mail.outbox import enqueue

    account = find_by_email(session, email) if len(email) <= 320 else None
    if account is None or account.status in ("invited", "closed"):
        return
    enqueue(session, to=account.email, language=account.language, template="sign_in_locked",
            context={"name": account.display_name, "failures": settings.sign_in_lock_failures,
                     "minutes": settings.sign_in_lock_minutes, "path": "/password-reset"},
            cause=f"sign_in_locked:{account.id}", settings=settings)


# -- password-reset requests -----------------------------------------------------------------

def count_reset_request(session: Session, settings: Settings, *, email: str,
                        client_address: str | None, now: datetime) -> None:
    """Count one request; refuse (429) beyond the hourly limits of the e-mail address or the
    client.  The count is the caller's to commit, also when refused."""
    hour = timedelta(hours=1)
    limits = [(RESET_EMAIL, email_subject(email), settings.password_reset_per_hour)]
    if client_address:
        limits.append((RESET_CLIENT, client_address, settings.password_reset_address_per_hour))
    for scope, subject, limit in limits:
        counted = _count(session, scope, subject, now, hour)
        if counted.count > limit:
            raise too_many(TOO_MANY_RESETS, counted.window_started_at + hour - now)
