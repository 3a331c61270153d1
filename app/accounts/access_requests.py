"""Requests for an account: made by visitors, decided by the secretariat or a focal point
of the authority's State.  All SQL for access requests lives here; callers commit.

The answer to a request never tells whether the address has an account: a request for an
address that has one is stored silently (status ``existing_account``, never shown nor
decided) so that it costs the same and counts against the same per-address budget.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from app.access.principal import Principal, Role
from app.accounts import service
from app.accounts.access_request_models import AccessRequest
from app.authorities.models import Authority
from app.core.problems import FieldError, Problem, not_found
from app.core.settings import Settings

BUDGET_WINDOW = timedelta(hours=24)


def submit(session: Session, settings: Settings, *, email: str, name: str, language: str,
           authority_id: uuid.UUID, position: str, justification: str,
           client_address: str | None) -> None:
    """Store a request (pending, or silent for an address with an account).  Over the
    address's budget it is a 429, whether or not the address has an account."""
    address = service.normalize_email(email)
    authority = session.get(Authority, authority_id)
    if authority is None or authority.status != "active":
        raise Problem(status=422, title="Invalid request",
                      type="https://cna-directory.example.org/problems/validation",
                      detail=f"no active authority {authority_id}",
                      errors=[FieldError(("body", "authority_id"),
                                         f"no active authority {authority_id}", "invalid")])
    # One request of an address at a time, so that two at once cannot both fit the budget.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": f"access_request:{address.lower()}"})
    recent = session.scalars(
        select(func.count()).select_from(AccessRequest)
        .where(func.lower(col(AccessRequest.email)) == address.lower())
        .where(col(AccessRequest.created_at) > datetime.now(UTC) - BUDGET_WINDOW)).one()
    if recent >= settings.access_requests_per_address:
        raise Problem(status=429, detail="too many access requests for this address; try "
                                         "again tomorrow",
                      headers={"Retry-After": str(int(BUDGET_WINDOW.total_seconds()))})
    has_account = service.find_by_email(session, address) is not None
    session.add(AccessRequest(
        id=uuid.uuid4(), email=address, name=name, language=language,
        authority_id=authority_id, position=position, justification=justification,
        status="existing_account" if has_account else "pending",
        client_address=client_address, created_at=datetime.now(UTC)))
    session.flush()


def _authority_countries(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = session.execute(select(col(Authority.id), col(Authority.country))
                           .where(col(Authority.id).in_(ids))).all()
    return {row[0]: row[1] for row in rows}


def _may_see(actor: Principal, country: str | None) -> bool:
    if actor.role is Role.secretariat:
        return True
    return actor.role is Role.focal_point and country is not None \
        and actor.may_propose_for(country)


def pending(session: Session, actor: Principal) -> list[tuple[AccessRequest, str]]:
    """Pending requests the actor may decide, oldest first, with their authority's
    country: every one for the secretariat, those of its State for a focal point."""
    rows = list(session.scalars(select(AccessRequest)
                                .where(col(AccessRequest.status) == "pending")
                                .order_by(col(AccessRequest.created_at))).all())
    countries = _authority_countries(session, [r.authority_id for r in rows])
    return [(r, countries[r.authority_id]) for r in rows
            if _may_see(actor, countries.get(r.authority_id))]


def _pending_for(session: Session, actor: Principal, request_id: uuid.UUID) -> AccessRequest:
    row = session.get(AccessRequest, request_id, with_for_update=True)
    if row is None or row.status == "existing_account":
        raise not_found(f"access request {request_id}")
    if not _may_see(actor, _authority_countries(session, [row.authority_id])
                    .get(row.authority_id)):
        raise not_found(f"access request {request_id}")
    if row.status != "pending":
        raise Problem(status=409, detail=f"this request has been {row.status} already")
    return row


def _decided(row: AccessRequest, status: str, actor: Principal,
             client_address: str | None) -> None:
    row.status = status
    row.decided_by = actor.actor_name
    row.decided_at = datetime.now(UTC)
    row.decided_from = client_address


def approve(session: Session, actor: Principal, settings: Settings, request_id: uuid.UUID, *,
            role: Role, countries: list[str] | None,
            client_address: str | None) -> AccessRequest:
    """Approve: the account is created, invited, with its invitation mail (the invitation
    service decides who may invite whom: a focal point only officials of its State)."""
    row = _pending_for(session, actor, request_id)
    scope = service.Scope(authority_ids=[row.authority_id]) if role is Role.official \
        else service.Scope(countries=countries)
    _, account, _ = service.invite(
        session, actor, actor.actor_name, settings, email=row.email, display_name=row.name,
        language=row.language, role=role, scope=scope, client_address=client_address)
    service.record(session, account, "access_request_approved", actor.actor_name,
                   client_address, {"access_request": str(row.id)})
    _decided(row, "approved", actor, client_address)
    row.account_id = account.id
    session.flush()
    return row


def reject(session: Session, actor: Principal, settings: Settings, request_id: uuid.UUID, *,
           client_address: str | None) -> AccessRequest:
    """Reject: the request is kept, marked rejected, and a short polite mail is queued."""
    from app.mail.outbox import enqueue

    row = _pending_for(session, actor, request_id)
    _decided(row, "rejected", actor, client_address)
    enqueue(session, to=row.email, language=row.language, template="access_request_rejected",
            context={"name": row.name}, cause=f"access_request:{row.id}", settings=settings)
    session.flush()
    return row
