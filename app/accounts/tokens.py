"""Invitation and session tokens, and the CSRF token tied to a session.

Tokens carry 256 random bits, so a plain SHA-256 digest is what is stored (as for API
keys); the CSRF token is an HMAC of the session token under CNA_SECRET_KEY, so it needs
no storage and cannot be computed without the session token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from app.access.keys import digest

TOKEN_BYTES = 32
TOKEN_MAX_LENGTH = 64  # token_urlsafe(32) is 43 characters


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return digest(token)


def csrf_token(secret_key: str, session_token: str) -> str:
    return hmac.new(secret_key.encode(), b"csrf:" + session_token.encode(),
                    hashlib.sha256).hexdigest()


def csrf_matches(secret_key: str, session_token: str, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(csrf_token(secret_key, session_token).encode(),
                               presented.encode("utf-8", "replace"))
