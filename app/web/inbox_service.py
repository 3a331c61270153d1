"""What the proposal pages show: the secretariat's inbox, a focal point's State and its
proposals.  Reads only; the pages write through app/proposals/service.py like the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from babel.dates import format_date, format_timedelta
from sqlmodel import Session, col, select

from app.access.principal import Principal
from app.authorities.models import Authority
from app.authorities.service import get_authority
from app.core.i18n import pick
from app.proposals import service as proposals
from app.proposals.models import Proposal
from app.proposals.notices import proposer_account
from app.web.record_diff import DiffRow, Labels, readable_diff

INBOX_LIMIT = 200
MY_STATE_LIMIT = 1000
ACTIONS = ("create", "update", "withdraw", "confirm")


@dataclass
class InboxItem:
    proposal: Proposal
    record_name: str
    proposer: str
    diff: list[DiffRow]
    stale: bool = False
    changed_since: list[DiffRow] = field(default_factory=list)
    mergeable: bool = False


def _name(names: dict[str, str] | None, lang: str, fallback: str) -> str:
    return pick(names, [lang, "en"])[1] or fallback


def _proposer_name(session: Session, proposed_by: str) -> str:
    account = proposer_account(session, proposed_by)
    return f"{account.display_name} <{account.email}>" if account else proposed_by


def _record_name(session: Session, proposal: Proposal, lang: str) -> str:
    names = (proposal.document or {}).get("name")
    if not names and proposal.authority_id:
        authority = get_authority(session, proposal.authority_id)
        names = authority.name if authority else None
    return _name(names, lang, proposal.country)


def inbox(session: Session, lang: str, labels: Labels, country: str | None,
          action: str | None) -> list[InboxItem]:
    """Pending proposals, oldest first, each with its readable diff and, when made on an
    older version, what changed since and whether it can be applied on top."""
    stmt = select(Proposal).where(col(Proposal.status) == "pending")
    if country:
        stmt = stmt.where(col(Proposal.country) == country)
    if action:
        stmt = stmt.where(col(Proposal.action) == action)
    rows = session.scalars(stmt.order_by(col(Proposal.created_at), col(Proposal.id))
                           .limit(INBOX_LIMIT)).all()
    items = []
    for proposal in rows:
        before, after = proposals.proposed_change(session, proposal)
        item = InboxItem(proposal=proposal, record_name=_record_name(session, proposal, lang),
                         proposer=_proposer_name(session, proposal.proposed_by),
                         diff=readable_diff(before, after, lang, labels))
        stale = proposals.staleness(session, proposal)
        if stale is not None:
            item.stale = True
            item.changed_since = readable_diff(stale.base, stale.current, lang, labels)
            item.mergeable = stale.mergeable
        items.append(item)
    return items


def pending_countries(session: Session) -> list[str]:
    return sorted(set(session.scalars(
        select(Proposal.country).where(col(Proposal.status) == "pending")).all()))


@dataclass
class StateRecord:
    authority: Authority
    name: str
    verified_on: str | None
    verified_ago: str | None
    pending: list[Proposal]


def _verified(verified_on: date | None, lang: str,
              today: date) -> tuple[str | None, str | None]:
    """The day as the reader writes it, and the time since (``7 months ago``)."""
    if verified_on is None:
        return None, None
    ago = format_timedelta(verified_on - today, granularity="day", add_direction=True,
                           locale=lang)
    return format_date(verified_on, format="long", locale=lang), ago


def my_state(session: Session, principal: Principal, lang: str,
             today: date | None = None) -> list[StateRecord]:
    """Every record of the focal point's State(s), with status, verification and pending
    proposals."""
    today = today or datetime.now(UTC).date()
    stmt = select(Authority)
    if principal.countries is not None:
        stmt = stmt.where(col(Authority.country).in_(sorted(principal.countries)))
    records = session.scalars(stmt.order_by(col(Authority.country), col(Authority.status),
                                            col(Authority.id)).limit(MY_STATE_LIMIT)).all()
    pending: dict[uuid.UUID, list[Proposal]] = {}
    for proposal in session.scalars(
            select(Proposal).where(col(Proposal.status) == "pending",
                                   col(Proposal.authority_id).in_([r.id for r in records]))
            .order_by(col(Proposal.created_at))):
        assert proposal.authority_id is not None
        pending.setdefault(proposal.authority_id, []).append(proposal)
    out = []
    for record in records:
        shown, ago = _verified(record.verified_on, lang, today)
        out.append(StateRecord(authority=record, name=_name(record.name, lang, record.country),
                               verified_on=shown, verified_ago=ago,
                               pending=pending.get(record.id, [])))
    return out


@dataclass
class OwnProposal:
    proposal: Proposal
    record_name: str


def my_proposals(session: Session, principal: Principal, lang: str) -> list[OwnProposal]:
    """The caller's own proposals, newest first."""
    rows = session.scalars(
        select(Proposal).where(col(Proposal.proposed_by) == principal.actor_name)
        .order_by(col(Proposal.created_at).desc(), col(Proposal.id)).limit(INBOX_LIMIT)).all()
    return [OwnProposal(p, _record_name(session, p, lang)) for p in rows]
