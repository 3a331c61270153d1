"""Webhook subscriptions and their delivery log.  All SQL of the API side lives here; the
worker's lives in ``delivery.py``."""

from __future__ import annotations

import ipaddress
import socket
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.access.principal import Principal, Role
from app.authorities.documents import format_timestamp
from app.core.problems import FieldError, Problem, not_found
from app.core.settings import get_settings
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.webhooks.signing import encrypt_secret, generate_secret

EVENT_TYPES = ("authority.upsert", "authority.withdraw")
PING = "ping"


# --- destinations ---------------------------------------------------------------------------

def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


def destination_problem(url: str, allow_private: bool | None = None) -> str | None:
    """Why ``url`` may not receive webhooks, or None.

    http(s) only, no credentials in the URL, and (unless CNA_WEBHOOK_ALLOW_PRIVATE) the
    host must not resolve to a private, loopback, link-local or reserved address.
    """
    if allow_private is None:
        allow_private = get_settings().webhook_allow_private
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "the URL must be http:// or https:// with a host"
    if parts.username or parts.password:
        return "the URL must not carry credentials"
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return f"the host {parts.hostname!r} does not resolve"
    if any(_refused_address(str(info[4][0])) for info in infos):
        return f"the host {parts.hostname!r} resolves to a private or loopback address"
    return None


# --- endpoints ------------------------------------------------------------------------------

def _validation(errors: list[FieldError]) -> Problem:
    return Problem(status=422, title="Invalid request", detail="invalid webhook subscription",
                   errors=errors)


def create_endpoint(
    session: Session, principal: Principal, url: str, event_types: list[str] | None,
    countries: list[str] | None, description: str | None,
) -> tuple[WebhookEndpoint, str]:
    """Validate and store a subscription; the secret is returned once, stored encrypted.

    ``countries`` must already be alpha-3 codes.  A network key's countries limit what it
    may subscribe to; with no countries it gets all of its own.
    """
    errors: list[FieldError] = []
    problem = destination_problem(url)
    if problem:
        errors.append(FieldError(("body", "url"), problem, "url"))
    types = list(dict.fromkeys(event_types or EVENT_TYPES))
    for i, t in enumerate(types):
        if t not in EVENT_TYPES:
            errors.append(FieldError(("body", "event_types", i),
                                     f"unknown event type {t!r}; one of {', '.join(EVENT_TYPES)}",
                                     "enum"))
    scope = principal.read_scope
    chosen = sorted(set(countries)) if countries else None
    if scope is not None:
        outside = [c for c in chosen or [] if c not in scope]
        if outside:
            errors.append(FieldError(("body", "countries"),
                                     f"outside this key's countries: {', '.join(outside)}",
                                     "scope"))
        chosen = chosen or sorted(scope)
    if errors:
        raise _validation(errors)
    secret = generate_secret()
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(), url=url, description=description, event_types=types,
        countries=chosen, secret_ciphertext=encrypt_secret(secret), status="active",
        cursor=_head(session), owner_key_id=principal.key_id,
        owner_role=principal.role.value if principal.role else "system",
        created_by=principal.actor_name,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def _head(session: Session) -> int:
    """New subscriptions start at the present: the log's highest visible seq."""
    from app.sync.service import head

    return head(session)


def list_endpoints(session: Session, principal: Principal) -> Sequence[WebhookEndpoint]:
    stmt = select(WebhookEndpoint).order_by(col(WebhookEndpoint.created_at),
                                            col(WebhookEndpoint.id))
    if principal.role is not Role.secretariat:
        stmt = stmt.where(col(WebhookEndpoint.owner_key_id) == principal.key_id)
    return session.scalars(stmt).all()


def get_endpoint(session: Session, principal: Principal, endpoint_id: uuid.UUID,
                 lock: bool = False) -> WebhookEndpoint:
    """The endpoint, if this caller may manage it (secretariat: any; others: their own)."""
    stmt = select(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id)
    if lock:
        stmt = stmt.with_for_update()
    endpoint = session.scalars(stmt).one_or_none()
    if endpoint is None or (principal.role is not Role.secretariat
                            and endpoint.owner_key_id != principal.key_id):
        raise not_found(f"webhook {endpoint_id}")
    return endpoint


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    session.delete(endpoint)
    session.flush()


