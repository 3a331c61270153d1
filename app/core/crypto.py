"""Encryption of secrets the service must read back (webhook secrets, TOTP seeds).

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key derived from
``CNA_SECRET_KEY`` and a context naming what is encrypted, so one kind of ciphertext never
decrypts as another.  Changing ``CNA_SECRET_KEY`` makes what was stored unreadable.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from app.core.settings import get_settings

if TYPE_CHECKING:
    from cryptography.fernet import Fernet


def _fernet(context: str, secret_key: str | None) -> Fernet:
    # Imported here: cryptography's bindings are about 8 MiB of every API process, and
    # most processes never read a secret back.
    from cryptography.fernet import Fernet

    material = (secret_key or get_settings().secret_key).encode()
    key = hashlib.sha256(context.encode() + b":" + material).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plaintext: str, context: str, secret_key: str | None = None) -> str:
    return _fernet(context, secret_key).encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str, context: str, secret_key: str | None = None) -> str:
    """The plaintext; ``cryptography.fernet.InvalidToken`` when it was not encrypted for
    this context under this key."""
    return _fernet(context, secret_key).decrypt(ciphertext.encode()).decode()
