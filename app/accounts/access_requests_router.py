"""Requests for an account through the API: anyone may ask; the secretariat and the focal
points of the authority's State decide."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from app.access.policy import ALL_ROLES, rule
from app.access.principal import Principal, Role
from app.access.router import resolve_countries
from app.accounts import access_requests
from app.accounts.access_request_models import AccessRequest
from app.accounts.router import Countries, Email, Language
from app.api.deps import SessionDep
from app.api.responses import json_response
from app.authorities.schemas import Line200
from app.core.errors import problem_responses
from app.core.inputs import Text
from app.core.settings import get_settings

router = APIRouter(prefix="/v1/access-requests", tags=["accounts"])

RECEIVED = {"status": "received",
            "detail": "Thank you. If the request can be considered, you will receive a mail."}


class AccessRequestIn(BaseModel):
    email: Email
    name: Annotated[Line200, StringConstraints(min_length=1)]
    language: Language = Field(default="en", description="BCP 47; ar, zh, en, fr, ru or es")
    authority_id: uuid.UUID = Field(description="the authority record they work for")
    position: Annotated[Line200, StringConstraints(min_length=1)]
    justification: Annotated[Text, StringConstraints(min_length=1, max_length=2000)]


class Received(BaseModel):
    status: str
    detail: str


class AccessRequestOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    language: str
    authority_id: uuid.UUID
    country: str
    position: str
    justification: str
    status: str
    created_at: str


class AccessRequestList(BaseModel):
    items: list[AccessRequestOut]


class ApproveIn(BaseModel):
    role: Role = Field(default=Role.official, description="official (of the request's "
                       "authority) unless the secretariat decides otherwise")
    countries: Countries | None = Field(default=None, min_length=1, max_length=300,
                                        description="focal_point and network: ISO codes")


class Decided(BaseModel):
    id: uuid.UUID
    status: str
    account_id: uuid.UUID | None


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def request_out(row: AccessRequest, country: str) -> dict[str, Any]:
    return {"id": str(row.id), "email": row.email, "name": row.name,
            "language": row.language, "authority_id": str(row.authority_id),
            "country": country, "position": row.position,
            "justification": row.justification, "status": row.status,
            "created_at": row.created_at.isoformat()}


def _decided(row: AccessRequest) -> dict[str, Any]:
    return {"id": str(row.id), "status": row.status,
            "account_id": str(row.account_id) if row.account_id else None}


@router.post("", status_code=202, response_model=Received,
             responses=problem_responses(422, 429))
def request_access(request: Request, session: SessionDep, body: AccessRequestIn,
                   principal: Principal = rule("POST", "/v1/access-requests", *ALL_ROLES,
                                               signed_out=True)) -> Response:
    """Ask for an account. The answer is the same 202 whether or not the address has an
    account already; each address may ask CNA_ACCESS_REQUESTS_PER_DAY times a day."""
    access_requests.submit(session, get_settings(), email=body.email, name=body.name,
                           language=body.language, authority_id=body.authority_id,
                           position=body.position, justification=body.justification,
                           client_address=_client(request))
    session.commit()
    response = json_response(request, RECEIVED)
    response.status_code = 202
    return response


@router.get("", response_model=AccessRequestList, responses=problem_responses(401, 403))
def list_requests(request: Request, session: SessionDep,
                  principal: Principal = rule("GET", "/v1/access-requests", Role.secretariat,
                                              Role.focal_point)) -> Response:
    """Pending requests: every one (the secretariat), or those for authorities of the focal
    point's State."""
    rows = access_requests.pending(session, principal)
    return json_response(request, {"items": [request_out(r, c) for r, c in rows]},
                         headers={"Cache-Control": "no-store"})


@router.post("/{request_id}/approve", response_model=Decided,
             responses=problem_responses(401, 403, 404, 409, 422))
def approve(request: Request, session: SessionDep, request_id: uuid.UUID,
            body: ApproveIn | None = None,
            principal: Principal = rule("POST", "/v1/access-requests/{request_id}/approve",
                                        Role.secretariat, Role.focal_point)) -> Response:
    """Approve: the account is created and invited (the invitation mail is queued). A
    focal point approves only officials of its State's authorities."""
    body = body or ApproveIn()
    row = access_requests.approve(session, principal, get_settings(), request_id,
                                  role=body.role,
                                  countries=resolve_countries(session, body.countries),
                                  client_address=_client(request))
    session.commit()
    return json_response(request, _decided(row))


@router.post("/{request_id}/reject", response_model=Decided,
             responses=problem_responses(401, 403, 404, 409))
def reject(request: Request, session: SessionDep, request_id: uuid.UUID,
           principal: Principal = rule("POST", "/v1/access-requests/{request_id}/reject",
                                       Role.secretariat, Role.focal_point)) -> Response:
    """Reject: a short, polite mail tells the person (in their language)."""
    row = access_requests.reject(session, principal, get_settings(), request_id,
                                 client_address=_client(request))
    session.commit()
    return json_response(request, _decided(row))
