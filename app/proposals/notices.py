"""Mail about proposals: the proposer hears of the decision, the secretariat gets a daily
digest of new proposals.  Both are queued in the caller's transaction (app/mail/outbox)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.access.models import ApiKey
from app.access.principal import Role
from app.accounts.models import Account
from app.authorities.service import get_authority
from app.core.i18n import pick
from app.core.settings import Settings, get_settings
from app.mail.models import MailMessage
from app.mail.outbox import enqueue
from app.proposals.models import Proposal

DIGEST_TEMPLATE = "proposals_digest"
DIGEST_LOCK = "cna:proposals-digest"
DIGEST_ITEMS = 50


def proposer_account(session: Session, proposed_by: str) -> Account | None:
    """The person behind a proposal: its session's account, or a personal key's owner."""
    kind, _, ident = proposed_by.partition(":")
    account_id: uuid.UUID | None = None
    if kind == "account":
        try:
            account_id = uuid.UUID(ident)
        except ValueError:
            return None
    elif kind == "key":
        key = session.scalars(select(ApiKey).where(col(ApiKey.prefix) == ident)).first()
        account_id = key.account_id if key is not None else None
    account = session.get(Account, account_id) if account_id else None
    return account if account is not None and account.status == "active" else None


def record_name(session: Session, proposal: Proposal, language: str) -> str:
    names: dict[str, str] | None = None
    if proposal.document:
        names = proposal.document.get("name")
    elif proposal.authority_id:
        authority = get_authority(session, proposal.authority_id)
        names = authority.name if authority is not None else None
    return pick(names, [language, "en"])[1] or proposal.country


def tell_proposer(session: Session, proposal: Proposal) -> None:
    """Queue the mail telling the proposer how its proposal was decided, and why."""
    account = proposer_account(session, proposal.proposed_by)
    if account is None:
        return
    enqueue(session, to=account.email, language=account.language,
            template="proposal_decided",
            context={"name": account.display_name, "action": proposal.action,
                     "status": proposal.status, "comment": proposal.decision_comment or "",
                     "record": record_name(session, proposal, account.language),
                     "country": proposal.country, "path": "/my-proposals"},
            cause=f"proposal:{proposal.id}:{proposal.status}")


@dataclass(frozen=True)
class DigestRun:
    recipients: int
    proposals: int


def send_digest(session: Session, now: datetime,
                settings: Settings | None = None) -> DigestRun | None:
    """Queue the daily digest of new pending proposals to every active secretariat
    account; None when it is not due (before the hour (UTC), already sent that day, or
    nothing new since the last one).

    Workers serialise on an advisory lock, and each digest names its day in the outbox
    (``cause``), so there is at most one a day whatever the number of workers."""
    settings = settings or get_settings()
    hour = settings.proposals_digest_hour
    if hour < 0 or now < datetime.combine(now.date(), time(hour), tzinfo=now.tzinfo):
        return None
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(DIGEST_LOCK, 0))))
    cause = f"{DIGEST_TEMPLATE}:{now.date().isoformat()}"
    if session.scalars(select(MailMessage.id).where(col(MailMessage.template) == DIGEST_TEMPLATE,
                                                    col(MailMessage.cause) == cause)
                       .limit(1)).first() is not None:
        return None
    last = session.scalar(select(func.max(MailMessage.created_at))
                          .where(col(MailMessage.template) == DIGEST_TEMPLATE))
    since = last or now - timedelta(days=1)
    new = session.scalars(
        select(Proposal).where(col(Proposal.status) == "pending",
                               col(Proposal.created_at) > since)
        .order_by(col(Proposal.created_at), col(Proposal.id))).all()
    if not new:
        return None
    recipients = session.scalars(
        select(Account).where(col(Account.role) == Role.secretariat.value,
                              col(Account.status) == "active")).all()
    for account in recipients:
        items: list[dict[str, Any]] = [
            {"country": p.country, "action": p.action,
             "record": record_name(session, p, account.language)}
            for p in new[:DIGEST_ITEMS]]
        enqueue(session, to=account.email, language=account.language,
                template=DIGEST_TEMPLATE,
                context={"name": account.display_name, "count": len(new), "items": items,
                         "more": max(0, len(new) - DIGEST_ITEMS), "path": "/inbox"},
                cause=cause, settings=settings)
    return DigestRun(recipients=len(recipients), proposals=len(new))
