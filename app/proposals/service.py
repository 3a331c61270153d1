"""Proposals: a focal point proposes, the secretariat approves or rejects.

Approval applies the proposal atomically against the version it was based on.  When it
cannot be applied, nothing is written and the proposal is closed: ``stale`` when the
record has changed since the version the proposal was based on, ``conflict`` when it
would overwrite another record (a create whose country and ref are taken, a ref that
belongs to another record) or when the record now belongs to another country.

A stale proposal may instead be approved with ``merge``: a three-way merge at field level
(top-level fields of the record).  When the fields the proposal changes (against its base
version) and the fields changed since then are disjoint, the proposal's fields are put on
top of the current version; otherwise it is closed as ``stale``.

A ``confirm`` proposal says "this record is still correct": approved, it sets
``verified_on`` to the day of approval through the same save path, and its revision's
reason starts with ``CONFIRMATION`` (``is_confirmation``), naming who confirmed.

Proposing is idempotent: the same proposal (same proposer, action, record, base version
and content) made again while the first is pending returns the first.  Every decision
queues a mail to the proposer, when it is a person, in the decision's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.access.principal import Principal, Role
from app.authorities import writes
from app.authorities.documents import content_of, render
from app.authorities.history import revision
from app.authorities.service import (
    Actor,
    SaveResult,
    find_existing,
    get_authority,
    save_record,
)
from app.core.problems import FieldError, Problem, ValidationFailed, not_found
from app.proposals import notices
from app.proposals.models import Proposal

Action = Literal["create", "update", "withdraw", "confirm"]
Status = Literal["pending", "approved", "rejected", "stale", "conflict"]
CONFIRMATION = "confirmed as still correct"


def is_confirmation(reason: str | None) -> bool:
    """Whether a revision was written by an approved confirmation."""
    return bool(reason and reason.startswith(CONFIRMATION))


class NotApplied(Exception):
    """The proposal could not be applied: it is closed (flushed, not committed) and
    nothing else was written."""

    def __init__(self, proposal: Proposal, cause: str) -> None:
        super().__init__(cause)
        self.proposal = proposal
        self.cause = cause


def _forbidden(country: str) -> Problem:
    return Problem(status=403, detail=f"this key may not propose changes for {country}")


def _taken(country: str, ref: str | None) -> Problem:
    return Problem(status=409, detail=f"ref {ref!r} of {country} already belongs to a "
                                      "record; propose an update of that record instead",
                   errors=[FieldError(("body", "record", "ref"), "already used in this "
                                      "country", "conflict")])


def propose(session: Session, principal: Principal, action: Action,
            authority_id: uuid.UUID | None, base_version: int | None,
            record: dict[str, Any] | None, reason: str | None) -> Proposal:
    document: dict[str, Any] | None = None
    if action == "create":
        if record is None:
            raise ValidationFailed([FieldError(("body", "record"), "required to create",
                                               "missing")])
        validated = writes.validated(session, {**record, "id": None})
        country = validated.country
        if principal.may_propose_for(country) and find_existing(session, validated) is not None:
            raise _taken(validated.country, validated.ref)
        document = validated.model_dump(mode="json", exclude={"id", "version", "updated_at"})
    else:
        if authority_id is None:
            raise ValidationFailed([FieldError(("body", "authority_id"), "required to "
                                               f"{action}", "missing")])
        authority = get_authority(session, authority_id)
        if authority is None or not principal.may_see_country(authority.country):
            raise not_found(f"authority {authority_id}")
        country = authority.country
        if base_version is None:
            base_version = authority.version
        elif base_version > authority.version:
            # A version the record has not reached would match a later change, whatever
            # it is (a move to another country included), and escape the stale check.
            raise ValidationFailed([FieldError(
                ("body", "base_version"),
                f"the record is at version {authority.version}", "version")])
        if action == "update":
            if record is None:
                raise ValidationFailed([FieldError(("body", "record"), "required to update",
                                                   "missing")])
            validated = writes.validated(session, {**record, "id": str(authority.id)})
            if validated.country != authority.country:
                raise ValidationFailed([FieldError(("body", "record", "country"),
                                                   "a proposal cannot move a record to "
                                                   "another country", "country")])
            document = validated.model_dump(mode="json",
                                            exclude={"id", "version", "updated_at"})
    if not principal.may_propose_for(country):
        raise _forbidden(country)
    duplicate = _pending_duplicate(session, principal, action, country, authority_id,
                                   base_version, document)
    if duplicate is not None:
        return duplicate
    proposal = Proposal(id=uuid.uuid4(), action=action, country=country,
                        authority_id=authority_id, base_version=base_version,
                        document=document, reason=reason, status="pending",
                        proposed_by=principal.actor_name)
    session.add(proposal)
    session.flush()
    return proposal


def _pending_duplicate(session: Session, principal: Principal, action: str, country: str,
                       authority_id: uuid.UUID | None, base_version: int | None,
                       document: dict[str, Any] | None) -> Proposal | None:
    """The same proposal by the same proposer, still pending (a form posted twice).

    Two posts at once (a double click) serialise on an advisory lock held to the end of
    the transaction, so the second sees the first's proposal."""
    key = f"cna:proposal:{principal.actor_name}:{action}:{authority_id or country}"
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
    candidates = session.scalars(
        select(Proposal).where(col(Proposal.status) == "pending",
                               col(Proposal.proposed_by) == principal.actor_name,
                               col(Proposal.action) == action,
                               col(Proposal.country) == country)
        .with_for_update()).all()
    return next((p for p in candidates if p.authority_id == authority_id
                 and p.base_version == base_version and p.document == document), None)


