"""The pings the API is asked for, kept off the request workers.

A ping waits on someone else's server.  Sent from a request worker, each one held that
worker for up to the request timeout, so a few dozen pings to a receiver that never
answers stalled every other route.  Here the route awaits the ping without a thread: the
request goes out from a few threads of the pinger's own, with a short timeout and one
shared client, closed at shutdown.  At most PING_SENDERS pings run per process (more:
503), and one per endpoint (another: 409; across processes through the advisory lock that
``delivery.ping`` holds while the request is in flight).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.access.principal import Principal
from app.core.problems import Problem
from app.webhooks import delivery, service

if TYPE_CHECKING:
    import httpx

PING_SENDERS = 4
PING_TIMEOUT_SECONDS = 5.0
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class PingTarget:
    endpoint_id: uuid.UUID
    url: str
    secret_ciphertext: str


def ping_target(session: Session, principal: Principal, endpoint_id: uuid.UUID) -> PingTarget:
    """The endpoint to ping, if this caller may; the session's transaction is ended, so no
    connection is held while the ping is in flight."""
    endpoint = service.get_endpoint(session, principal, endpoint_id)
    target = PingTarget(endpoint.id, endpoint.url, endpoint.secret_ciphertext)
    session.rollback()
    return target


class Pinger:
    """Created in the app's lifespan (``app.state.webhook_pinger``), closed when it ends."""

    def __init__(self, engine: Engine, send: delivery.Sender | None = None,
                 senders: int = PING_SENDERS, timeout: float | None = None) -> None:
        self._engine = engine
        self._timeout = timeout or PING_TIMEOUT_SECONDS
        # The client (its TLS context alone is over a megabyte) is made by the first ping:
        # most processes are never asked for one.
        self._client: httpx.Client | None = None
        self._send = send
        self._closed = False
        self._senders = senders
        self._pool = ThreadPoolExecutor(max_workers=senders, thread_name_prefix="webhook-ping")
        self._lock = threading.Lock()
        self._in_flight: set[uuid.UUID] = set()

    @property
    def closed(self) -> bool:
        return self._closed

    def _sender(self) -> delivery.Sender:
        with self._lock:
            if self._send is None:
                self._client = delivery.webhook_client(self._timeout)
                self._send = delivery.http_sender(self._client)
            return self._send

    async def ping(self, session: Session, principal: Principal,
                   endpoint_id: uuid.UUID) -> dict[str, Any]:
        """Send a ping and report how the endpoint answered (the logged delivery)."""
        target = await run_in_threadpool(ping_target, session, principal, endpoint_id)
        self._claim(target.endpoint_id)
        try:
            job = self._pool.submit(delivery.ping, self._engine, target.endpoint_id,
                                    target.url, target.secret_ciphertext, self._sender())
        except BaseException:
            self._release(target.endpoint_id)
            raise
        # Released when the request is done, even if the caller went away meanwhile.
        job.add_done_callback(lambda _: self._release(target.endpoint_id))
        return await asyncio.wrap_future(job)

    def _claim(self, endpoint_id: uuid.UUID) -> None:
        with self._lock:
            if endpoint_id in self._in_flight:
                raise delivery.ping_in_flight(endpoint_id)
            if len(self._in_flight) >= self._senders:
                raise Problem(status=503, title="Too many pings",
                              detail="too many webhook pings are in flight; try again shortly",
                              headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
            self._in_flight.add(endpoint_id)

    def _release(self, endpoint_id: uuid.UUID) -> None:
        with self._lock:
            self._in_flight.discard(endpoint_id)

    def close(self) -> None:
        """Wait for the pings in flight (each ends within its timeout), then close."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self._closed = True
            if self._client is not None:
                self._client.close()

    def __enter__(self) -> Pinger:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def running_pinger(request: Request) -> Pinger:
    pinger: Pinger = request.app.state.webhook_pinger
    return pinger


PingerDep = Annotated[Pinger, Depends(running_pinger)]
