"""Per-caller rate limits: per API key, and per client address for anonymous callers.

A token bucket per caller, kept in this process.  With several API workers each enforces
its own bucket, so the effective limit is the per-worker limit times the workers; a
shared limiter (Postgres or the load balancer) is the step after one machine.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from app.access.keys import split_key
from app.core.problems import PROBLEM_MEDIA_TYPE, Problem

EXEMPT_PATHS = ("/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json")
MAX_TRACKED_CALLERS = 100_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, caller: str, now: float | None = None) -> float:
        """0 if the request may go ahead, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(caller)
            if bucket is None:
                if len(self._buckets) >= MAX_TRACKED_CALLERS:
                    self._buckets.clear()
                bucket = self._buckets[caller] = _Bucket(self.capacity, now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, anonymous_per_minute: int, key_per_minute: int) -> None:
        self.app = app
        self.anonymous = RateLimiter(anonymous_per_minute)
        self.keyed = RateLimiter(key_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PATHS):
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
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                token = value.decode("latin-1").removeprefix("Bearer ").strip()
                prefix = split_key(token)
                if prefix:
                    return self.keyed.take("key:" + prefix)
        client = scope.get("client")
        return self.anonymous.take("ip:" + (client[0] if client else "unknown"))
