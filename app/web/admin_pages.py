"""``/admin`` (secretariat): accounts (suspend and reactivate, through the service behind
PATCH /v1/accounts), a link to the access requests, API keys (revoke, as DELETE
/v1/keys), webhooks with their failures, and the mail not delivered yet (as GET /v1/mail).
Every button is a form carrying the session's CSRF token."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.access import service as keys
from app.access.principal import Principal
from app.accounts import service as accounts
from app.accounts import totp
from app.api.deps import SessionDep
from app.core.problems import Problem, not_found
from app.core.settings import get_settings
from app.mail.outbox import UNDELIVERED, list_outbox, outbox_out
from app.web import i18n
from app.web.backoffice_service import webhook_failures
from app.web.forms import SignedInForm, signed_in_form
from app.web.router import LangDep, PrincipalDep, load_viewer, page
from app.web.secretariat import refused
from app.webhooks import service as webhooks

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_viewer)])

DONE = ("suspended", "active", "revoked", "second_factor_reset")
MAIL_SHOWN = 50


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, session: SessionDep, lang: LangDep,
               principal: PrincipalDep, done: str = "") -> Response:
    answer = refused(request, lang, principal)
    if answer is not None:
        return answer
    t = i18n.strings(lang)
    return _admin(request, session, lang, principal,
                  notice=t[f"p3c_done_{done}" if done in DONE[:3] else "admin_done_" + done]
                  if done in DONE else None)


def _admin(request: Request, session: Session, lang: str, principal: Principal,
           status: int = 200, notice: str | None = None, error: str | None = None
           ) -> Response:
    endpoints = list(webhooks.list_endpoints(session, principal))
    return page(request, "p3c_admin.html", lang, status=status, notice=notice, error=error,
                accounts=accounts.list_accounts(session, principal),
                keys=keys.list_keys(session), endpoints=endpoints,
                failures=webhook_failures(session, [e.id for e in endpoints]),
                mail=[outbox_out(m) for m in list_outbox(session, UNDELIVERED, MAIL_SHOWN,
                                                         None)])


@router.post("/admin/accounts/{account_id}/status", response_class=HTMLResponse)
def set_account_status(request: Request, session: SessionDep, lang: LangDep,
                       account_id: uuid.UUID,
                       form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    """Suspend or reactivate an account (its sessions end)."""
    answer = refused(request, lang, form.principal)
    if answer is not None:
        return answer
    status = form.fields.get("status", "")
    if status not in ("suspended", "active"):
        raise Problem(status=422, detail="status must be suspended or active")
    account = accounts.get_account(session, account_id)
    try:
        accounts.change_account(session, form.principal, form.principal.actor_name, account,
                                status=status,
                                client_address=request.client.host if request.client else None)
    except Problem as exc:
        session.rollback()
        return _admin(request, session, lang, form.principal, status=exc.status,
                      error=f"{account.email}: {exc.detail or exc.title}")
    session.commit()
    return RedirectResponse(f"/admin?lang={lang}&done={status}#accounts", status_code=303)


@router.post("/admin/accounts/{account_id}/second-factor/reset", response_class=HTMLResponse)
def reset_second_factor(request: Request, session: SessionDep, lang: LangDep,
                        account_id: uuid.UUID,
                        form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    """Reset a person's lost second factor, as POST /v1/accounts/{id}/second-factor/reset:
    the seed and recovery codes go, their sessions end, they are told by mail and enrol
    again at their next sign-in."""
    answer = refused(request, lang, form.principal)
    if answer is not None:
        return answer
    account = accounts.get_account(session, account_id)
    totp.reset(session, form.principal, form.principal.actor_name, account, get_settings(),
               request.client.host if request.client else None)
    session.commit()
    return RedirectResponse(f"/admin?lang={lang}&done=second_factor_reset#accounts",
                            status_code=303)


@router.post("/admin/keys/{prefix}/revoke", response_class=HTMLResponse)
def revoke_key(request: Request, session: SessionDep, lang: LangDep,
               prefix: Annotated[str, Path(min_length=8, max_length=80)],
               form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    answer = refused(request, lang, form.principal)
    if answer is not None:
        return answer
    if keys.revoke_key(session, prefix) is None:
        raise not_found(f"key {prefix!r}")
    session.commit()
    return RedirectResponse(f"/admin?lang={lang}&done=revoked#keys", status_code=303)
