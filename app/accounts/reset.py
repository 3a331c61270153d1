"""Password reset by mail: a single-use link that works for CNA_PASSWORD_RESET_MINUTES.

Asking always gets the same answer; only an active account gets a mail.  For any other
address the same token work is done and nothing is stored or sent.  Using the link sets
the new password, ends every session of the account, lifts a sign-in lock and is recorded.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.accounts import throttle
from app.accounts.models import Account, PasswordReset
from app.accounts.passwords import Passwords
from app.accounts.service import end_sessions, find_by_email, record
from app.accounts.tokens import new_token, token_digest
from app.core.problems import Problem
from app.core.settings import Settings

RESET_REQUESTED = ("if an account has this e-mail address, a mail with a link to choose a "
                   "new password is on its way")
LINK_NOT_VALID = "this password-reset link is not valid"


def request_reset(session: Session, settings: Settings, *, email: str,
                  client_address: str | None, now: datetime) -> None:
    """Queue the reset mail of an active account (in the caller's transaction)."""
    from app.mail.outbox import enqueue

    token = new_token()
    digest = token_digest(token)
    account = find_by_email(session, email) if len(email) <= 320 else None
    if account is None or account.status != "active":
        return
    reset = PasswordReset(id=uuid.uuid4(), account_id=account.id, token_digest=digest,
                          client_address=client_address, created_at=now,
                          expires_at=now + timedelta(minutes=settings.password_reset_minutes))
    session.add(reset)
    enqueue(session, to=account.email, language=account.language, template="password_reset",
            context={"name": account.display_name, "path": f"/password-reset/{token}",
                     "minutes": settings.password_reset_minutes},
            cause=f"password_reset:{reset.id}", settings=settings)
    session.flush()


def reset_password(session: Session, passwords: Passwords, *, token: str, password: str,
                   client_address: str | None, now: datetime) -> Account:
    """Set a new password through a reset link: the link and every other open link of the
    account are used up, all its sessions end, and its sign-in lock is lifted."""
    reset = session.scalars(select(PasswordReset).where(
        col(PasswordReset.token_digest) == token_digest(token)).with_for_update()).one_or_none()
    if reset is None:
        raise Problem(status=404, detail=LINK_NOT_VALID)
    if reset.used_at is not None:
        raise Problem(status=410, detail="this password-reset link has been used already")
    if reset.expires_at <= now:
        raise Problem(status=410, detail="this password-reset link has expired; ask for a "
                                         "new one")
    problems = passwords.problems(password)
    if problems:
        raise Problem(status=422, title="Invalid request",
                      type="https://cna-directory.example.org/problems/validation",
                      detail="the password is not acceptable", errors=problems)
    account = session.get(Account, reset.account_id, with_for_update=True)
    if account is None or account.status != "active":
        raise Problem(status=410, detail="this account can no longer reset its password")
    session.execute(update(PasswordReset)
                    .where(col(PasswordReset.account_id) == account.id)
                    .where(col(PasswordReset.used_at).is_(None))
                    .values(used_at=now))
    account.password_hash = passwords.hash(password)
    account.updated_at = now
    session.add(account)
    record(session, account, "password_reset", f"account:{account.id}", client_address,
           {"password": "reset", "reset": str(reset.id)})
    end_sessions(session, account.id, reason="password reset")
    throttle.sign_in_succeeded(session, email=account.email)
    session.flush()
    return account
