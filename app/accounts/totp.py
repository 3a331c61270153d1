"""The second factor: TOTP (RFC 6238, pyotp) and single-use recovery codes.

Required for focal points and the secretariat, offered to everyone else.  A person of a
role that requires it who has not enrolled signs in to a session limited to enrolling
(``Principal.second_factor_pending``; see ``rule()``).  Once enrolled, signing in needs a
current code or an unused recovery code after the right password; a code is accepted once
(the last accepted time step is stored, and that step and earlier ones are refused).

The seed is stored encrypted and shown only by the call that starts enrolment; recovery
codes are shown only by the call that confirms it.
"""

from __future__ import annotations

import base64
import hmac
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import pyotp
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.access.principal import Principal, Role
from app.accounts.models import Account, AccountEvent
from app.accounts.tokens import token_digest
from app.accounts.totp_models import AccountTotp, RecoveryCode
from app.core import crypto
from app.core.problems import FieldError, Problem
from app.core.settings import Settings

log = logging.getLogger(__name__)

REQUIRED_FOR = frozenset({Role.focal_point, Role.secretariat})
ISSUER = "CNA Directory"
ENCRYPTION_CONTEXT = "cna-totp-seeds"
# A code of the step before or after the current one is accepted too (clock drift, and
# the seconds it takes to type it).
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_BYTES = 10  # 80 bits: 16 base32 characters
TOTP_CODE = re.compile(r"^[0-9]{6}$")
RESET_ACTION = "second_factor_reset"

SecondFactorState = Literal["verified", "not_enrolled", "enrolment_required"]


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_svg_data_uri: str
    qr_svg: str  # the same QR code as an <svg> element, for a page


def required(role: Role | str) -> bool:
    return Role(role) in REQUIRED_FOR


def _record(session: Session, account: Account, action: str, client_address: str | None,
            changes: dict[str, object]) -> None:
    session.add(AccountEvent(account_id=account.id, action=action,
                             actor=f"account:{account.id}", client_address=client_address,
                             changes=changes))


def _row(session: Session, account_id: uuid.UUID, *, lock: bool = False) -> AccountTotp | None:
    query = select(AccountTotp).where(col(AccountTotp.account_id) == account_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def enrolled(session: Session, account_id: uuid.UUID) -> bool:
    row = _row(session, account_id)
    return row is not None and row.confirmed_at is not None


def pending(session: Session, account_id: uuid.UUID, role: Role) -> bool:
    """True when the account must enrol a second factor before it may act: its role
    requires one, or the secretariat reset the one it had (see ``reset``), and none is
    enrolled now."""
    if enrolled(session, account_id):
        return False
    return required(role) or _reset_since_enrolment(session, account_id)


def _reset_since_enrolment(session: Session, account_id: uuid.UUID) -> bool:
    """Whether the account's latest second-factor event is a reset by the secretariat."""
    latest = session.scalars(
        select(AccountEvent.action).where(col(AccountEvent.account_id) == account_id)
        .where(col(AccountEvent.action).in_((RESET_ACTION, "totp_confirmed", "totp_removed")))
        .order_by(col(AccountEvent.id).desc()).limit(1)).one_or_none()
    return latest == RESET_ACTION


def state(session: Session, account: Account) -> SecondFactorState:
    if enrolled(session, account.id):
        return "verified"
    return "enrolment_required" if pending(session, account.id, Role(account.role)) \
        else "not_enrolled"


def _wrong_code() -> Problem:
    return Problem(status=422, title="Invalid request",
                   type="https://cna-directory.example.org/problems/validation",
                   detail="the code is not right",
                   errors=[FieldError(("body", "code"), "the code is not right", "code")])


# -- enrolment -------------------------------------------------------------------------

def start_enrolment(session: Session, account: Account,
                    client_address: str | None) -> Enrolment:
    """A new seed, pending until confirmed with a code from it (starting again replaces a
    pending seed).  Refused once a second factor is confirmed: remove it first."""
    row = _row(session, account.id, lock=True)
    if row is not None and row.confirmed_at is not None:
        raise Problem(status=409, detail="a second factor is enrolled already")
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    encrypted = crypto.encrypt(secret, ENCRYPTION_CONTEXT)
    if row is None:
        session.add(AccountTotp(account_id=account.id, secret_encrypted=encrypted))
    else:
        row.secret_encrypted = encrypted
        row.last_used_step = None
        session.add(row)
    _record(session, account, "totp_enrolment_started", client_address, {"totp": "pending"})
    session.flush()
    return _enrolment(account, secret)


def _enrolment(account: Account, secret: str) -> Enrolment:
    import segno  # only enrolment draws a QR code

    uri = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=ISSUER)
    qr = segno.make(uri, error="m")
    return Enrolment(secret=secret, otpauth_uri=uri, qr_svg_data_uri=qr.svg_data_uri(scale=4),
                     qr_svg=qr.svg_inline(scale=4, light="#fff"))


