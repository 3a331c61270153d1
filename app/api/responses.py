"""JSON responses with validators (ETag, 304 on If-None-Match), and the URLs of this
service that responses give back (``Link``, a vCard's ``SOURCE``)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from fastapi import Request, Response
from starlette.datastructures import URL

from app.core.jsonenc import compact_json
from app.core.settings import get_settings

# A host name or an IPv6 literal, and an optional port: nothing that could carry a path,
# user information or a second URL.
_HOST_HEADER = re.compile(r"^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::([0-9]{1,5}))?$", re.IGNORECASE)


def _trusted_base(request: Request) -> str | None:
    """``scheme://host[:port]`` that clients reach this service at, or None.

    ``CNA_PUBLIC_URL`` when set; otherwise the request's ``Host`` header, but only when it
    names one of ``CNA_ALLOWED_HOSTS``: an attacker-chosen Host is never echoed back.
    """
    settings = get_settings()
    if settings.public_url:
        return settings.public_url
    match = _HOST_HEADER.match(request.headers.get("host") or "")
    if match is None:
        return None
    host, port = match.group(1).lower(), match.group(2)
    if host.strip("[]") not in {h.lower().strip("[]") for h in settings.allowed_hosts}:
        return None
    scheme = "https" if request.url.scheme == "https" else "http"
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def service_url(request: Request, path: str, query: str = "") -> str | None:
    """The absolute URL of ``path`` on this service, or None without a trusted base."""
    base = _trusted_base(request)
    if base is None:
        return None
    return base + path + (f"?{query}" if query else "")


def next_link(request: Request, url: URL) -> str:
    """A ``Link: <…>; rel="next"`` value for ``url`` (a URL of this request, re-encoded):
    absolute when the base is trusted, else relative, which RFC 8288 allows."""
    target = url.path + (f"?{url.query}" if url.query else "")
    return f'<{service_url(request, url.path, url.query) or target}>; rel="next"'


def etag_matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return etag in candidates


def json_response(
    request: Request,
    payload: Any,
    etag: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Serialise ``payload``; answer 304 when the client's copy is current.

    ``etag`` defaults to a hash of the body, which suits lists; records pass their own.
    """
    return body_response(request, compact_json(payload), etag, headers)


def body_response(
    request: Request,
    body: bytes,
    etag: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """As ``json_response``, for a body serialised already."""
    if etag is None:
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    all_headers = json_headers(etag, headers)
    if etag_matches(request, etag):
        return Response(status_code=304, headers=all_headers)
    return Response(content=body, media_type="application/json", headers=all_headers)


def json_headers(etag: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    """The validator and ``Vary`` of a JSON answer (a 304 carries the same ones)."""
    return {"ETag": etag, "Vary": "Accept-Language, Authorization", **(headers or {})}


def not_modified(request: Request, etag: str, headers: dict[str, str]) -> Response | None:
    """A 304 with ``headers`` when the client's copy carries ``etag``, else None: for
    routes that can tell their validator before they build the body."""
    if etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    return None
