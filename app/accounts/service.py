"""Accounts, invitations and sessions.  All SQL for people lives here.

Every change to an account writes an ``AccountEvent`` in the same transaction; callers
commit.  Who may do what is decided here too (the routes only say which roles may call).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.access.principal import Principal, Role
from app.accounts.models import Account, AccountEvent, AccountSession, Invitation
from app.accounts.passwords import Passwords
from app.accounts.tokens import new_token, token_digest
from app.authorities.models import Authority
from app.core.problems import FieldError, Problem, not_found
from app.core.settings import Settings

# last_seen_at is written at most this often per session, so most reads stay read-only.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
SIGN_IN_REFUSED = "the e-mail address or the password is not right"


@dataclass(frozen=True)
class Scope:
    countries: list[str] | None = None
    authority_ids: list[uuid.UUID] | None = None


def _invalid(loc: tuple[str | int, ...], message: str, kind: str = "invalid") -> Problem:
    return Problem(status=422, title="Invalid request",
                   type="https://cna-directory.example.org/problems/validation",
                   detail=message, errors=[FieldError(loc, message, kind)])


def normalize_email(value: str, loc: tuple[str | int, ...] = ("body", "email")) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise _invalid(loc, f"not an e-mail address: {exc}", "email") from None


def find_by_email(session: Session, email: str) -> Account | None:
    return session.scalars(select(Account).where(
        func.lower(col(Account.email)) == email.strip().lower())).one_or_none()


def record(session: Session, account: Account, action: str, actor: str,
           client_address: str | None, changes: dict[str, Any]) -> None:
    session.add(AccountEvent(account_id=account.id, action=action, actor=actor,
                             client_address=client_address, changes=changes))


def _jsonable(value: Any) -> Any:
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _change(account: Account, **after: Any) -> dict[str, Any]:
    """Apply the changed fields and return their before and after."""
    changes: dict[str, Any] = {}
    for name, value in after.items():
        before = getattr(account, name)
        if before != value:
            changes[name] = {"before": _jsonable(before), "after": _jsonable(value)}
            setattr(account, name, value)
    return changes


# -- scope and who may manage whom ------------------------------------------------------

def _authorities(session: Session, ids: Sequence[uuid.UUID]) -> Sequence[Authority]:
    return session.scalars(select(Authority).where(col(Authority.id).in_(list(ids)))).all()


def check_scope(session: Session, role: Role, scope: Scope) -> Scope:
    """The scope a role needs: countries for focal points and networks, authority records
    for officials, nothing for the secretariat."""
    if role in (Role.focal_point, Role.network):
        if not scope.countries:
            raise _invalid(("body", "countries"), f"a {role} account needs its countries")
        if scope.authority_ids:
            raise _invalid(("body", "authority_ids"), f"a {role} account has no authorities")
        return Scope(countries=sorted(set(scope.countries)))
    if role is Role.official:
        if not scope.authority_ids:
            raise _invalid(("body", "authority_ids"),
                           "an official's account needs the authorities they work for")
        if scope.countries:
            raise _invalid(("body", "countries"),
                           "an official's scope is their authorities, not countries")
        ids = sorted(set(scope.authority_ids))
        found = {a.id: a for a in _authorities(session, ids)}
        for index, authority_id in enumerate(ids):
            authority = found.get(authority_id)
            if authority is None or authority.status != "active":
                raise _invalid(("body", "authority_ids", index),
                               f"no active authority {authority_id}")
        return Scope(authority_ids=ids)
    if scope.countries or scope.authority_ids:
        raise _invalid(("body", "countries" if scope.countries else "authority_ids"),
                       "a secretariat account has no scope")
    return Scope()


def _official_countries(session: Session, account: Account) -> set[str]:
    return {a.country for a in _authorities(session, account.authority_ids or [])}


def may_manage(session: Session, actor: Principal, role: Role, scope: Scope) -> bool:
    """The secretariat manages anyone; a focal point, officials of its State's
    authorities (all of them)."""
    if actor.role is Role.secretariat:
        return True
    if actor.role is not Role.focal_point or role is not Role.official:
        return False
    countries = {a.country for a in _authorities(session, scope.authority_ids or [])}
    return bool(countries) and all(actor.may_propose_for(c) for c in countries)


def _forbidden() -> Problem:
    return Problem(status=403, detail="a focal point manages only officials of its own "
                                      "State's authorities")


# -- invitations --------------------------------------------------------------------------

def invite(session: Session, actor: Principal, actor_name: str, settings: Settings, *,
           email: str, display_name: str, language: str, role: Role, scope: Scope,
           client_address: str | None) -> tuple[str, Account, Invitation]:
    """A new account, invited: its audit row, its invitation and the invitation mail, all
    in the caller's transaction.  Returns the token (only its digest is stored)."""
    from app.mail.outbox import enqueue

    address = normalize_email(email)
    scope = check_scope(session, role, scope)
    if not may_manage(session, actor, role, scope):
        raise _forbidden()
    if find_by_email(session, address) is not None:
        raise _duplicate()
    account = Account(id=uuid.uuid4(), email=address, display_name=display_name,
                      language=language, role=role.value, countries=scope.countries,
                      authority_ids=scope.authority_ids, status="invited")
    session.add(account)
    try:
        session.flush()
    except IntegrityError:  # the same address invited at the same moment
        session.rollback()
        raise _duplicate() from None
    record(session, account, "invited", actor_name, client_address, {
        name: {"before": None, "after": _jsonable(getattr(account, name))}
        for name in ("email", "display_name", "language", "role", "countries",
                     "authority_ids", "status")})
    token, invitation = _new_invitation(session, account, actor_name, settings)
    try:
        enqueue(session, to=account.email, language=account.language, template="invitation",
                context={"name": account.display_name, "path": f"/invitations/{token}",
                         "hours": settings.invitation_hours},
                cause=f"invitation:{invitation.id}", settings=settings)
    except ValueError:  # an address the mail sender would not take
        session.rollback()
        raise _invalid(("body", "email"), "mail cannot be sent to this address",
                       "email") from None
    session.flush()
    return token, account, invitation


