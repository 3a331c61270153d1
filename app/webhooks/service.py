"""Webhook subscriptions and their delivery log.  All SQL of the API side lives here; the
worker's lives in ``delivery.py``."""

from __future__ import annotations

import ipaddress
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.access.principal import Principal, Role
from app.authorities.documents import format_timestamp
from app.core.problems import FieldError, Problem, not_found
from app.core.settings import get_settings
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    import httpx
from app.webhooks.signing import encrypt_secret, generate_secret

EVENT_TYPES = ("authority.upsert", "authority.withdraw")
PING = "ping"


# --- destinations ---------------------------------------------------------------------------

# (host, port) -> the addresses it resolves to
Resolve = Callable[[str, int], Sequence[str]]

GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Not globally routable, though older Pythons' ``is_global`` says they are (IETF protocol
# assignments but the two anycast services in them, documentation, SRv6 SIDs).
NOT_GLOBAL = tuple(ipaddress.ip_network(n) for n in ("192.0.0.0/24", "3fff::/20", "5f00::/16"))
GLOBAL_EXCEPTIONS = (ipaddress.ip_address("192.0.0.9"), ipaddress.ip_address("192.0.0.10"))
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedDestination(ValueError):
    """A URL that may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class PinnedDestination:
    """Where one request goes: ``url`` has the checked address in place of the name, so
    nothing resolves the name again; Host and the TLS server name stay on the name."""

    url: httpx.URL
    host_header: str
    server_name: str
    address: str

    @property
    def extensions(self) -> dict[str, Any]:
        return {"sni_hostname": self.server_name} if self.url.scheme == "https" else {}


def resolve_addresses(host: str, port: int) -> list[str]:
    return [str(info[4][0])
            for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: IPv4-mapped, NAT64, 6to4, Teredo."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return []


def _is_public(ip: Address) -> bool:
    """Globally routable unicast.  An IPv6 address that carries an IPv4 one is judged by
    that too (Python's ``is_global`` calls ::ffff:10.0.0.1 global)."""
    if ip in GLOBAL_EXCEPTIONS:
        return True
    if any(ip in network for network in NOT_GLOBAL):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if ip.ipv4_mapped is not None or ip in NAT64:
            return _is_public(embedded[0])
        if not all(_is_public(v4) for v4 in embedded):
            return False
        return ip in GLOBAL_UNICAST_V6 and ip.is_global
    return ip.is_global and not ip.is_multicast


def _never_a_destination(ip: Address) -> bool:
    """Refused even when private destinations are allowed (a zone-scoped address cannot be
    written into the URL the request is sent to)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return True
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
    return (ip.is_multicast or ip.is_unspecified
            or ip == ipaddress.IPv4Address("255.255.255.255"))


def pin_destination(url: str, allow_private: bool | None = None,
                    resolve: Resolve | None = None) -> PinnedDestination:
    """Check ``url`` and resolve its host once; the request must go to the address returned.

    http(s) only, no credentials in the URL, and every address the host resolves to must be
    public (globally routable unicast), unless CNA_WEBHOOK_ALLOW_PRIVATE; multicast and
    unspecified addresses never.  Raises RefusedDestination.
    """
    # Imported here, as in app.webhooks.delivery: httpx loads click, rich and pygments
    # (its command line), megabytes an API process needs only for a webhook.
    import httpx

    if allow_private is None:
        allow_private = get_settings().webhook_allow_private
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise RefusedDestination("not a valid URL") from exc
    if parsed.scheme not in ("http", "https") or not host:
        raise RefusedDestination("the URL must be http:// or https:// with a host")
    if parsed.userinfo:
        raise RefusedDestination("the URL must not carry credentials")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        answers = list((resolve or resolve_addresses)(host, port))
        addresses = [ipaddress.ip_address(a) for a in answers]
    except (OSError, UnicodeError, ValueError):
        addresses = []
    if not addresses:
        raise RefusedDestination(f"the host {host!r} does not resolve")
    if any(_never_a_destination(ip) or not (allow_private or _is_public(ip))
           for ip in addresses):
        raise RefusedDestination(f"the host {host!r} resolves to a private, loopback or "
                                 "otherwise non-public address")
    first = addresses[0]
    if isinstance(first, ipaddress.IPv6Address) and first.ipv4_mapped is not None:
        first = first.ipv4_mapped
    address = str(first)
    return PinnedDestination(url=parsed.copy_with(host=address),
                             host_header=parsed.netloc.decode("ascii"), server_name=host,
                             address=address)


def destination_problem(url: str, allow_private: bool | None = None,
                        resolve: Resolve | None = None) -> str | None:
    """Why ``url`` may not receive webhooks, or None (see ``pin_destination``)."""
    try:
        pin_destination(url, allow_private, resolve)
    except RefusedDestination as refused:
        return str(refused)
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