def list_proposals(session: Session, principal: Principal,
                   status: str | None) -> Sequence[Proposal]:
    stmt = select(Proposal).order_by(col(Proposal.created_at), col(Proposal.id))
    if status:
        stmt = stmt.where(col(Proposal.status) == status)
    if principal.role is not Role.secretariat:
        stmt = stmt.where(col(Proposal.proposed_by) == principal.actor_name)
    return session.scalars(stmt.limit(1000)).all()


def get_proposal(session: Session, principal: Principal, proposal_id: uuid.UUID,
                 lock: bool = False) -> Proposal:
    stmt = select(Proposal).where(col(Proposal.id) == proposal_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    proposal = session.scalars(stmt).one_or_none()
    if proposal is None or (principal.role is not Role.secretariat
                            and proposal.proposed_by != principal.actor_name):
        raise not_found(f"proposal {proposal_id}")
    return proposal


def _decide(session: Session, proposal: Proposal, principal: Principal, status: str,
            comment: str) -> None:
    proposal.status = status
    proposal.decided_by = principal.actor_name
    proposal.decision_comment = comment
    proposal.decided_at = datetime.now(UTC)
    notices.tell_proposer(session, proposal)


@dataclass(frozen=True)
class Staleness:
    """A proposal made on an older version: what it changes, what changed since."""

    base: dict[str, Any]
    current: dict[str, Any]
    proposed: dict[str, Any]
    touched: list[str]
    changed_since: list[str]

    @property
    def overlap(self) -> list[str]:
        return [f for f in self.touched if f in self.changed_since]

    @property
    def mergeable(self) -> bool:
        return not self.overlap

    def merged(self) -> dict[str, Any]:
        return {**self.current, **{f: self.proposed.get(f) for f in self.touched}}


def approval_day() -> date:
    return datetime.now(UTC).date()


def _proposed_content(proposal: Proposal, base: dict[str, Any], today: date) -> dict[str, Any]:
    """What the proposal would make of the record at its base version."""
    if proposal.action == "update":
        return dict(proposal.document or {})
    if proposal.action == "withdraw":
        return {**base, "status": "withdrawn"}
    return {**base, "verified_on": today.isoformat()}  # confirm


def proposed_change(session: Session, proposal: Proposal,
                    today: date | None = None) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The record as the proposal saw it (None for a new one) and as it would make it."""
    if proposal.action == "create" or proposal.authority_id is None:
        return None, dict(proposal.document or {})
    base_revision = (revision(session, proposal.authority_id, proposal.base_version)
                     if proposal.base_version is not None else None)
    if base_revision is not None:
        base = content_of(base_revision.document)
    else:
        authority = get_authority(session, proposal.authority_id)
        base = content_of(render(authority)) if authority is not None else {}
    return base, _proposed_content(proposal, base, today or approval_day())


def staleness(session: Session, proposal: Proposal,
              today: date | None = None) -> Staleness | None:
    """None unless the proposal changes a record that has moved past its base version."""
    if proposal.authority_id is None or proposal.base_version is None:
        return None
    authority = get_authority(session, proposal.authority_id)
    if authority is None or authority.version == proposal.base_version:
        return None
    base_revision = revision(session, proposal.authority_id, proposal.base_version)
    if base_revision is None:
        return None
    base = content_of(base_revision.document)
    current = content_of(render(authority))
    proposed = _proposed_content(proposal, base, today or approval_day())
    keys = [*base, *(k for k in [*proposed, *current] if k not in base)]
    return Staleness(
        base=base, current=current, proposed=proposed,
        touched=[k for k in dict.fromkeys(keys) if proposed.get(k) != base.get(k)],
        changed_since=[k for k in dict.fromkeys(keys) if current.get(k) != base.get(k)])


def _reason(proposal: Proposal) -> str:
    why = f": {proposal.reason}" if proposal.reason else ""
    if proposal.action == "confirm":
        return f"{CONFIRMATION} by {proposal.proposed_by} (proposal {proposal.id}){why}"
    return f"proposal {proposal.id} by {proposal.proposed_by}{why}"


def _apply(session: Session, proposal: Proposal, actor: Actor, merge: bool) -> SaveResult:
    """Write the proposal; a 409 or 412 problem when it cannot be applied as proposed."""
    reason = _reason(proposal)
    if proposal.action == "create":
        # writes.create refuses a record whose country and ref are taken, as the API does.
        return writes.create(session, proposal.document, actor, reason)
    assert proposal.authority_id is not None
    authority = get_authority(session, proposal.authority_id)
    if authority is None:
        raise not_found(f"authority {proposal.authority_id}")
    if authority.country != proposal.country:
        raise Problem(status=409, detail=f"the record now belongs to {authority.country}, "
                                         f"not {proposal.country}")
    expected_version = proposal.base_version
    today = approval_day()
    stale = staleness(session, proposal, today) if merge else None
    if stale is not None:
        if not stale.mergeable:
            raise Problem(status=412, detail="the proposal and the changes since version "
                                             f"{proposal.base_version} both change "
                                             + ", ".join(stale.overlap))
        content = stale.merged()
        expected_version = authority.version
    elif proposal.action == "update":
        content = dict(proposal.document or {})
    else:
        content = _proposed_content(proposal, content_of(render(authority)), today)
    return save_record(session, writes.validated(session, {**content, "id": str(authority.id)}),
                       actor, reason=reason, expected_version=expected_version)


def approve(session: Session, principal: Principal, proposal_id: uuid.UUID,
            comment: str, merge: bool = False) -> Proposal:
    """Apply the proposal, or close it as ``stale`` or ``conflict`` with nothing else
    written and raise ``NotApplied``: the caller commits in both cases.

    With ``merge``, a stale proposal is put on top of the current version when the two
    change different fields (see ``staleness``)."""
    proposal = get_proposal(session, principal, proposal_id, lock=True)
    if proposal.status != "pending":
        raise Problem(status=409, detail=f"the proposal is already {proposal.status}")
    actor = Actor(name=principal.actor_name, role=principal.role or "anonymous")
    try:
        with session.begin_nested():
            result = _apply(session, proposal, actor, merge)
    except Problem as exc:
        if exc.status not in (409, 412):
            raise
        status = "stale" if exc.status == 412 else "conflict"
        cause = exc.detail or "it cannot be applied"
        _decide(session, proposal, principal, status, f"{comment} (not applied: {cause})")
        session.add(proposal)
        session.flush()
        raise NotApplied(proposal, cause) from None
    proposal.authority_id = result.authority.id
    proposal.result_version = result.authority.version
    _decide(session, proposal, principal, "approved", comment)
    session.add(proposal)
    session.flush()
    return proposal


BulkOutcome = Literal["approved", "stale", "not_applied", "not_a_confirmation", "decided",
                      "not_found"]


def approve_confirmations(session: Session, principal: Principal,
                          proposal_ids: Sequence[uuid.UUID],
                          comment: str) -> list[tuple[uuid.UUID, BulkOutcome]]:
    """Approve many pending confirmations at once.

    A stale confirmation (the record changed since it was confirmed) is left pending for
    one-by-one review, and so is anything that is not a pending confirmation."""
    outcomes: list[tuple[uuid.UUID, BulkOutcome]] = []
    for proposal_id in dict.fromkeys(proposal_ids):
        try:
            proposal = get_proposal(session, principal, proposal_id, lock=True)
        except Problem:
            outcomes.append((proposal_id, "not_found"))
            continue
        if proposal.action != "confirm":
            outcomes.append((proposal_id, "not_a_confirmation"))
        elif proposal.status != "pending":
            outcomes.append((proposal_id, "decided"))
        elif staleness(session, proposal) is not None:
            outcomes.append((proposal_id, "stale"))
        else:
            try:
                approve(session, principal, proposal_id, comment)
            except NotApplied:
                outcomes.append((proposal_id, "not_applied"))
                continue
            outcomes.append((proposal_id, "approved"))
    return outcomes


def reject(session: Session, principal: Principal, proposal_id: uuid.UUID,
           comment: str) -> Proposal:
    proposal = get_proposal(session, principal, proposal_id, lock=True)
    if proposal.status != "pending":
        raise Problem(status=409, detail=f"the proposal is already {proposal.status}")
    _decide(session, proposal, principal, "rejected", comment)
    session.add(proposal)
    session.flush()
    return proposal