def _duplicate() -> Problem:
    return Problem(status=409, detail="an account with this e-mail address exists already",
                   errors=[FieldError(("body", "email"), "already has an account",
                                      "duplicate")])


def _new_invitation(session: Session, account: Account, actor_name: str,
                    settings: Settings) -> tuple[str, Invitation]:
    token = new_token()
    invitation = Invitation(id=uuid.uuid4(), account_id=account.id,
                            token_digest=token_digest(token), created_by=actor_name,
                            expires_at=datetime.now(UTC)
                            + timedelta(hours=settings.invitation_hours))
    session.add(invitation)
    return token, invitation


def accept_invitation(session: Session, passwords: Passwords, token: str, password: str,
                      client_address: str | None) -> Account:
    """Set the password of an invited account: the invitation is used up."""
    invitation = session.scalars(
        select(Invitation).where(col(Invitation.token_digest) == token_digest(token))
        .with_for_update()).one_or_none()
    if invitation is None:
        raise Problem(status=404, detail="this invitation link is not valid")
    if invitation.used_at is not None:
        raise Problem(status=410, detail="this invitation link has been used already")
    if invitation.expires_at <= datetime.now(UTC):
        raise Problem(status=410, detail="this invitation link has expired; ask for a new "
                                         "one")
    problems = passwords.problems(password)
    if problems:
        raise Problem(status=422, title="Invalid request",
                      type="https://cna-directory.example.org/problems/validation",
                      detail="the password is not acceptable", errors=problems)
    account = session.get(Account, invitation.account_id, with_for_update=True)
    if account is None or account.status != "invited":
        raise Problem(status=409, detail="this account is not waiting for an invitation")
    invitation.used_at = datetime.now(UTC)
    account.password_hash = passwords.hash(password)
    changes = _change(account, status="active", updated_at=datetime.now(UTC))
    changes.pop("updated_at", None)
    changes["password"] = "set"
    record(session, account, "invitation_accepted", f"account:{account.id}",
           client_address, changes)
    session.flush()
    return account


# -- listing and changing accounts --------------------------------------------------------

def list_accounts(session: Session, actor: Principal) -> list[Account]:
    rows = session.scalars(select(Account).order_by(col(Account.created_at),
                                                    col(Account.email))).all()
    if actor.role is Role.secretariat:
        return list(rows)
    return [row for row in rows if row.role == Role.official
            and may_manage(session, actor, Role.official,
                           Scope(authority_ids=row.authority_ids))]


def get_account(session: Session, account_id: uuid.UUID) -> Account:
    account = session.get(Account, account_id, with_for_update=True)
    if account is None:
        raise not_found(f"account {account_id}")
    return account


def change_account(session: Session, actor: Principal, actor_name: str, account: Account, *,
                   status: str | None = None, role: Role | None = None,
                   scope: Scope | None = None, display_name: str | None = None,
                   language: str | None = None, client_address: str | None) -> Account:
    """Suspend, reactivate, close, or change role, scope, name or language.  A change of
    status, role or scope ends the account's sessions (the person signs in again)."""
    current_role = Role(account.role)
    current_scope = Scope(countries=account.countries, authority_ids=account.authority_ids)
    if not may_manage(session, actor, current_role, current_scope):
        raise _forbidden() if actor.role is Role.focal_point else not_found("account")
    new_role = role or current_role
    new_scope = current_scope
    if role is not None or scope is not None:
        given = scope if scope is not None else (
            current_scope if new_role is current_role else Scope())
        new_scope = check_scope(session, new_role, given)
        if not may_manage(session, actor, new_role, new_scope):
            raise _forbidden()
    if status is not None and status != account.status:
        _check_transition(account, status)
    after: dict[str, Any] = {"role": new_role.value, "countries": new_scope.countries,
                             "authority_ids": new_scope.authority_ids}
    if status is not None:
        after["status"] = status
    if display_name is not None:
        after["display_name"] = display_name
    if language is not None:
        after["language"] = language
    changes = _change(account, **after)
    if not changes:
        return account
    account.updated_at = datetime.now(UTC)
    record(session, account, "changed", actor_name, client_address, changes)
    if changes.keys() & {"status", "role", "countries", "authority_ids"}:
        end_sessions(session, account.id, reason="account changed")
    session.flush()
    return account


