"""Webhook subscriptions (network keys and the secretariat): create, list, change, delete,
ping, the delivery log and manual redelivery."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from app.access.policy import rule
from app.access.principal import Principal, Role
from app.api.deps import SessionDep
from app.api.responses import json_response
from app.core.errors import problem_responses
from app.core.inputs import ID_MAX
from app.sync.service import resolve_countries
from app.webhooks import service
from app.webhooks.pinger import PingerDep
from app.webhooks.schemas import RedeliverIn, WebhookIn, WebhookPatch

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

MANAGERS = (Role.network, Role.secretariat)
ERRORS = problem_responses(401, 403, 404, 422)


def _managers(method: str, path: str) -> Any:
    return rule(method, "/v1/webhooks" + path, *MANAGERS)


@router.post("", status_code=201, responses=ERRORS)
def create_webhook(
    request: Request, session: SessionDep, body: WebhookIn,
    principal: Principal = _managers("POST", ""),
) -> Response:
    """Subscribe a URL to record changes.  The `secret` (`whsec_…`) is shown only here:
    deliveries are signed with it following Standard Webhooks."""
    countries = (resolve_countries(session, body.countries, ("body", "countries"))
                 if body.countries else None)
    endpoint, secret = service.create_endpoint(session, principal, body.url, body.event_types,
                                               countries, body.description)
    session.commit()
    response = json_response(request, {**service.endpoint_out(endpoint), "secret": secret},
                             headers={"Location": f"/v1/webhooks/{endpoint.id}",
                                      "Cache-Control": "no-store"})
    response.status_code = 201
    return response


@router.get("", responses=ERRORS)
def list_webhooks(request: Request, session: SessionDep,
                  principal: Principal = _managers("GET", "")) -> Response:
    """The caller's subscriptions (the secretariat sees every one), with their status."""
    endpoints = service.list_endpoints(session, principal)
    backlog = service.backlogs(session, [e.id for e in endpoints])
    return json_response(request, {"items": [service.endpoint_out(e, backlog.get(e.id, 0))
                                              for e in endpoints]})


@router.get("/{id}", responses=ERRORS)
def get_webhook(request: Request, session: SessionDep, id: uuid.UUID,
                principal: Principal = _managers("GET", "/{id}")) -> Response:
    endpoint = service.get_endpoint(session, principal, id)
    backlog = service.backlogs(session, [endpoint.id]).get(endpoint.id, 0)
    return json_response(request, service.endpoint_out(endpoint, backlog))


@router.patch("/{id}", responses=ERRORS)
def update_webhook(request: Request, session: SessionDep, id: uuid.UUID, body: WebhookPatch,
                   principal: Principal = _managers("PATCH", "/{id}")) -> Response:
    """Re-enable (`status: active`) or disable an endpoint, or change its description."""
    endpoint = service.get_endpoint(session, principal, id, lock=True)
    if body.status:
        service.set_status(session, endpoint, body.status)
    if "description" in body.model_fields_set:
        endpoint.description = body.description
        session.add(endpoint)
    session.commit()
    backlog = service.backlogs(session, [endpoint.id]).get(endpoint.id, 0)
    return json_response(request, service.endpoint_out(endpoint, backlog))


@router.delete("/{id}", status_code=204, responses=ERRORS)
def delete_webhook(session: SessionDep, id: uuid.UUID,
                   principal: Principal = _managers("DELETE", "/{id}")) -> Response:
    """Unsubscribe; the endpoint's queue and log go with it."""
    service.delete_endpoint(session, service.get_endpoint(session, principal, id, lock=True))
    session.commit()
    return Response(status_code=204)


@router.post("/{id}/ping", responses=problem_responses(401, 403, 404, 409, 422, 503))
async def ping_webhook(request: Request, session: SessionDep, pinger: PingerDep, id: uuid.UUID,
                       principal: Principal = _managers("POST", "/{id}/ping")) -> Response:
    """Send a signed `ping` event now and report how the endpoint answered (its status,
    media type and size; never its body).  `409` while another ping of this endpoint is in
    flight, `503` (with `Retry-After`) while this server has too many in flight."""
    return json_response(request, await pinger.ping(session, principal, id))


@router.get("/{id}/deliveries", responses=ERRORS)
def list_deliveries(
    request: Request, session: SessionDep, id: uuid.UUID,
    status: Literal["pending", "succeeded", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1, le=ID_MAX,
                                        description="Delivery id: older ones only")] = None,
    principal: Principal = _managers("GET", "/{id}/deliveries"),
) -> Response:
    """The delivery log, newest first, each delivery with its attempts."""
    endpoint = service.get_endpoint(session, principal, id)
    items = service.list_deliveries(session, endpoint, status, limit, before)
    return json_response(request, {"items": items})


@router.post("/{id}/redeliver", status_code=202, responses=ERRORS)
def redeliver(request: Request, session: SessionDep, id: uuid.UUID, body: RedeliverIn,
              principal: Principal = _managers("POST", "/{id}/redeliver")) -> Response:
    """Retry a pending delivery now, or queue a finished one again (same `webhook-id`)."""
    endpoint = service.get_endpoint(session, principal, id)
    queued = service.redeliver(session, endpoint, body.delivery_id)
    session.commit()
    response = json_response(request, service.delivery_out(queued))
    response.status_code = 202
    return response
