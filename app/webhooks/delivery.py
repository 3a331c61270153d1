"""The webhook worker: change rows → deliveries → signed HTTP POSTs.

At least once, in order per endpoint, coordinated through Postgres
-----------------------------------------------------------------
``run_once`` visits every active endpoint.  For each one it takes a session-level advisory
lock (``pg_try_advisory_lock``: another worker holding it means the endpoint is skipped,
so any number of workers may run), then

1. *fan-out*: copies the change rows after the endpoint's ``cursor`` that match its event
   types and countries into ``webhook_deliveries`` rows and advances the cursor, in one
   transaction.  ``seq`` is commit-ordered (migration 0004), so the cursor never passes a
   change that is not yet visible (the same argument as the feed's).
2. *delivery*: sends the endpoint's oldest pending delivery; only when it succeeds (2xx)
   does the next one go.  A failure schedules a retry with exponential backoff and stops
   this endpoint for this run.  No transaction is open while a request is in flight; the
   attempt is recorded afterwards (a crash in between means one more attempt: at least
   once).
3. *auto-disable*: when the endpoint has failed without a single success for
   ``RetryPolicy.disable_after`` (3 days by default; retries continue with backoff until
   then, so well over 24 hours), it is disabled with a visible reason.  Its pending
   deliveries stay queued; re-enabling it (PATCH status=active) resumes them in order.

Time is injectable (``now``) and so is the HTTP sender, so tests need not sleep.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text, update
from sqlmodel import Session, col, select

from app.authorities.documents import View, format_timestamp, view_of
from app.core.loops import repeat_until_stopped
from app.core.problems import Problem, not_found
from app.sync.schemas import FeedEntry
from app.sync.service import changes_after, entry, head
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.webhooks.service import (
    PING,
    RefusedDestination,
    Resolve,
    delivery_out,
    pin_destination,
)
from app.webhooks.signing import decrypt_secret, signed_headers

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

# Namespace of the per-endpoint advisory locks: pg_try_advisory_lock(NS, hashtext(id)).
LOCK_NAMESPACE = 0x574B  # "WK"
PING_LOCK_NAMESPACE = 0x5750  # "WP": one ping at a time per endpoint, in any process
REQUEST_TIMEOUT_SECONDS = 10.0
PARALLEL_ENDPOINTS = 8
FAN_OUT_BATCH = 500
MAX_ERROR_LENGTH = 500
MAX_COUNTED_BYTES = 64 * 1024  # of a receiver's answer, to report its size
MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=6)
    disable_after: timedelta = timedelta(days=3)

    def delay(self, failures: int) -> timedelta:
        """Wait before the next try after ``failures`` failed attempts (1, 2, …):
        30 s, 1 min, 2 min, … doubling up to 6 h."""
        seconds = self.first_delay.total_seconds() * 2 ** min(max(failures - 1, 0), 30)
        return min(timedelta(seconds=seconds), self.max_delay)


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# (url, body, headers) -> SendResult
Sender = Callable[[str, bytes, dict[str, str]], SendResult]


def webhook_client(timeout: float = REQUEST_TIMEOUT_SECONDS) -> httpx.Client:
    """The HTTP client of deliveries and pings.  No redirects; no proxy from the
    environment (the request must go to the address that was checked); no kept-alive
    connections, since the pool would share a connection, and its TLS server name, between
    two names on one address."""
    import httpx  # see app.webhooks.service.pin_destination

    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                        limits=httpx.Limits(max_keepalive_connections=0))


def http_sender(client: httpx.Client, resolve: Resolve | None = None) -> Sender:
    """POST to the destination resolved and checked at send time, pinned to the checked
    address.  What the receiver answers is summed up, never kept (see ``answer_summary``)."""
    import httpx  # see app.webhooks.service.pin_destination


    def send(url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        started = time.monotonic()
        try:
            target = pin_destination(url, resolve=resolve)
        except RefusedDestination as refused:
            return SendResult(None, f"destination refused: {refused}", 0)
        request = client.build_request("POST", target.url, content=body,
                                       headers={**headers, "host": target.host_header},
                                       extensions=target.extensions)
        try:
            response = client.send(request, stream=True, follow_redirects=False)
            try:
                ok = 200 <= response.status_code < 300
                error = None if ok else answer_summary(response)
            finally:
                response.close()
        except httpx.HTTPError as exc:
            elapsed = int((time.monotonic() - started) * 1000)
            return SendResult(None, failure_summary(exc), elapsed)
        elapsed = int((time.monotonic() - started) * 1000)
        return SendResult(response.status_code, error, elapsed)

    return send


def answer_summary(response: httpx.Response) -> str:
    """``HTTP 500 (text/html, 1234 bytes)``: a receiver's answer is not shown to API
    callers (it could be an internal page), only its status, media type and size, counted
    up to MAX_COUNTED_BYTES without decoding."""
    counted = 0
    for chunk in response.iter_raw():
        counted += len(chunk)
        if counted > MAX_COUNTED_BYTES:
            break
    size = (f"more than {MAX_COUNTED_BYTES} bytes" if counted > MAX_COUNTED_BYTES
            else f"{counted} bytes")
    media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    shown = f"{media}, {size}" if MEDIA_TYPE.fullmatch(media) else size
    return f"HTTP {response.status_code} ({shown})"


def failure_summary(exc: httpx.HTTPError) -> str:
    """Timeouts and connection failures keep their message (written by the OS or the TLS
    library); other failures only their kind, since e.g. a protocol error quotes what the
    other side sent."""
    import httpx  # see app.webhooks.service.pin_destination

    if isinstance(exc, httpx.TimeoutException | httpx.ConnectError):
        return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
    return type(exc).__name__


@dataclass
class RunStats:
    endpoints: int = 0
    queued: int = 0
    succeeded: int = 0
    failed: int = 0
    disabled: list[uuid.UUID] = field(default_factory=list)


# --- payloads -------------------------------------------------------------------------------

# Standard Webhooks' envelope; ``data`` of an event is a feed entry (``FeedEntry``).
_ENVELOPE = ("type", "timestamp", "data")


def in_declared_order(payload: dict[str, Any]) -> dict[str, Any]:
    """A stored payload (JSONB keeps no key order) with the envelope, the feed entry and
    its record (``view_of``, the full view) in their declared order, as the feed has them."""
    message = {k: payload[k] for k in _ENVELOPE if k in payload}
    data = payload.get("data")
    if isinstance(data, dict) and isinstance(data.get("record"), dict):
        event = {k: data[k] for k in FeedEntry.model_fields if k in data}
        event["record"] = view_of(data["record"], View.full)
        message["data"] = event
    return message


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(in_declared_order(payload), ensure_ascii=False,
                      separators=(",", ":")).encode()


def ping_payload(endpoint_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    return {"type": PING, "timestamp": format_timestamp(now),
            "data": {"webhook_id": str(endpoint_id)}}


def send_message(send: Sender, url: str, secret_ciphertext: str, msg_id: str,
                 payload: dict[str, Any], now: datetime) -> SendResult:
    secret = decrypt_secret(secret_ciphertext)
    body = body_of(payload)
    return send(url, body, signed_headers(secret, msg_id, int(now.timestamp()), body))


# --- fan-out --------------------------------------------------------------------------------

def fan_out(session: Session, endpoint: WebhookEndpoint, batch: int = 500) -> tuple[int, int]:
    """Turn the changes after the endpoint's cursor into deliveries.

    Returns (deliveries queued, change rows read): fewer rows than ``batch`` means caught up.
    """
    top = head(session)  # read before the rows: see the module docstring of app.sync.service
    rows = changes_after(session, endpoint.cursor, batch, endpoint.countries)
    queued = 0
    for row in rows:
        event_type = f"authority.{row.op}"
        if event_type not in endpoint.event_types:
            continue
        data = entry(row, View.full)
        session.add(WebhookDelivery(
            endpoint_id=endpoint.id, msg_id=f"msg_{endpoint.id.hex[:12]}_{row.seq}",
            event_type=event_type, change_seq=row.seq, status="pending",
            payload={"type": event_type, "timestamp": data["at"], "data": data},
            next_attempt_at=None,
        ))
        queued += 1
    new_cursor = rows[-1].seq if len(rows) == batch else max(top, endpoint.cursor,
                                                                 rows[-1].seq if rows else 0)
    if new_cursor != endpoint.cursor:
        session.execute(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint.id)
                        .values(cursor=new_cursor))
    session.flush()
    return queued, len(rows)


def _owner_revoked(session: Session, endpoint: WebhookEndpoint, now: datetime) -> bool:
    if endpoint.owner_key_id is None:
        return False
    row = session.execute(text("SELECT revoked_at, expires_at FROM api_keys WHERE id = :id"),
                          {"id": endpoint.owner_key_id}).one_or_none()
    return row is None or row[0] is not None or (row[1] is not None and row[1] <= now)


# --- delivery -------------------------------------------------------------------------------

def _disable(session: Session, endpoint_id: uuid.UUID, reason: str, now: datetime) -> None:
    session.execute(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id)
                    .values(status="disabled", disabled_reason=reason, disabled_at=now))


def record_attempt(session: Session, delivery: WebhookDelivery, result: SendResult,
                   now: datetime, final: bool = False) -> None:
    """Log one attempt.  ``final``: a one-off message (ping) that is never retried."""
    session.add(WebhookAttempt(delivery_id=delivery.id or 0, attempted_at=now,
                               status_code=result.status_code, error=result.error,
                               duration_ms=result.duration_ms))
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    if result.ok:
        delivery.status = "succeeded"
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif final:
        delivery.status = "failed"
        delivery.next_attempt_at = None
    session.add(delivery)


def _deliver_one(session: Session, endpoint_id: uuid.UUID, send: Sender, now: datetime,
                 policy: RetryPolicy, stats: RunStats) -> bool:
    """Send the endpoint's oldest pending delivery if it is due; True to go on."""
    endpoint = session.get(WebhookEndpoint, endpoint_id, populate_existing=True)
    if endpoint is None or endpoint.status != "active":
        return False
    delivery = session.scalars(
        select(WebhookDelivery)
        .where(col(WebhookDelivery.endpoint_id) == endpoint_id,
               col(WebhookDelivery.status) == "pending")
        .order_by(col(WebhookDelivery.id)).limit(1)
    ).one_or_none()
    if delivery is None or (delivery.next_attempt_at is not None
                            and delivery.next_attempt_at > now):
        session.rollback()
        return False
    delivery_id, message = delivery.id, (endpoint.url, endpoint.secret_ciphertext,
                                         delivery.msg_id, delivery.payload)
    failing_since = endpoint.failing_since
    session.rollback()  # no transaction stays open while the request is in flight
    result = send_message(send, *message, now)
    delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if delivery is None or delivery.status != "pending":  # deleted or redone meanwhile
        session.rollback()
        return False
    record_attempt(session, delivery, result, now)
    if result.ok:
        session.execute(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id)
                        .values(failing_since=None))
        stats.succeeded += 1
        session.commit()
        return True
    stats.failed += 1
    since = failing_since or now
    delivery.next_attempt_at = now + policy.delay(delivery.attempts)
    session.execute(update(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id)
                    .values(failing_since=since))
    if now - since >= policy.disable_after:
        _disable(session, endpoint_id, f"failing since {format_timestamp(since)} "
                                       f"(last: {result.error})"[:MAX_ERROR_LENGTH], now)
        stats.disabled.append(endpoint_id)
        log.warning("webhook endpoint disabled after sustained failure",
                    extra={"endpoint": str(endpoint_id)})
    session.commit()
    return False


