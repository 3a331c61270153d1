"""Who is calling, and what that allows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from app.authorities.documents import View


class Role(StrEnum):
    official = "official"
    network = "network"
    focal_point = "focal_point"
    secretariat = "secretariat"


@dataclass(frozen=True)
class Principal:
    """The caller. ``role`` None means anonymous; ``countries`` None means every country."""

    role: Role | None = None
    key_id: uuid.UUID | None = None
    key_prefix: str | None = None
    countries: frozenset[str] | None = None
    # A person signed in with a session (app/accounts), rather than a key.
    account_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    # Signed in, but the role requires a second factor not enrolled yet: only the routes
    # of enrolment (rule(..., during_enrolment=True)) take this caller.
    second_factor_pending: bool = False

    @property
    def anonymous(self) -> bool:
        return self.role is None

    @property
    def view(self) -> View:
        """Anonymous callers get the public view; every key holder sees everything."""
        return View.public if self.anonymous else View.full

    @property
    def actor_name(self) -> str:
        if self.key_prefix:
            return f"key:{self.key_prefix}"
        if self.account_id:
            return f"account:{self.account_id}"
        return "anonymous"

    @property
    def read_scope(self) -> frozenset[str] | None:
        """Countries this caller may read; None for all.  Only network keys are limited
        in what they read; a focal point's countries limit what it may propose."""
        return self.countries if self.role is Role.network else None

    def may_see_country(self, alpha3: str) -> bool:
        scope = self.read_scope
        return scope is None or alpha3 in scope

    def may_propose_for(self, alpha3: str) -> bool:
        if self.role is Role.secretariat:
            return True
        return self.role is Role.focal_point and (self.countries is None
                                                 or alpha3 in self.countries)

    def visible_countries(self, requested: list[str]) -> list[str] | None:
        """The country filter to apply: the request narrowed to the read scope.

        None means no restriction.  An empty list means nothing is visible.
        """
        scope = self.read_scope
        if scope is None:
            return requested or None
        if not requested:
            return sorted(scope)
        return [c for c in requested if c in scope]


ANONYMOUS = Principal()
