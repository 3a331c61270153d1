"""Per-caller rate limits: per verified API key, and per client address for everyone else.

Which bucket a request is charged to:

- A key gets a bucket of its own only once it has authenticated in this process: the
  access layer hands every key that authenticated to ``VerifiedKeys`` (and takes back one
  that was refused, e.g. revoked), and the middleware looks the presented key up there by
  its prefix and compares its digest in constant time.  Any other request, a forged or
  revoked key included, is charged to its address's anonymous bucket, so a spray of
  made-up keys is limited like anonymous traffic.  A key's first request in a process
  (before it has been verified) is charged to its address as well.
- The address is the peer of the connection; behind a reverse proxy listed in
  ``CNA_TRUSTED_PROXIES`` (and only then) it is taken from ``X-Forwarded-For`` before this
  middleware runs.  IPv6 addresses share one bucket per /64, the block one subscriber gets.

The tables are bounded.  A bucket that has refilled completely is the same as none, so it
is dropped to make room; when the table is full of buckets still in use, newcomers share
one overflow bucket instead of evicting anyone's.

The buckets live in each process: with several API workers each enforces its own, so
the effective limit is the per-worker limit times the workers; a shared limiter (at the
load balancer) is the step after one machine.
"""

from __future__ import annotations

import ipaddress
import json
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from app.access.keys import digest, matches, split_key
from app.core.problems import PROBLEM_MEDIA_TYPE, Problem

# Liveness probes do no I/O; everything else, /readyz and /metrics included, is limited.
EXEMPT_PATHS = frozenset({"/healthz"})
MAX_TRACKED_CALLERS = 100_000
MAX_VERIFIED_KEYS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per caller, at most ``max_tracked`` of them."""

    def __init__(self, per_minute: int, max_tracked: int = MAX_TRACKED_CALLERS) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_tracked = max_tracked
        # Least recently charged first, so refilled buckets are found at the front.
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._overflow: _Bucket | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, caller: str, now: float | None = None) -> float:
        """0 if the request may go ahead, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(caller)
            if bucket is None:
                bucket = self._new_bucket(caller, now)
            else:
                self._buckets.move_to_end(caller)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate

    def _new_bucket(self, caller: str, now: float) -> _Bucket:
        if len(self._buckets) >= self.max_tracked:
            self._drop_refilled(now)
        if len(self._buckets) >= self.max_tracked:
            if self._overflow is None:
                self._overflow = _Bucket(self.capacity, now)
            return self._overflow
        bucket = self._buckets[caller] = _Bucket(self.capacity, now)
        return bucket

    def _drop_refilled(self, now: float) -> None:
        refill_seconds = self.capacity / self.rate
        while self._buckets:
            caller, oldest = next(iter(self._buckets.items()))
            if now - oldest.updated < refill_seconds:
                return
            del self._buckets[caller]


class VerifiedKeys:
    """API keys that authenticated in this process: prefix → digest, at most ``capacity``
    of them (least recently verified dropped first).  Only the access layer adds keys, after
    it has checked them against the database, so forged keys never get in."""

    def __init__(self, capacity: int = MAX_VERIFIED_KEYS) -> None:
        self.capacity = capacity
        self._digests: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, key: str) -> None:
        prefix = split_key(key)
        if prefix is None:
            return
        with self._lock:
            self._digests[prefix] = digest(key)
            self._digests.move_to_end(prefix)
            while len(self._digests) > self.capacity:
                self._digests.popitem(last=False)

    def forget(self, key: str) -> None:
        """Drop ``key`` (refused: revoked, expired…).  Another key with the same prefix
        does not evict it: prefixes are public."""
        prefix = split_key(key)
        with self._lock:
            stored = self._digests.get(prefix) if prefix else None
            if stored is not None and matches(key, stored):
                del self._digests[prefix]  # type: ignore[arg-type]

    def prefix_of(self, key: str) -> str | None:
        """The prefix of ``key`` if it is a key that authenticated, else None."""
        prefix = split_key(key)
        if prefix is None:
            return None
        with self._lock:
            stored = self._digests.get(prefix)
        return prefix if stored is not None and matches(key, stored) else None


def address_bucket(host: str) -> str:
    """The anonymous bucket of a client address: the address, or its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "ip:" + host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"ip:{address.ipv4_mapped}"
        return f"ip:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"ip:{address}"


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, anonymous_per_minute: int, key_per_minute: int,
                 verified_keys: VerifiedKeys) -> None:
        self.app = app
        self.anonymous = RateLimiter(anonymous_per_minute)
        self.keyed = RateLimiter(key_per_minute)
        self.verified_keys = verified_keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        wait = self._wait(scope)
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = str(max(1, math.ceil(wait)))
        problem = Problem(status=429, detail=f"too many requests; retry in {retry_after} s")
        body = json.dumps(problem.body(instance=scope["path"])).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", retry_after.encode()),
        ]})
        await send({"type": "http.response.body", "body": body})

    def _wait(self, scope: Scope) -> float:
        token = _bearer_token(scope)
        prefix = self.verified_keys.prefix_of(token) if token else None
        if prefix is not None:
            return self.keyed.take("key:" + prefix)
        client = scope.get("client")
        return self.anonymous.take(address_bucket(client[0]) if client else "ip:unknown")