def process_endpoint(engine: Engine, endpoint_id: uuid.UUID, send: Sender, now: datetime,
                     policy: RetryPolicy, stats: RunStats, max_messages: int = 100) -> None:
    """Fan out and deliver for one endpoint, unless another worker holds it."""
    with engine.connect() as conn:
        locked = conn.execute(text("SELECT pg_try_advisory_lock(:ns, hashtext(:id))"),
                              {"ns": LOCK_NAMESPACE, "id": str(endpoint_id)}).scalar()
        conn.commit()
        if not locked:
            return
        try:
            with Session(bind=conn, expire_on_commit=False) as session:
                endpoint = session.get(WebhookEndpoint, endpoint_id)
                if endpoint is None or endpoint.status != "active":
                    return
                stats.endpoints += 1
                if _owner_revoked(session, endpoint, now):
                    _disable(session, endpoint_id, "the API key that created it is revoked "
                                                   "or expired", now)
                    stats.disabled.append(endpoint_id)
                    session.commit()
                    return
                while True:  # catch up in batches
                    queued, read = fan_out(session, endpoint, batch=FAN_OUT_BATCH)
                    session.commit()
                    stats.queued += queued
                    endpoint = session.get(WebhookEndpoint, endpoint_id,
                                           populate_existing=True)
                    if endpoint is None or read < FAN_OUT_BATCH:
                        break
                for _ in range(max_messages):
                    if not _deliver_one(session, endpoint_id, send, now, policy, stats):
                        break
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:ns, hashtext(:id))"),
                         {"ns": LOCK_NAMESPACE, "id": str(endpoint_id)})
            conn.commit()


