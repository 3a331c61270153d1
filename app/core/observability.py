"""Request ids, access logs, security headers and Prometheus metrics."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.limits import send_problem
from app.core.problems import Problem

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                           default=None)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("cna.access")
log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram(
    "cna_http_request_duration_seconds", "Time to answer a request, by route template",
    ["method", "route", "status"], registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS_IN_FLIGHT = Gauge("cna_http_requests_in_flight", "Requests being answered",
                           registry=REGISTRY)
RELAY_FAILURES = Counter("cna_search_relay_failures_total",
                         "Search mirror batches that failed", registry=REGISTRY)
WEBHOOK_FAILURES = Counter("cna_webhook_delivery_failures_total",
                           "Webhook delivery attempts that failed", registry=REGISTRY)

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


def register_gauge(name: str, documentation: str, read: Callable[[], float]) -> None:
    """A gauge computed when /metrics is scraped (e.g. the change backlog)."""
    gauge = Gauge(name, documentation, registry=REGISTRY)
    gauge.set_function(read)


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-ID``, echoed back), times it, logs it.

    It also answers for any exception that escapes the application: Starlette's
    ServerErrorMiddleware sits outside the user middleware, so an exception reaching it
    would leave as a bare 500 without the request id and security headers, and be
    re-raised to the server, which then drops the keep-alive connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope.get("headers", [])
                         if k == b"x-request-id"), "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        started_response = False
        is_api = scope["path"].startswith(("/v1/", "/healthz", "/readyz", "/metrics"))

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(SECURITY_HEADERS)
                if is_api:
                    headers.append(API_CSP)
                message["headers"] = headers
            await send(message)

        REQUESTS_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started_response:  # too late for an answer of our own
                raise
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            await send_problem(send_with_headers,
                               Problem(status=500, detail="an internal error occurred; it "
                                                          "has been logged"),
                               scope["path"], close_connection=False)
        finally:
            REQUESTS_IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            REQUEST_SECONDS.labels(scope["method"], template, str(status)).observe(elapsed)
            access_log.info(
                "%s %s %s", scope["method"], template, status,
                extra={"request_id": request_id,
                       "http": {"method": scope["method"], "route": template, "status": status,
                                "duration_ms": round(elapsed * 1000, 2)}},
            )
            request_id_var.reset(token)
