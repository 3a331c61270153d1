"""Proposals: a focal point proposes, the secretariat approves or rejects.

Approval applies the proposal atomically against the version it was based on.  When it
cannot be applied, nothing is written and the proposal is closed: ``stale`` when the
record has changed since the version the proposal was based on, ``conflict`` when it
would overwrite another record (a create whose country and ref are taken, a ref that
belongs to another record) or when the record now belongs to another country.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from app.access.principal import Principal, Role
from app.authorities import writes
from app.authorities.documents import content_of, render
from app.authorities.service import (
    Actor,
    SaveResult,
    find_existing,
    get_authority,
    save_record,
)
from app.core.problems import FieldError, Problem, ValidationFailed, not_found
from app.proposals.models import Proposal

Action = Literal["create", "update", "withdraw"]
Status = Literal["pending", "approved", "rejected", "stale", "conflict"]


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
    proposal = Proposal(id=uuid.uuid4(), action=action, country=country,
                        authority_id=authority_id, base_version=base_version,
                        document=document, reason=reason, status="pending",
                        proposed_by=principal.actor_name)
    session.add(proposal)
    session.flush()
    return proposal


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


def _decide(proposal: Proposal, principal: Principal, status: str, comment: str) -> None:
    proposal.status = status
    proposal.decided_by = principal.actor_name
    proposal.decision_comment = comment
    proposal.decided_at = datetime.now(UTC)


def _apply(session: Session, proposal: Proposal, actor: Actor) -> SaveResult:
    """Write the proposal; a 409 or 412 problem when it cannot be applied as proposed."""
    reason = f"proposal {proposal.id} by {proposal.proposed_by}" + (
        f": {proposal.reason}" if proposal.reason else "")
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
    if proposal.action == "update":
        data = {**(proposal.document or {}), "id": str(authority.id)}
    else:
        data = {**content_of(render(authority)), "status": "withdrawn",
                "id": str(authority.id)}
    return save_record(session, writes.validated(session, data), actor, reason=reason,
                       expected_version=proposal.base_version)


def approve(session: Session, principal: Principal, proposal_id: uuid.UUID,
            comment: str) -> Proposal:
    """Apply the proposal, or close it as ``stale`` or ``conflict`` with nothing else
    written and raise ``NotApplied``: the caller commits in both cases."""
    proposal = get_proposal(session, principal, proposal_id, lock=True)
    if proposal.status != "pending":
        raise Problem(status=409, detail=f"the proposal is already {proposal.status}")
    actor = Actor(name=principal.actor_name, role=principal.role or "anonymous")
    try:
        with session.begin_nested():
            result = _apply(session, proposal, actor)
    except Problem as exc:
        if exc.status not in (409, 412):
            raise
        status = "stale" if exc.status == 412 else "conflict"
        cause = exc.detail or "it cannot be applied"
        _decide(proposal, principal, status, f"{comment} (not applied: {cause})")
        session.add(proposal)
        session.flush()
        raise NotApplied(proposal, cause) from None
    _decide(proposal, principal, "approved", comment)
    proposal.authority_id = result.authority.id
    proposal.result_version = result.authority.version
    session.add(proposal)
    session.flush()
    return proposal


def reject(session: Session, principal: Principal, proposal_id: uuid.UUID,
           comment: str) -> Proposal:
    proposal = get_proposal(session, principal, proposal_id, lock=True)
    if proposal.status != "pending":
        raise Problem(status=409, detail=f"the proposal is already {proposal.status}")
    _decide(proposal, principal, "rejected", comment)
    session.add(proposal)
    session.flush()
    return proposal
