"""SQL for the people pages: who is signed in, an invitation's state, an account's
sessions, and the changes a person makes to their own account (each with its audit row,
through ``app.accounts.service.record``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, col, select, update

from app.access.models import ApiKey
from app.access.principal import Principal
from app.accounts import own, totp
from app.accounts.models import Account, AccountSession, Invitation
from app.accounts.passwords import Passwords
from app.accounts.service import record
from app.accounts.tokens import csrf_token, token_digest
from app.accounts.totp_models import RecoveryCode
from app.core.problems import FieldError

InvitationState = Literal["valid", "unknown", "used", "expired"]


@dataclass(frozen=True)
class Viewer:
    """The person signed in, as the page header shows them."""

    account_id: uuid.UUID
    session_id: uuid.UUID
    name: str
    role: str
    csrf: str


def viewer(session: Session, principal: Principal, secret_key: str,
           token: str) -> Viewer | None:
    if principal.account_id is None or principal.session_id is None:
        return None
    account = session.get(Account, principal.account_id)
    if account is None:
        return None
    return Viewer(account_id=account.id, session_id=principal.session_id,
                  name=account.display_name, role=account.role,
                  csrf=csrf_token(secret_key, token))


def invitation_state(session: Session, token: str) -> InvitationState:
    invitation = session.scalars(select(Invitation).where(
        col(Invitation.token_digest) == token_digest(token))).one_or_none()
    if invitation is None:
        return "unknown"
    if invitation.used_at is not None:
        return "used"
    if invitation.expires_at <= datetime.now(UTC):
        return "expired"
    return "valid"


def invited_role(session: Session, token: str) -> str | None:
    """The role of the account an invitation link is for."""
    return session.scalars(select(Account.role).join(
        Invitation, col(Invitation.account_id) == col(Account.id))
        .where(col(Invitation.token_digest) == token_digest(token))).one_or_none()


@dataclass(frozen=True)
class SecondFactor:
    enrolled: bool
    required: bool
    recovery_codes_left: int


def second_factor(session: Session, account: Account) -> SecondFactor:
    left = session.scalars(select(func.count()).select_from(RecoveryCode)
                           .where(col(RecoveryCode.account_id) == account.id)
                           .where(col(RecoveryCode.used_at).is_(None))).one()
    return SecondFactor(enrolled=totp.enrolled(session, account.id),
                        required=totp.required(account.role), recovery_codes_left=left)


def personal_keys(session: Session, account_id: uuid.UUID) -> list[ApiKey]:
    return list(own.personal_keys(session, account_id))


def open_sessions(session: Session, account_id: uuid.UUID) -> list[AccountSession]:
    now = datetime.now(UTC)
    return list(session.scalars(
        select(AccountSession).where(col(AccountSession.account_id) == account_id)
        .where(col(AccountSession.ended_at).is_(None))
        .where(col(AccountSession.expires_at) > now)
        .order_by(col(AccountSession.last_seen_at).desc())).all())


def update_profile(session: Session, account_id: uuid.UUID, *, display_name: str,
                   language: str, client_address: str | None) -> None:
    account = session.get(Account, account_id, with_for_update=True)
    assert account is not None
    changes = {name: {"before": getattr(account, name), "after": value}
               for name, value in (("display_name", display_name), ("language", language))
               if getattr(account, name) != value}
    if not changes:
        return
    account.display_name = display_name
    account.language = language
    account.updated_at = datetime.now(UTC)
    record(session, account, "profile_changed", f"account:{account.id}", client_address,
           changes)
    session.flush()


def change_password(session: Session, passwords: Passwords, account_id: uuid.UUID,
                    keep_session: uuid.UUID, *, current: str, new: str,
                    client_address: str | None) -> list[FieldError]:
    """Set a new password after checking the current one; the account's other sessions
    end.  Returns what is wrong (nothing changes then)."""
    account = session.get(Account, account_id, with_for_update=True)
    assert account is not None
    matches, _ = passwords.verify(current[:1024], account.password_hash)
    if not matches:
        return [FieldError(("body", "current_password"), "the current password is not right",
                           "wrong_password")]
    problems = passwords.problems(new)
    if problems:
        return problems
    account.password_hash = passwords.hash(new)
    account.updated_at = datetime.now(UTC)
    record(session, account, "password_changed", f"account:{account.id}", client_address,
           {"password": "changed"})
    session.execute(update(AccountSession)
                    .where(col(AccountSession.account_id) == account.id)
                    .where(col(AccountSession.id) != keep_session)
                    .where(col(AccountSession.ended_at).is_(None))
                    .values(ended_at=datetime.now(UTC), end_reason="password changed"))
    session.flush()
    return []


def end_session(session: Session, account_id: uuid.UUID, session_id: uuid.UUID) -> bool:
    """End one of the account's own sessions; False when it is not one of them."""
    ended = session.execute(update(AccountSession)
                            .where(col(AccountSession.id) == session_id)
                            .where(col(AccountSession.account_id) == account_id)
                            .where(col(AccountSession.ended_at).is_(None))
                            .values(ended_at=datetime.now(UTC), end_reason="signed out"))
    return bool(getattr(ended, "rowcount", 0))
