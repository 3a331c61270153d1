"""The second factor through the API: enrol, confirm, replace the recovery codes, remove
(sessions only); and the secretariat's reset of a person's lost second factor."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from app.access.policy import ALL_ROLES, rule
from app.access.principal import Principal, Role
from app.accounts import service, totp
from app.accounts.models import Account
from app.api.deps import SessionDep
from app.api.responses import json_response
from app.core.errors import problem_responses
from app.core.inputs import Text
from app.core.problems import Problem
from app.core.settings import get_settings

router = APIRouter(tags=["accounts"])
NO_STORE = {"Cache-Control": "no-store"}
Code = Annotated[Text, StringConstraints(min_length=1, max_length=64)]


class EnrolmentOut(BaseModel):
    secret: str = Field(description="base32; shown by this call only")
    otpauth_uri: str
    qr_svg_data_uri: str = Field(description="the otpauth URI as a QR code")


class CodeIn(BaseModel):
    code: Code = Field(description="the current six-digit code (DELETE: or a recovery "
                                   "code)")


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] = Field(description="single use; shown by this call only")


def clock() -> datetime:
    """The time codes are checked at (a dependency, so tests can set it)."""
    return totp.now_utc()


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _own_account(session: SessionDep, principal: Principal) -> Account:
    account = session.get(Account, principal.account_id) if principal.account_id else None
    if principal.session_id is None or account is None:
        raise Problem(status=409, detail="this request is not signed in with a session")
    return account


@router.post("/v1/me/totp", status_code=201, response_model=EnrolmentOut,
             responses=problem_responses(401, 403, 409))
def start_enrolment(request: Request, session: SessionDep,
                    principal: Principal = rule("POST", "/v1/me/totp", *ALL_ROLES,
                                                during_enrolment=True)) -> Response:
    """Start enrolling a TOTP second factor: a new secret, its otpauth URI and QR code
    (shown this once; starting again replaces a secret not yet confirmed)."""
    enrolment = totp.start_enrolment(session, _own_account(session, principal),
                                     _client(request))
    session.commit()
    response = json_response(request, {"secret": enrolment.secret,
                                       "otpauth_uri": enrolment.otpauth_uri,
                                       "qr_svg_data_uri": enrolment.qr_svg_data_uri},
                             headers=NO_STORE)
    response.status_code = 201
    return response


@router.post("/v1/me/totp/confirm", response_model=RecoveryCodesOut,
             responses=problem_responses(401, 403, 409, 422))
def confirm_enrolment(request: Request, session: SessionDep, body: CodeIn,
                      now: Annotated[datetime, Depends(clock)],
                      principal: Principal = rule("POST", "/v1/me/totp/confirm", *ALL_ROLES,
                                                  during_enrolment=True)) -> Response:
    """Confirm enrolment with a current code: from now on signing in needs a code. Returns
    10 single-use recovery codes, shown this once."""
    codes = totp.confirm_enrolment(session, _own_account(session, principal), body.code,
                                   now, _client(request))
    session.commit()
    return json_response(request, {"recovery_codes": codes}, headers=NO_STORE)


@router.delete("/v1/me/totp", status_code=204, responses=problem_responses(401, 403, 409, 422))
def remove(request: Request, session: SessionDep, body: CodeIn,
           now: Annotated[datetime, Depends(clock)],
           principal: Principal = rule("DELETE", "/v1/me/totp", *ALL_ROLES)) -> Response:
    """Remove the second factor, with a current code or a recovery code. Not for focal
    points and the secretariat, who must keep one (403)."""
    totp.remove(session, _own_account(session, principal), body.code, now,
                _client(request))
    session.commit()
    return Response(status_code=204, headers=NO_STORE)


@router.post("/v1/me/totp/recovery-codes", response_model=RecoveryCodesOut,
             responses=problem_responses(401, 403, 409, 422))
def replace_recovery_codes(request: Request, session: SessionDep, body: CodeIn,
                           now: Annotated[datetime, Depends(clock)],
                           principal: Principal = rule("POST", "/v1/me/totp/recovery-codes",
                                                       *ALL_ROLES)) -> Response:
    """Ten new recovery codes in place of the old ones, with a current code or a recovery
    code; shown this once."""
    codes = totp.replace_recovery_codes(session, _own_account(session, principal),
                                        body.code, now, _client(request))
    session.commit()
    return json_response(request, {"recovery_codes": codes}, headers=NO_STORE)


@router.post("/v1/accounts/{account_id}/second-factor/reset", status_code=204,
             responses=problem_responses(401, 403, 404))
def reset_second_factor(request: Request, session: SessionDep, account_id: uuid.UUID,
                        principal: Principal = rule(
                            "POST", "/v1/accounts/{account_id}/second-factor/reset",
                            Role.secretariat)) -> Response:
    """The secretariat resets a person's lost second factor: its seed and recovery codes
    are removed, the account's sessions end, the person gets a mail, and they enrol again
    when they next sign in. Recorded in the account's audit rows."""
    account = service.get_account(session, account_id)
    totp.reset(session, principal, principal.actor_name, account, get_settings(),
               _client(request))
    session.commit()
    return Response(status_code=204, headers=NO_STORE)
