"""API key material: generation, digests and constant-time comparison.

A key looks like ``cna_<prefix>_<secret>``.  The prefix (public, 8 hex characters)
identifies the key in lists, logs and history; the secret has 256 bits of entropy, so a
plain SHA-256 digest is a safe way to store it (no slow KDF needed for random keys).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

KEY_PATTERN = re.compile(r"^cna_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


def generate_key() -> tuple[str, str]:
    """A new (full key, prefix)."""
    prefix = secrets.token_hex(4)
    return f"cna_{prefix}_{secrets.token_urlsafe(32)}", prefix


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    match = KEY_PATTERN.match(key)
    return match.group(1) if match else None


def matches(key: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(key), stored_digest)
