"""The Meilisearch double served over a real loopback HTTP server, so that the official
client (``meilisearch`` on PyPI) reaches it over a socket as it would reach Meilisearch.

Each request is handed to the double's ``handle_request`` and its answer written back.
When the double is ``down`` (or a ``KilledRelay`` fires) the server closes the connection
without answering: the client sees a dropped connection, as with a server that went away.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import pytest

from tests.meili_double import KilledRelay, MeiliDouble


@dataclass(frozen=True)
class MeiliServer:
    double: MeiliDouble
    url: str


def _as_double_request(method: str, path: str, body: bytes,
                       headers: dict[str, str]) -> httpx.Request:
    """The request as the double reads it.  The official client fetches documents with
    ``POST /indexes/{uid}/documents/fetch`` (Meilisearch ≥ 1.2); the double answers the
    older, equivalent ``GET /indexes/{uid}/documents``, so the one is mapped onto the
    other."""
    parts = urlsplit(path)
    if method == "POST" and parts.path.endswith("/documents/fetch"):
        wanted = json.loads(body or b"{}")
        params: dict[str, str] = {}
        if wanted.get("fields"):
            params["fields"] = ",".join(wanted["fields"])
        for name in ("limit", "offset"):
            if name in wanted:
                params[name] = str(wanted[name])
        return httpx.Request("GET", f"http://meili.test{parts.path[:-len('/fetch')]}",
                             params=params, headers=headers)
    return httpx.Request(method, f"http://meili.test{path}", content=body, headers=headers)


def _handler(double: MeiliDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if body and self.command in ("POST", "PUT", "PATCH") \
                    and not self.headers.get("Content-Type"):
                # Meilisearch refuses a payload without a Content-Type.
                self._send(415, json.dumps({
                    "message": "A Content-Type header is missing.",
                    "code": "missing_content_type", "type": "invalid_request",
                    "link": "https://docs.meilisearch.com/errors#missing_content_type",
                }).encode(), "application/json")
                return
            request = _as_double_request(self.command, self.path, body,
                                         {k: v for k, v in self.headers.items()})
            try:
                response = double.handle_request(request)
            except (httpx.ConnectError, KilledRelay):
                self.close_connection = True  # no answer at all
                return
            self._send(response.status_code, response.read(),
                       response.headers.get("content-type", "application/json"))

        def _send(self, status: int, content: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass  # the tests read double.requests instead

    return Handler


@contextmanager
def serve(double: MeiliDouble) -> Iterator[MeiliServer]:
    """``double`` on a free loopback port, for as long as the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(double))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="meili-double",
                              kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield MeiliServer(double=double, url=f"http://{host!s}:{port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def meili_server() -> Iterator[MeiliServer]:
    """A fresh, empty double behind its own loopback server."""
    with serve(MeiliDouble()) as server:
        yield server
