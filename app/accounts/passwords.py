"""Passwords: Argon2id hashes (pwdlib), and the rules a new password must meet.

The rules follow NIST SP 800-63B: at least 12 characters and at most 256, no composition
rules, no expiry, and never one of the common passwords the project ships
(seed_data/common_passwords/).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.problems import FieldError
from app.core.settings import Settings

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORDS_FILE = (Path(__file__).resolve().parents[2] / "seed_data"
                         / "common_passwords" / "common-passwords.txt.gz")


@dataclass
class Passwords:
    """Hashing with the configured Argon2id parameters.  One per application
    (``app.state.passwords``); the dummy hash and the common list are made on first use."""

    time_cost: int
    memory_kib: int
    parallelism: int
    common_file: Path = COMMON_PASSWORDS_FILE

    @classmethod
    def from_settings(cls, settings: Settings) -> Passwords:
        return cls(settings.password_time_cost, settings.password_memory_kib,
                   settings.password_parallelism)

    @cached_property
    def hasher(self) -> PasswordHash:
        return PasswordHash((Argon2Hasher(time_cost=self.time_cost,
                                          memory_cost=self.memory_kib,
                                          parallelism=self.parallelism),))

    @cached_property
    def dummy_hash(self) -> str:
        """Verified against when there is no account, so that an unknown e-mail costs the
        same hash work as a known one."""
        return self.hasher.hash("not a password of anyone")

    @cached_property
    def common(self) -> frozenset[str]:
        with gzip.open(self.common_file, "rt", encoding="utf-8") as lines:
            return frozenset(line.strip() for line in lines if line.strip())

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """Whether the password matches, and a new hash when the parameters changed.
        Always does one hash computation, also when nothing is stored."""
        if stored is None:
            self.hasher.verify_and_update(password, self.dummy_hash)
            return False, None
        return self.hasher.verify_and_update(password, stored)

    def problems(self, password: str) -> list[FieldError]:
        """What is wrong with a new password (empty: nothing)."""
        loc = ("body", "password")
        if len(password) < MIN_LENGTH:
            return [FieldError(loc, f"must be at least {MIN_LENGTH} characters", "too_short")]
        if len(password) > MAX_LENGTH:
            return [FieldError(loc, f"must be at most {MAX_LENGTH} characters", "too_long")]
        if password.lower() in self.common:
            return [FieldError(loc, "is one of the most common passwords; choose another",
                               "common_password")]
        return []
