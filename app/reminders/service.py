"""Reminders: each focal point whose State has records not verified for
``CNA_VERIFY_AFTER_MONTHS`` gets one digest mail, in their language, listing those records
with a link to open, confirm and edit each.  Nobody gets more than one digest in 7 days.

The weekly job in ``cna worker``, ``cna reminders send`` and the secretariat's "send
reminder" button on /currency all call ``send_reminders``.  It runs under one advisory
lock, so two runs at once cannot both remind the same person; each digest is queued in the
outbox in the caller's transaction, with its ``reminder_digests`` row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.accounts.models import Account
from app.authorities.models import Authority
from app.core.i18n import pick
from app.core.settings import Settings
from app.mail.outbox import enqueue
from app.mail.render import mail_language
from app.reference.service import list_countries
from app.reminders.models import ReminderDigest
from app.web.freshness import months_before

MIN_GAP = timedelta(days=7)
LOCK = "cna.reminders"
CONFIRM_PATH = "/my-state"


@dataclass(frozen=True)
class StaleRecord:
    id: uuid.UUID
    country: str
    name: dict[str, str]
    verified_on: date | None


@dataclass
class Digest:
    """One digest for one person (queued unless the run is a dry run)."""

    account_id: uuid.UUID
    email: str
    language: str
    countries: list[str]
    records: list[StaleRecord]


@dataclass
class ReminderRun:
    dry_run: bool
    digests: list[Digest] = field(default_factory=list)
    # Focal points with stale records who had a digest less than 7 days ago.
    recently_reminded: list[uuid.UUID] = field(default_factory=list)


def stale_before(today: date, settings: Settings) -> date:
    """A record verified on or before this day (or never) is stale."""
    return months_before(today, settings.verify_after_months)


def stale_records(session: Session, countries: Sequence[str], today: date,
                  settings: Settings) -> list[StaleRecord]:
    if not countries:
        return []
    limit = stale_before(today, settings)
    rows = session.execute(
        sa_select(col(Authority.id), col(Authority.country), col(Authority.name),
                  col(Authority.verified_on))
        .where(col(Authority.country).in_(list(countries)),
               col(Authority.status) == "active",
               or_(col(Authority.verified_on).is_(None), col(Authority.verified_on) <= limit))
        .order_by(col(Authority.country), col(Authority.verified_on).nulls_first(),
                  col(Authority.id))).all()
    return [StaleRecord(id=r[0], country=r[1], name=r[2], verified_on=r[3]) for r in rows]


def focal_points(session: Session, country: str | None = None) -> list[Account]:
    """The active focal points (of one State, when given)."""
    stmt = select(Account).where(col(Account.role) == "focal_point",
                                 col(Account.status) == "active")
    if country is not None:
        stmt = stmt.where(col(Account.countries).contains([country]))
    return list(session.scalars(stmt.order_by(col(Account.display_name),
                                              col(Account.email))).all())


def last_digest_at(session: Session, account_id: uuid.UUID) -> datetime | None:
    return session.scalar(select(func.max(ReminderDigest.sent_at))
                          .where(col(ReminderDigest.account_id) == account_id))


def _mail_context(session: Session, account: Account, records: list[StaleRecord],
                  settings: Settings) -> dict[str, object]:
    prefs = [mail_language(account.language), "en"]
    countries = {c.alpha3: pick(c.names, prefs)[1] or c.alpha3 for c in list_countries(session)}
    return {
        "name": account.display_name, "months": settings.verify_after_months,
        "confirm_path": CONFIRM_PATH,
        "records": [{"name": pick(r.name, prefs)[1] or str(r.id),
                     "country": countries.get(r.country, r.country),
                     "verified_on": r.verified_on.isoformat() if r.verified_on else None,
                     "path": f"/authorities/{r.id}",
                     "edit_path": f"/authorities/{r.id}/edit"} for r in records],
    }


def send_reminders(session: Session, settings: Settings, *, now: datetime, trigger: str,
                   country: str | None = None, dry_run: bool = False) -> ReminderRun:
    """Queue one digest per focal point with stale records (of ``country`` only, when
    given) who had none in the last 7 days.  The caller commits (or, for a dry run, rolls
    back: nothing is written then anyway)."""
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(LOCK, 0))))
    run = ReminderRun(dry_run=dry_run)
    today = now.date()
    for account in focal_points(session, country):
        countries = sorted({country} if country else set(account.countries or []))
        records = stale_records(session, countries, today, settings)
        if not records:
            continue
        last = last_digest_at(session, account.id)
        if last is not None and last > now - MIN_GAP:
            run.recently_reminded.append(account.id)
            continue
        digest = Digest(account_id=account.id, email=account.email,
                        language=account.language,
                        countries=sorted({r.country for r in records}), records=records)
        run.digests.append(digest)
        if dry_run:
            continue
        row = ReminderDigest(account_id=account.id, countries=digest.countries,
                             authority_ids=[r.id for r in records], trigger=trigger,
                             sent_at=now)
        session.add(row)
        session.flush()
        mail = enqueue(session, to=account.email, language=account.language,
                       template="reminder_digest",
                       context=_mail_context(session, account, records, settings),
                       cause=f"reminder:{row.id}", settings=settings)
        session.flush()
        row.mail_id = mail.id
    session.flush()
    return run


@dataclass(frozen=True)
class SentDigest:
    sent_at: datetime
    account_name: str
    account_email: str
    records: int
    trigger: str


def digests_for(session: Session, country: str, limit: int = 10) -> list[SentDigest]:
    """The latest digests that listed records of ``country``, newest first."""
    rows = session.execute(
        select(ReminderDigest, Account)
        .join(Account, col(Account.id) == col(ReminderDigest.account_id))
        .where(col(ReminderDigest.countries).contains([country]))
        .order_by(col(ReminderDigest.sent_at).desc(), col(ReminderDigest.id).desc())
        .limit(limit)).all()
    return [SentDigest(sent_at=d.sent_at, account_name=a.display_name, account_email=a.email,
                       records=len(d.authority_ids), trigger=d.trigger) for d, a in rows]


def due(session: Session, settings: Settings, now: datetime) -> bool:
    """Whether the scheduled job should run: every ``CNA_REMINDER_DAYS`` days, counted
    from the last scheduled run that sent anything."""
    if settings.reminder_days == 0:
        return False
    last = session.scalar(select(func.max(ReminderDigest.sent_at))
                          .where(col(ReminderDigest.trigger) == "schedule"))
    return last is None or last <= now - timedelta(days=settings.reminder_days)