def run_once(engine: Engine, now: datetime | None = None, send: Sender | None = None,
             policy: RetryPolicy | None = None, max_messages: int = 100) -> RunStats:
    """One pass over every active endpoint: fan out new changes, deliver what is due."""
    if send is None:
        with webhook_client() as client:
            return run_once(engine, now, http_sender(client), policy, max_messages)
    now = now or datetime.now(UTC)
    policy = policy or RetryPolicy()
    stats = RunStats()
    with Session(engine) as session:
        ids = list(session.scalars(
            select(WebhookEndpoint.id).where(col(WebhookEndpoint.status) == "active")
            .order_by(col(WebhookEndpoint.created_at))))
    merge_lock = threading.Lock()

    def process(endpoint_id: uuid.UUID) -> None:
        own = RunStats()
        try:
            process_endpoint(engine, endpoint_id, send, now, policy, own, max_messages)
        except Exception:  # one endpoint's trouble must not stop the others
            log.exception("webhook endpoint pass failed", extra={"endpoint": str(endpoint_id)})
        with merge_lock:
            stats.endpoints += own.endpoints
            stats.queued += own.queued
            stats.succeeded += own.succeeded
            stats.failed += own.failed
            stats.disabled += own.disabled

    # Endpoints are served side by side, so one that hangs until the request timeout
    # does not delay the others.
    with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL_ENDPOINTS, len(ids))),
                            thread_name_prefix="webhook") as pool:
        list(pool.map(process, ids))
    return stats