def set_status(session: Session, endpoint: WebhookEndpoint, status: str,
               now: datetime | None = None) -> WebhookEndpoint:
    """Enable (the queue resumes at once, in order) or disable an endpoint by hand."""
    now = now or datetime.now(UTC)
    if status == "active" and endpoint.status != "active":
        endpoint.status = "active"
        endpoint.disabled_reason = None
        endpoint.disabled_at = None
        endpoint.failing_since = None
        session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.endpoint_id) == endpoint.id,
                   col(WebhookDelivery.status) == "pending")
            .values(next_attempt_at=now)
        )
    elif status == "disabled" and endpoint.status != "disabled":
        endpoint.status = "disabled"
        endpoint.disabled_reason = "disabled by hand"
        endpoint.disabled_at = now
    session.add(endpoint)
    session.flush()
    return endpoint


def backlogs(session: Session, endpoint_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not endpoint_ids:
        return {}
    rows = session.execute(
        select(WebhookDelivery.endpoint_id, func.count())
        .where(col(WebhookDelivery.endpoint_id).in_(endpoint_ids),
               col(WebhookDelivery.status) == "pending")
        .group_by(col(WebhookDelivery.endpoint_id))
    ).all()
    return {r[0]: int(r[1]) for r in rows}


def _ts(moment: datetime | None) -> str | None:
    return format_timestamp(moment) if moment else None


def endpoint_out(endpoint: WebhookEndpoint, backlog: int = 0) -> dict[str, Any]:
    return {
        "id": str(endpoint.id), "url": endpoint.url, "description": endpoint.description,
        "event_types": list(endpoint.event_types), "countries": endpoint.countries,
        "status": endpoint.status, "disabled_reason": endpoint.disabled_reason,
        "disabled_at": _ts(endpoint.disabled_at), "failing_since": _ts(endpoint.failing_since),
        "cursor": str(endpoint.cursor), "backlog": backlog,
        "created_by": endpoint.created_by, "created_at": _ts(endpoint.created_at),
    }


# --- the delivery log -----------------------------------------------------------------------

def list_deliveries(session: Session, endpoint: WebhookEndpoint, status: str | None,
                    limit: int, before: int | None) -> list[dict[str, Any]]:
    """Newest first, each with its attempts."""
    stmt = select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id)
    if status:
        stmt = stmt.where(col(WebhookDelivery.status) == status)
    if before:
        stmt = stmt.where(col(WebhookDelivery.id) < before)
    deliveries = session.scalars(stmt.order_by(col(WebhookDelivery.id).desc()).limit(limit)).all()
    attempts: dict[int, list[dict[str, Any]]] = {}
    if deliveries:
        for a in session.scalars(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_([d.id for d in deliveries]))
            .order_by(col(WebhookAttempt.id))
        ):
            attempts.setdefault(a.delivery_id, []).append({
                "at": _ts(a.attempted_at), "status_code": a.status_code, "error": a.error,
                "duration_ms": a.duration_ms})
    return [delivery_out(d, attempts.get(d.id or 0, [])) for d in deliveries]


def delivery_out(d: WebhookDelivery, attempts: list[dict[str, Any]] | None = None
                 ) -> dict[str, Any]:
    return {
        "id": d.id, "msg_id": d.msg_id, "event_type": d.event_type,
        "cursor": str(d.change_seq) if d.change_seq is not None else None,
        "status": d.status, "attempts": d.attempts,
        "next_attempt_at": _ts(d.next_attempt_at) if d.status == "pending" else None,
        "last_attempt_at": _ts(d.last_attempt_at), "last_status_code": d.last_status_code,
        "last_error": d.last_error, "delivered_at": _ts(d.delivered_at),
        "created_at": _ts(d.created_at), "attempt_log": attempts or [],
    }


def redeliver(session: Session, endpoint: WebhookEndpoint, delivery_id: int,
              now: datetime | None = None) -> WebhookDelivery:
    """A pending delivery is retried now; a finished one is queued again (same webhook-id,
    so receivers can tell it is the same message), after what is already queued."""
    now = now or datetime.now(UTC)
    delivery = session.scalars(
        select(WebhookDelivery).where(col(WebhookDelivery.id) == delivery_id,
                                      col(WebhookDelivery.endpoint_id) == endpoint.id)
        .with_for_update()
    ).one_or_none()
    if delivery is None:
        raise not_found(f"delivery {delivery_id}")
    if delivery.status == "pending":
        delivery.next_attempt_at = now
        session.add(delivery)
        session.flush()
        return delivery
    again = WebhookDelivery(endpoint_id=endpoint.id, msg_id=delivery.msg_id,
                            event_type=delivery.event_type, change_seq=delivery.change_seq,
                            payload=delivery.payload, status="pending", next_attempt_at=now)
    session.add(again)
    session.flush()
    return again