def _check_transition(account: Account, status: str) -> None:
    if account.status == "closed":
        raise Problem(status=409, detail="a closed account stays closed")
    if status == "active" and account.password_hash is None:
        raise Problem(status=409, detail="an invited account becomes active when its "
                                         "invitation is accepted")
    if status == "invited":
        raise Problem(status=409, detail="an account cannot go back to invited")


def end_sessions(session: Session, account_id: uuid.UUID, reason: str) -> None:
    session.execute(update(AccountSession)
                    .where(col(AccountSession.account_id) == account_id)
                    .where(col(AccountSession.ended_at).is_(None))
                    .values(ended_at=datetime.now(UTC), end_reason=reason))


# -- sessions -------------------------------------------------------------------------------

def sign_in(session: Session, passwords: Passwords, settings: Settings, *, email: str,
            password: str, client_address: str | None, user_agent: str | None,
            second_factor: str | None = None,
            now: datetime | None = None) -> tuple[str, AccountSession, Account]:
    """A new session for the right e-mail and password, and the second factor (a TOTP
    or recovery code) once enrolled; else the same 401 whatever was wrong, after the same
    hash work (a dummy hash for an unknown address)."""
    from app.accounts import totp

    account = find_by_email(session, email) if len(email) <= 320 else None
    stored = account.password_hash if account is not None else None
    matches, new_hash = passwords.verify(password[:1024], stored)
    if account is None or not matches or not _may_sign_in(session, account):
        raise Problem(status=401, detail=SIGN_IN_REFUSED)
    if not totp.check_at_sign_in(session, account, second_factor, now or datetime.now(UTC),
                                 client_address):
        raise Problem(status=401, detail=SIGN_IN_REFUSED)
    if new_hash is not None:  # the hash parameters changed since it was made
        account.password_hash = new_hash
        record(session, account, "password_rehashed", f"account:{account.id}",
               client_address, {"password": "rehashed"})
    token, row = open_session(session, account, client_address=client_address,
                              user_agent=user_agent,
                              lifetime=timedelta(hours=settings.session_absolute_hours))
    return token, row, account


def open_session(session: Session, account: Account, *, client_address: str | None,
                 user_agent: str | None, lifetime: timedelta) -> tuple[str, AccountSession]:
    """A new session of the account (its token; only the digest is stored).  Callers
    have checked who is signing in."""
    token = new_token()
    now = datetime.now(UTC)
    row = AccountSession(id=uuid.uuid4(), account_id=account.id,
                         token_digest=token_digest(token), client_address=client_address,
                         user_agent=(user_agent or "")[:300] or None, created_at=now,
                         last_seen_at=now, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    return token, row


def may_act(session: Session, account: Account) -> bool:
    """Whether the account may act now, through a session or a personal key: active, and
    for an official, while one of their authorities is active."""
    return _may_sign_in(session, account)


def _may_sign_in(session: Session, account: Account) -> bool:
    if account.status != "active":
        return False
    if account.role == Role.official:
        return _has_active_authority(session, account)
    return True


def _has_active_authority(session: Session, account: Account) -> bool:
    return session.scalars(select(func.count()).select_from(Authority)
                           .where(col(Authority.id).in_(account.authority_ids or []))
                           .where(col(Authority.status) == "active")).one() > 0


def resolve_session(session: Session, settings: Settings, token: str) -> Principal | None:
    """The principal of a session token, or None when it is unknown or has ended.  An
    official whose authorities are all withdrawn, or an account no longer active, ends the
    session here and now."""
    if not token or len(token) > 64:
        return None
    row = session.scalars(select(AccountSession).where(
        col(AccountSession.token_digest) == token_digest(token))).one_or_none()
    now = datetime.now(UTC)
    if row is None or row.ended_at is not None:
        return None
    if row.expires_at <= now:
        _end(session, row, now, "expired")
        return None
    if row.last_seen_at <= now - timedelta(minutes=settings.session_idle_minutes):
        _end(session, row, now, "idle")
        return None
    account = session.get(Account, row.account_id)
    if account is None or not _may_sign_in(session, account):
        _end(session, row, now, "account no longer allowed")
        return None
    if now - row.last_seen_at > LAST_SEEN_RESOLUTION:
        row.last_seen_at = now
        session.add(row)
        session.commit()
    role = Role(account.role)
    countries = frozenset(account.countries) if account.countries else None
    from app.accounts import totp

    return Principal(role=role, countries=countries, account_id=account.id,
                     session_id=row.id,
                     second_factor_pending=totp.pending(session, account.id, role))


def _end(session: Session, row: AccountSession, now: datetime, reason: str) -> None:
    row.ended_at = now
    row.end_reason = reason
    session.add(row)
    session.commit()


def sign_out(session: Session, session_id: uuid.UUID) -> None:
    session.execute(update(AccountSession).where(col(AccountSession.id) == session_id)
                    .where(col(AccountSession.ended_at).is_(None))
                    .values(ended_at=datetime.now(UTC), end_reason="signed out"))