def run_forever(engine: Engine, interval: float = 1.0,
                stop: threading.Event | None = None) -> None:
    """The `cna webhooks-deliver` loop; any number may run side by side."""
    stop = stop or threading.Event()
    with webhook_client() as client:
        _deliver_until(engine, http_sender(client), interval, stop)


def _deliver_until(engine: Engine, send: Sender, interval: float,
                   stop: threading.Event) -> None:
    def deliver() -> None:
        stats = run_once(engine, send=send)
        if stats.queued or stats.succeeded or stats.failed:
            log.info("webhook pass", extra={"queued": stats.queued,
                                            "succeeded": stats.succeeded,
                                            "failed": stats.failed})

    repeat_until_stopped(deliver, name="webhook", interval=interval, stop=stop)


def ping(engine: Engine, endpoint_id: uuid.UUID, url: str, secret_ciphertext: str,
         send: Sender, now: datetime | None = None) -> dict[str, Any]:
    """Send a signed `ping` now, outside the ordered queue, and log it (never retried).

    Under the endpoint's ping lock, held on a connection of its own while the request is in
    flight (no transaction open): another ping of this endpoint, from any process, is a 409.
    Returns the logged delivery as the API shows it.
    """
    with engine.connect() as conn:
        lock = {"ns": PING_LOCK_NAMESPACE, "id": str(endpoint_id)}
        locked = conn.execute(text("SELECT pg_try_advisory_lock(:ns, hashtext(:id))"),
                              lock).scalar()
        conn.commit()
        if not locked:
            raise ping_in_flight(endpoint_id)
        try:
            now = now or datetime.now(UTC)
            msg_id = f"msg_ping_{uuid.uuid4().hex[:16]}"
            payload = ping_payload(endpoint_id, now)
            result = send_message(send, url, secret_ciphertext, msg_id, payload, now)
            with Session(bind=conn, expire_on_commit=False) as session:
                if session.get(WebhookEndpoint, endpoint_id) is None:  # deleted meanwhile
                    raise not_found(f"webhook {endpoint_id}")
                delivery = WebhookDelivery(endpoint_id=endpoint_id, msg_id=msg_id,
                                           event_type=PING, payload=payload, status="failed")
                session.add(delivery)
                session.flush()
                record_attempt(session, delivery, result, now, final=True)
                session.commit()
                session.refresh(delivery)
                return delivery_out(delivery)
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:ns, hashtext(:id))"), lock)
            conn.commit()


def ping_in_flight(endpoint_id: uuid.UUID) -> Problem:
    return Problem(status=409, title="Ping in progress",
                   detail=f"a ping of webhook {endpoint_id} is in flight; try again when it "
                          "is answered")
