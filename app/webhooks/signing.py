"""Standard Webhooks signing, and the encryption of stored secrets.

A secret is ``whsec_`` + base64 of 32 random bytes.  A message is signed as
``base64(HMAC-SHA256(key, f"{webhook-id}.{webhook-timestamp}.{body}"))`` and sent as
``webhook-signature: v1,<signature>``, where ``key`` is the base64-decoded part of the
secret (https://www.standardwebhooks.com/).

Secrets must be usable for signing, so they are stored encrypted (app/core/crypto.py:
Fernet, AES-128-CBC + HMAC-SHA256) with a key derived from ``CNA_SECRET_KEY``, never in
clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from app.core import crypto

SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


# The key derivation's context; unchanged, so secrets stored before stay readable.
ENCRYPTION_CONTEXT = "cna-webhook-secrets"


def encrypt_secret(secret: str, secret_key: str | None = None) -> str:
    return crypto.encrypt(secret, ENCRYPTION_CONTEXT, secret_key)


def decrypt_secret(ciphertext: str, secret_key: str | None = None) -> str:
    return crypto.decrypt(ciphertext, ENCRYPTION_CONTEXT, secret_key)


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": "cna-directory-webhooks/1",
    }
