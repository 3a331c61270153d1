"""Request limits enforced before any route runs, each answered with problem+json.

- bodies over ``CNA_MAX_BODY_BYTES`` (413); the import route has its own, larger limit
- query strings over ``MAX_QUERY_BYTES`` (414)
- JSON nested deeper than ``MAX_JSON_DEPTH`` (400)
- a body that does not arrive within ``CNA_BODY_TIMEOUT_SECONDS`` (408)
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.problems import PROBLEM_MEDIA_TYPE, Problem

MAX_QUERY_BYTES = 4096
MAX_JSON_DEPTH = 64
LARGE_BODY_PATHS = ("/v1/import",)


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets nest deeper than ``limit`` (strings are skipped)."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


async def send_problem(send: Send, problem: Problem, path: str,
                       close_connection: bool = True) -> None:
    """Answer with ``problem`` from ASGI middleware.  Refusals close the connection by
    default: the body they did not read may still be on its way."""
    body = json.dumps(problem.body(instance=path)).encode()
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
               (b"content-length", str(len(body)).encode())]
    if close_connection:
        headers.append((b"connection", b"close"))
    headers += [(k.lower().encode(), v.encode()) for k, v in problem.headers.items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Refused(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class LimitsMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            await send_problem(send, Problem(status=414, detail=f"the query string may be at "
                                             f"most {MAX_QUERY_BYTES} bytes"), path)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        if path.startswith(LARGE_BODY_PATHS):
            await self.app(scope, self._timed(receive), send)
            return
        try:
            body = await self._read_body(scope, receive)
        except _Refused as refused:
            await send_problem(send, refused.problem, path)
            return
        if body and json_depth_exceeds(body):
            await send_problem(send, Problem(status=400, detail=f"JSON may nest at most "
                                             f"{MAX_JSON_DEPTH} levels"), path)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _timed(self, receive: Receive) -> Receive:
        """Each body chunk must arrive within the timeout; once the body is complete,
        later receive() calls (a streaming response waiting for a disconnect) are not
        timed."""
        body_complete = False

        async def timed() -> Message:
            nonlocal body_complete
            if body_complete:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
            return message
        return timed

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() \
                    and int(value) > self.max_body_bytes:
                raise _Refused(self._too_large())
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                raise _Refused(Problem(status=408, detail="the request body did not arrive "
                                       f"within {self.body_timeout:g} s")) from None
            if message["type"] == "http.disconnect":
                raise _Refused(Problem(status=400, detail="the client went away"))
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _Refused(self._too_large())
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self) -> Problem:
        return Problem(status=413, detail=f"a request body may be at most "
                                          f"{self.max_body_bytes} bytes")
