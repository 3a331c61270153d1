"""Proposals from focal points, decided by the secretariat."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from app.access.policy import rule
from app.access.principal import Principal, Role
from app.api.deps import SessionDep
from app.api.responses import json_response
from app.core.errors import problem_responses
from app.core.inputs import INT32_MAX, Text
from app.core.problems import Problem
from app.proposals import service
from app.proposals.models import Proposal

router = APIRouter(prefix="/v1/proposals", tags=["proposals"])

Status = service.Status


class ProposalIn(BaseModel):
    action: service.Action
    authority_id: uuid.UUID | None = Field(default=None, description="for update/withdraw")
    base_version: int | None = Field(default=None, ge=1, le=INT32_MAX,
                                     description="the version the proposal was made "
                                                 "against; default: the current one")
    record: dict[str, Any] | None = Field(default=None, description="the full record, in "
                                          "the interchange format (create/update)")
    reason: Text | None = Field(default=None, max_length=1000)


class Decision(BaseModel):
    comment: Text = Field(min_length=1, max_length=2000)


class Approval(Decision):
    merge: bool = Field(default=False, description="a stale proposal: put it on top of the "
                        "current version when the two change different fields")


class ConfirmationsApproval(Decision):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=200,
                                 description="pending confirmations to approve")


class BulkItem(BaseModel):
    id: uuid.UUID
    outcome: service.BulkOutcome


class BulkResult(BaseModel):
    items: list[BulkItem]


class ProposalOut(BaseModel):
    id: uuid.UUID
    action: service.Action
    country: str
    authority_id: uuid.UUID | None
    base_version: int | None
    record: dict[str, Any] | None
    reason: str | None
    status: Status
    proposed_by: str
    created_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None
    result_version: int | None


class ProposalList(BaseModel):
    items: list[ProposalOut]


def proposal_out(p: Proposal) -> dict[str, Any]:
    return {
        "id": str(p.id), "action": p.action, "country": p.country,
        "authority_id": str(p.authority_id) if p.authority_id else None,
        "base_version": p.base_version, "record": p.document, "reason": p.reason,
        "status": p.status, "proposed_by": p.proposed_by,
        "created_at": p.created_at.isoformat() if p.created_at else None,
        "decided_by": p.decided_by,
        "decided_at": p.decided_at.isoformat() if p.decided_at else None,
        "decision_comment": p.decision_comment, "result_version": p.result_version,
    }


def _answer(request: Request, session: SessionDep, proposal: Proposal,
            status_code: int = 200) -> Response:
    session.commit()
    response = json_response(request, proposal_out(proposal))
    response.status_code = status_code
    return response


@router.post("", status_code=201, response_model=ProposalOut,
             responses=problem_responses(401, 403, 404, 422))
def create_proposal(
    request: Request,
    session: SessionDep,
    body: ProposalIn,
    principal: Principal = rule("POST", "/v1/proposals", Role.focal_point, Role.secretariat),
) -> Response:
    """Propose a new record, a change or a withdrawal, for one of the key's countries."""
    proposal = service.propose(session, principal, body.action, body.authority_id,
                               body.base_version, body.record, body.reason)
    return _answer(request, session, proposal, 201)


@router.get("", response_model=ProposalList, responses=problem_responses(401, 403, 422))
def list_proposals(
    request: Request,
    session: SessionDep,
    status: Status | None = Query(default=None),
    principal: Principal = rule("GET", "/v1/proposals", Role.focal_point, Role.secretariat),
) -> Response:
    """The secretariat sees every proposal; a focal point sees its own."""
    items = [proposal_out(p) for p in service.list_proposals(session, principal, status)]
    return json_response(request, {"items": items})


@router.get("/{proposal_id}", response_model=ProposalOut,
            responses=problem_responses(401, 403, 404, 422))
def get_proposal(
    request: Request,
    session: SessionDep,
    proposal_id: uuid.UUID,
    principal: Principal = rule("GET", "/v1/proposals/{proposal_id}", Role.focal_point,
                                Role.secretariat),
) -> Response:
    return json_response(request, proposal_out(service.get_proposal(session, principal,
                                                                    proposal_id)))


@router.post("/{proposal_id}/approve", response_model=ProposalOut,
             responses=problem_responses(401, 403, 404, 409, 422))
def approve_proposal(
    request: Request,
    session: SessionDep,
    proposal_id: uuid.UUID,
    body: Approval,
    principal: Principal = rule("POST", "/v1/proposals/{proposal_id}/approve",
                                Role.secretariat),
) -> Response:
    """Apply the proposal against the version it was based on.

    When it cannot be applied, nothing is written, the proposal is closed as ``stale``
    or ``conflict`` and the answer is a 409 problem holding the closed proposal.  With
    ``merge``, a stale proposal is applied on top of the current version when the two
    change different fields (a three-way merge of the record's fields).
    """
    try:
        proposal = service.approve(session, principal, proposal_id, body.comment,
                                   merge=body.merge)
    except service.NotApplied as exc:
        session.commit()  # the proposal is closed; nothing else was written
        raise Problem(status=409, detail=f"not applied, the proposal is now "
                                         f"{exc.proposal.status}: {exc.cause}",
                      extra={"proposal": proposal_out(exc.proposal)}) from None
    return _answer(request, session, proposal)


@router.post("/confirmation-approvals", response_model=BulkResult,
             responses=problem_responses(401, 403, 422))
def approve_confirmations(
    request: Request,
    session: SessionDep,
    body: ConfirmationsApproval,
    principal: Principal = rule("POST", "/v1/proposals/confirmation-approvals",
                                Role.secretariat),
) -> Response:
    """Approve many pending confirmations at once; each item says what became of it (a
    stale confirmation, or anything else, is left as it was)."""
    outcomes = service.approve_confirmations(session, principal, body.ids, body.comment)
    session.commit()
    return json_response(request, {"items": [{"id": str(i), "outcome": o}
                                             for i, o in outcomes]})


@router.post("/{proposal_id}/reject", response_model=ProposalOut,
             responses=problem_responses(401, 403, 404, 409, 422))
def reject_proposal(
    request: Request,
    session: SessionDep,
    proposal_id: uuid.UUID,
    body: Decision,
    principal: Principal = rule("POST", "/v1/proposals/{proposal_id}/reject",
                                Role.secretariat),
) -> Response:
    return _answer(request, session, service.reject(session, principal, proposal_id,
                                                    body.comment))
