"""The back office: ``/inbox`` (the secretariat decides proposals), ``/my-state`` and
``/my-proposals`` (a focal point's records and proposals).

Every form carries the session's CSRF token (``signed_in_form``) and goes through
app/proposals/service.py, the service behind /v1/proposals.  A form posted twice decides
or proposes once: a decided proposal cannot be decided again (the second post is told it
was), and the same proposal made again while pending is the first one.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from app.access.principal import Principal, Role
from app.api.deps import SessionDep
from app.core.inputs import Text
from app.core.problems import Problem
from app.proposals import service as proposals
from app.web import i18n, inbox_service, service
from app.web.forms import SignedInForm, see_other, signed_in_form
from app.web.router import LangDep, PrincipalDep, load_viewer, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_viewer)])

COMMENT_LIMIT = 2000
REASON_LIMIT = 1000
_CONFIRM_PREFIX = "confirm_"
NOTICES = ("approved", "rejected", "already_decided", "confirmations_approved",
           "not_applied", "proposal_sent", "confirmation_sent", "withdrawal_sent")


def _prefs(lang: str) -> list[str]:
    return [lang, "en"]


def _text(value: str, limit: int) -> str:
    """A comment or reason as the API takes it; '' when empty or not acceptable."""
    try:
        return str(TypeAdapter(Text).validate_python(value.strip()[:limit]))
    except ValidationError:
        return ""


def _refuse(request: Request, lang: str, principal: Principal, path: str) -> Response | None:
    """Send someone not signed in to sign in; None when they may go on."""
    if principal.anonymous:
        return see_other("/sign-in", lang, next=path)
    return None


def _forbidden(request: Request, lang: str) -> Response:
    return page(request, "inbox_forbidden.html", lang, status=403)


def _notice(lang: str, done: str, count: str = "") -> str | None:
    if done not in NOTICES:
        return None
    return i18n.strings(lang)[f"bo_done_{done}"].replace("{n}", count)


# -- the inbox ------------------------------------------------------------------------------

def _inbox_page(request: Request, session: Session, lang: str, country: str, action: str,
                status: int = 200, errors: dict[str, str] | None = None,
                typed: dict[str, str] | None = None, notice: str | None = None) -> Response:
    labels = service.labels(session, _prefs(lang))
    items = inbox_service.inbox(session, lang, labels, country or None, action or None)
    return page(request, "inbox.html", lang, status=status, items=items, labels=labels,
                countries=inbox_service.pending_countries(session),
                actions=inbox_service.ACTIONS, country=country, action=action,
                errors=errors or {}, typed=typed or {}, notice=notice,
                query=f"country={country}&action={action}")


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, session: SessionDep, lang: LangDep, principal: PrincipalDep,
          country: Annotated[str, Query(max_length=3)] = "",
          action: Annotated[str, Query(max_length=16)] = "",
          done: Annotated[str, Query(max_length=32)] = "",
          n: Annotated[str, Query(max_length=6)] = "") -> Response:
    """Pending proposals, oldest first, filtered by State and type."""
    refused = _refuse(request, lang, principal, "/inbox")
    if refused is not None:
        return refused
    if principal.role is not Role.secretariat:
        return _forbidden(request, lang)
    action = action if action in inbox_service.ACTIONS else ""
    return _inbox_page(request, session, lang, country.upper(), action,
                       notice=_notice(lang, done, n if n.isdigit() else ""))


def _secretariat(form: SignedInForm) -> Principal:
    if form.principal.role is not Role.secretariat:
        raise Problem(status=403, detail="only the secretariat decides proposals")
    return form.principal


def _back_to_inbox(form: SignedInForm, lang: str, done: str, **extra: str) -> Response:
    return see_other("/inbox", lang, country=form.fields.get("country", "")[:3],
                     action=form.fields.get("action", "")[:16], done=done, **extra)


@router.post("/inbox/{proposal_id}/approve", response_class=HTMLResponse)
def approve(request: Request, session: SessionDep, lang: LangDep, proposal_id: uuid.UUID,
            form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    principal = _secretariat(form)
    comment = _text(form.fields.get("comment", ""), COMMENT_LIMIT)
    if not comment:
        return _decision_error(request, session, lang, form, proposal_id)
    try:
        proposals.approve(session, principal, proposal_id, comment,
                          merge=form.fields.get("merge") == "1")
    except proposals.NotApplied:
        session.commit()  # the proposal is closed as stale or conflict
        return _back_to_inbox(form, lang, "not_applied")
    except Problem as exc:
        session.rollback()
        if exc.status == 409:
            return _back_to_inbox(form, lang, "already_decided")
        raise
    session.commit()
    return _back_to_inbox(form, lang, "approved")


@router.post("/inbox/{proposal_id}/reject", response_class=HTMLResponse)
def reject(request: Request, session: SessionDep, lang: LangDep, proposal_id: uuid.UUID,
           form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    principal = _secretariat(form)
    comment = _text(form.fields.get("comment", ""), COMMENT_LIMIT)
    if not comment:
        return _decision_error(request, session, lang, form, proposal_id)
    try:
        proposals.reject(session, principal, proposal_id, comment)
    except Problem as exc:
        session.rollback()
        if exc.status == 409:
            return _back_to_inbox(form, lang, "already_decided")
        raise
    session.commit()
    return _back_to_inbox(form, lang, "rejected")


def _decision_error(request: Request, session: Session, lang: str, form: SignedInForm,
                    proposal_id: uuid.UUID) -> Response:
    """The inbox again, the message beside the comment of that proposal."""
    key = str(proposal_id)
    return _inbox_page(request, session, lang, form.fields.get("country", "")[:3],
                       form.fields.get("action", "")[:16], status=422,
                       errors={key: i18n.strings(lang)["bo_comment_needed"]},
                       typed={key: form.fields.get("comment", "")[:COMMENT_LIMIT]})


@router.post("/inbox/confirmations", response_class=HTMLResponse)
def approve_confirmations(request: Request, session: SessionDep, lang: LangDep,
                          form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    """Approve the ticked confirmations at once."""
    principal = _secretariat(form)
    ids = []
    for name, value in form.fields.items():
        if name.startswith(_CONFIRM_PREFIX) and value == "1":
            try:
                ids.append(uuid.UUID(name[len(_CONFIRM_PREFIX):]))
            except ValueError:
                continue
    comment = _text(form.fields.get("bulk_comment", ""), COMMENT_LIMIT)
    if not ids or not comment:
        errors = {"bulk": i18n.strings(lang)["bo_bulk_needed"]}
        return _inbox_page(request, session, lang, form.fields.get("country", "")[:3],
                           form.fields.get("action", "")[:16], status=422, errors=errors,
                           typed={"bulk": form.fields.get("bulk_comment", "")[:COMMENT_LIMIT]})
    outcomes = proposals.approve_confirmations(session, principal, ids[:200], comment)
    session.commit()
    approved = sum(1 for _, outcome in outcomes if outcome == "approved")
    return _back_to_inbox(form, lang, "confirmations_approved", n=str(approved))


# -- a focal point's State ----------------------------------------------------------------

def _focal_point(principal: Principal) -> bool:
    return principal.role is Role.focal_point


def _my_state_page(request: Request, session: Session, lang: str, principal: Principal,
                   status: int = 200, errors: dict[str, str] | None = None,
                   typed: dict[str, str] | None = None,
                   notice: str | None = None) -> Response:
    records = inbox_service.my_state(session, principal, lang)
    return page(request, "my_state.html", lang, status=status, records=records,
                errors=errors or {}, typed=typed or {}, notice=notice,
                countries=sorted(principal.countries or []),
                labels=service.labels(session, _prefs(lang)))


@router.get("/my-state", response_class=HTMLResponse)
def my_state(request: Request, session: SessionDep, lang: LangDep, principal: PrincipalDep,
             done: Annotated[str, Query(max_length=32)] = "") -> Response:
    """Every record of the focal point's State(s): status, verification, pending
    proposals, and the buttons to confirm, withdraw or edit."""
    refused = _refuse(request, lang, principal, "/my-state")
    if refused is not None:
        return refused
    if not _focal_point(principal):
        return _forbidden(request, lang)
    return _my_state_page(request, session, lang, principal, notice=_notice(lang, done))


def _propose(session: Session, form: SignedInForm, action: proposals.Action,
             authority_id: uuid.UUID, reason: str | None) -> None:
    if not _focal_point(form.principal):
        raise Problem(status=403, detail="only a focal point proposes from this page")
    version = form.fields.get("version", "")
    proposals.propose(session, form.principal, action, authority_id,
                      int(version) if version.isdigit() and len(version) < 10 else None,
                      None, reason)


@router.post("/my-state/{authority_id}/confirm", response_class=HTMLResponse)
def propose_confirmation(request: Request, session: SessionDep, lang: LangDep,
                         authority_id: uuid.UUID,
                         form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    """Propose "this record is still correct"."""
    _propose(session, form, "confirm", authority_id, None)
    session.commit()
    return see_other("/my-state", lang, done="confirmation_sent")


@router.post("/my-state/{authority_id}/withdraw", response_class=HTMLResponse)
def propose_withdrawal(request: Request, session: SessionDep, lang: LangDep,
                       authority_id: uuid.UUID,
                       form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    """Propose to withdraw the record, with a reason."""
    reason = _text(form.fields.get("reason", ""), REASON_LIMIT)
    if not reason:
        key = str(authority_id)
        return _my_state_page(request, session, lang, form.principal, status=422,
                              errors={key: i18n.strings(lang)["bo_reason_needed"]},
                              typed={key: form.fields.get("reason", "")[:REASON_LIMIT]})
    _propose(session, form, "withdraw", authority_id, reason)
    session.commit()
    return see_other("/my-state", lang, done="withdrawal_sent")


@router.get("/my-proposals", response_class=HTMLResponse)
def my_proposals(request: Request, session: SessionDep, lang: LangDep,
                 principal: PrincipalDep) -> Response:
    """The caller's proposals: status and the secretariat's comment."""
    refused = _refuse(request, lang, principal, "/my-proposals")
    if refused is not None:
        return refused
    if principal.role not in (Role.focal_point, Role.secretariat):
        return _forbidden(request, lang)
    items: list[Any] = inbox_service.my_proposals(session, principal, lang)
    return page(request, "my_proposals.html", lang, items=items)