def pending_enrolment(session: Session, account: Account) -> Enrolment | None:
    """The enrolment started and not confirmed yet, shown again to its own person (after
    a wrong code); None when there is none, or its seed cannot be decrypted."""
    from cryptography.fernet import InvalidToken  # see app.core.crypto

    row = _row(session, account.id)
    if row is None or row.confirmed_at is not None:
        return None
    try:
        return _enrolment(account, crypto.decrypt(row.secret_encrypted, ENCRYPTION_CONTEXT))
    except InvalidToken:
        return None


def confirm_enrolment(session: Session, account: Account, code: str, now: datetime,
                      client_address: str | None) -> list[str]:
    """Activate the pending seed with a current code; returns the recovery codes, which
    are shown this once (only their digests are stored)."""
    row = _row(session, account.id, lock=True)
    if row is None or row.confirmed_at is not None:
        raise Problem(status=409, detail="no enrolment is waiting: start with POST "
                                         "/v1/me/totp")
    if not _accept_totp(row, code, now):
        raise _wrong_code()
    row.confirmed_at = now
    session.add(row)
    codes = _new_recovery_codes(session, account)
    _record(session, account, "totp_confirmed", client_address,
            {"totp": {"before": "pending", "after": "enrolled"},
             "recovery_codes": len(codes)})
    session.flush()
    return codes


def remove(session: Session, account: Account, code: str, now: datetime,
           client_address: str | None) -> None:
    """Remove the second factor, with a current code or a recovery code; refused for the
    roles that require it."""
    if required(account.role):
        raise Problem(status=403, detail=f"the {account.role} role requires a second "
                                         f"factor")
    row = _row(session, account.id, lock=True)
    if row is None or row.confirmed_at is None:
        raise Problem(status=409, detail="no second factor is enrolled")
    if not _accept_code(session, account, row, code, now, client_address):
        raise _wrong_code()
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account.id))
    session.delete(row)
    _record(session, account, "totp_removed", client_address,
            {"totp": {"before": "enrolled", "after": None}})
    session.flush()


def replace_recovery_codes(session: Session, account: Account, code: str, now: datetime,
                           client_address: str | None) -> list[str]:
    """Ten new recovery codes for the ten old ones (used or not), after a current code or
    a recovery code; shown this once."""
    row = _row(session, account.id, lock=True)
    if row is None or row.confirmed_at is None:
        raise Problem(status=409, detail="no second factor is enrolled")
    if not _accept_code(session, account, row, code, now, client_address):
        raise _wrong_code()
    codes = _new_recovery_codes(session, account)
    _record(session, account, "recovery_codes_replaced", client_address,
            {"recovery_codes": len(codes)})
    session.flush()
    return codes


