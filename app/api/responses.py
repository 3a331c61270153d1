"""JSON responses with validators: ETag, 304 on If-None-Match."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request, Response

from app.core.jsonenc import compact_json


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
    all_headers = {"ETag": etag, "Vary": "Accept-Language, Authorization", **(headers or {})}
    if etag_matches(request, etag):
        return Response(status_code=304, headers=all_headers)
    return Response(content=body, media_type="application/json", headers=all_headers)