def reset(session: Session, actor: Principal, actor_name: str, account: Account,
          settings: Settings, client_address: str | None) -> None:
    """The secretariat resets a person's lost second factor: the seed and the recovery
    codes go, every session of the account ends, the person is told by mail, and they
    must enrol again when they next sign in (see ``pending``).  Callers commit."""
    from app.accounts.service import end_sessions
    from app.mail.outbox import enqueue

    if actor.role is not Role.secretariat:
        raise Problem(status=403, detail="only the secretariat resets a second factor")
    row = _row(session, account.id, lock=True)
    before = "none" if row is None else ("enrolled" if row.confirmed_at else "pending")
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account.id))
    if row is not None:
        session.delete(row)
    event = AccountEvent(account_id=account.id, action=RESET_ACTION, actor=actor_name,
                         client_address=client_address,
                         changes={"totp": {"before": before, "after": None}})
    session.add(event)
    end_sessions(session, account.id, reason="second factor reset")
    session.flush()
    enqueue(session, to=account.email, language=account.language,
            template="second_factor_reset",
            context={"name": account.display_name, "path": "/sign-in"},
            cause=f"account_event:{event.id}", settings=settings)
    session.flush()


# -- checking codes ----------------------------------------------------------------------

def check_at_sign_in(session: Session, account: Account, code: str | None, now: datetime,
                     client_address: str | None) -> bool:
    """True when the account has no confirmed second factor, or ``code`` is a current
    TOTP code or an unused recovery code (then used up)."""
    row = _row(session, account.id, lock=True)
    if row is None or row.confirmed_at is None:
        return True
    return bool(code) and _accept_code(session, account, row, code or "", now,
                                       client_address)


def _accept_code(session: Session, account: Account, row: AccountTotp, code: str,
                 now: datetime, client_address: str | None) -> bool:
    code = code.strip()
    if TOTP_CODE.match(code):
        accepted = _accept_totp(row, code, now)
        if accepted:
            session.add(row)
        return accepted
    return _use_recovery_code(session, account, code, now, client_address)


def _accept_totp(row: AccountTotp, code: str, now: datetime) -> bool:
    """Whether ``code`` is the code of a time step within the window that is later than
    the last one accepted; if so, that step becomes the last one accepted."""
    from cryptography.fernet import InvalidToken  # see app.core.crypto

    if not TOTP_CODE.match(code):
        return False
    try:
        secret = crypto.decrypt(row.secret_encrypted, ENCRYPTION_CONTEXT)
    except InvalidToken:
        log.warning("the TOTP seed of account %s cannot be decrypted (was CNA_SECRET_KEY "
                    "changed?); a recovery code still works", row.account_id)
        return False
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    matched: int | None = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()) \
                and (row.last_used_step is None or step > row.last_used_step):
            matched = step
    if matched is None:
        return False
    row.last_used_step = matched
    return True


# -- recovery codes -----------------------------------------------------------------------

def _normalize_recovery_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _new_recovery_codes(session: Session, account: Account) -> list[str]:
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode().lower()
        codes.append("-".join(raw[i:i + 4] for i in range(0, len(raw), 4)))
        session.add(RecoveryCode(account_id=account.id,
                                 code_digest=token_digest(_normalize_recovery_code(raw))))
    return codes


def _use_recovery_code(session: Session, account: Account, code: str, now: datetime,
                       client_address: str | None) -> bool:
    normalized = _normalize_recovery_code(code)
    if not normalized or len(normalized) > 64:
        return False
    presented = token_digest(normalized)
    row = session.scalars(select(RecoveryCode)
                          .where(col(RecoveryCode.account_id) == account.id)
                          .where(col(RecoveryCode.code_digest) == presented)
                          .where(col(RecoveryCode.used_at).is_(None))
                          .with_for_update()).one_or_none()
    if row is None or not hmac.compare_digest(row.code_digest, presented):
        return False
    row.used_at = now
    session.add(row)
    session.flush()
    left = session.scalars(select(func.count()).select_from(RecoveryCode)
                           .where(col(RecoveryCode.account_id) == account.id)
                           .where(col(RecoveryCode.used_at).is_(None))).one()
    _record(session, account, "recovery_code_used", client_address,
            {"recovery_codes_left": left})
    return True


def now_utc() -> datetime:
    return datetime.now(UTC)
