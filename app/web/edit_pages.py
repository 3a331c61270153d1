"""The record form in the back office: ``/authorities/{id}/edit`` and ``/authorities/new``.

A focal point's valid form becomes a proposal (``app/proposals``), based on the version
the form was opened on; the secretariat's is a direct write through the same services as
the API (``app/authorities/writes``), with that version as If-Match, so that a change
made meanwhile is shown rather than overwritten.  The record goes through the validator
of import and the API; its errors are put beside their fields (``app/web/record_form``).
Each form carries the session's CSRF token and a one-time nonce: posted twice, it makes
one proposal or edit.

Who may open the form: the secretariat, and a focal point of the record's State (checked
by ``edit_service.may_edit``; anonymous visitors are sent to sign in, anyone else gets a
403 page).  The routes are pages, so their refusals are pages too rather than the
problem+json of ``rule()``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.access.principal import Principal, Role
from app.accounts.tokens import new_token
from app.api.deps import SessionDep
from app.authorities import writes
from app.authorities.models import Authority
from app.authorities.service import Actor
from app.core.problems import FieldError, Problem, ValidationFailed
from app.proposals import service as proposals
from app.web import edit_service, i18n, service
from app.web import record_form as rf
from app.web.forms import see_other, session_form
from app.web.record_diff import DiffRow, readable_diff
from app.web.router import LangDep, PrincipalDep, load_viewer, page

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_viewer)])

RECORD_FORM_LIMIT = 262_144  # a whole record typed by a person
REASON_LIMIT = 1000
NONCE_LIMIT = 100


@dataclass
class PostedRecordForm:
    fields: list[tuple[str, str]]
    principal: Principal

    def get(self, name: str) -> str:
        return next((value for key, value in self.fields if key == name), "")


async def posted_record_form(request: Request, session: SessionDep) -> PostedRecordForm:
    """A record form posted by a signed-in person, with the session's CSRF token."""
    fields, principal = await session_form(request, session, limit=RECORD_FORM_LIMIT)
    return PostedRecordForm(fields, principal)


PostedDep = Annotated[PostedRecordForm, Depends(posted_record_form)]


def _editor(principal: Principal) -> bool:
    return principal.role in (Role.focal_point, Role.secretariat) \
        and not principal.second_factor_pending


def _refusal(request: Request, lang: str, principal: Principal, next_path: str,
             status: int = 403) -> Response:
    if principal.anonymous:
        return see_other("/sign-in", lang, next=next_path)
    words = i18n.strings(lang)
    message = words["rf_not_found"] if status == 404 else words["rf_refused"]
    return page(request, "record_form.html", lang, status=status, refused=message)


def _version(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < int(text) < 2_000_000_000 else None


@dataclass
class FormState:
    """Everything a rendering of the form needs besides the draft."""

    mode: str  # "edit" or "new"
    authority_id: uuid.UUID | None
    version: int | None
    nonce: str
    reason: str = ""
    withdraw_nonce: str = ""
    country: str | None = None  # the record's State, which an edit does not change


def _render(request: Request, session: Session, lang: str, principal: Principal,
            draft: dict[str, Any], state: FormState, status: int = 200,
            errors: dict[str, str] | None = None, conflict: list[DiffRow] | None = None,
            notice: str | None = None) -> HTMLResponse:
    options = edit_service.form_options(session, draft["country"], lang, principal)
    rf.offer_languages(draft, options["offered"])
    errors = errors or {}
    return page(request, "record_form.html", lang, status=status, refused=None, d=draft,
                o=options, errors=errors, form_errors=errors.get(""), state=state,
                proposing=principal.role is Role.focal_point, conflict=conflict,
                notice=notice, error_count=len(errors))


def _validation_errors(session: Session, record: dict[str, Any]) -> list[FieldError]:
    try:
        writes.validated(session, record)
    except ValidationFailed as exc:
        return exc.errors
    return []


def _actor(principal: Principal) -> Actor:
    return Actor(name=principal.actor_name, role=principal.role or "anonymous")


def _save(session: Session, principal: Principal, state: FormState,
          record: dict[str, Any], reason: str) -> str:
    """Propose or write the record; the page to go to afterwards.  Raises the services'
    problems (a 412 when the record changed since ``state.version``)."""
    if principal.role is Role.focal_point:
        action: proposals.Action = "update" if state.mode == "edit" else "create"
        proposal = proposals.propose(session, principal, action, state.authority_id,
                                     state.version, record, reason)
        if state.mode == "edit":
            return f"/authorities/{state.authority_id}/edit?done=proposed"
        return f"/authorities/new?done=proposed&proposal={proposal.id}"
    if state.mode == "edit":
        assert state.authority_id is not None and state.version is not None
        result = writes.replace(session, state.authority_id, record, state.version,
                                _actor(principal), reason or None)
    else:
        result = writes.create(session, record, _actor(principal), reason or None)
    return f"/authorities/{result.authority.id}?done=saved"


def _submit(request: Request, session: Session, lang: str, form: PostedRecordForm,
            state: FormState) -> Response:
    """Handle a posted form: a row added or removed, or the record sent."""
    principal = form.principal
    words = i18n.strings(lang)
    draft = rf.draft_from_fields(form.fields)
    draft["country"] = state.country or draft["country"].strip().upper()[:3]
    rf.prune_offered(draft)
    operation = form.get("op") or "save"
    if operation != "save":
        rf.apply_row_operation(draft, operation)
        return _render(request, session, lang, principal, draft, state)
    errors = rf.errors_by_field(_validation_errors(session, rf.record_from_draft(draft)),
                                draft, words)
    for field in rf.repeated_languages(draft):
        errors.setdefault(field, words["rf_err_language_twice"])
    if principal.role is Role.focal_point and not state.reason:
        errors["reason"] = words["rf_err_reason_needed"]
    if state.mode == "new" and not edit_service.may_edit(principal, draft["country"].upper()):
        errors.setdefault("country", words["rf_err_country_not_yours"])
    if not state.nonce or len(state.nonce) > NONCE_LIMIT:
        state.nonce = new_token()
        errors[""] = words["rf_err_form_expired"]
    if errors:
        return _render(request, session, lang, principal, draft, state, status=422,
                       errors=errors)
    assert principal.account_id is not None
    earlier = edit_service.earlier_outcome(session, state.nonce, principal.account_id)
    if earlier:
        return see_other(earlier, lang)
    if not edit_service.claim_nonce(session, state.nonce, principal.account_id):
        session.rollback()
        earlier = edit_service.earlier_outcome(session, state.nonce, principal.account_id)
        return see_other(earlier or request.url.path, lang)
    try:
        outcome = _save(session, principal, state, rf.record_from_draft(draft), state.reason)
    except Problem as exc:
        session.rollback()
        return _refused_write(request, session, lang, principal, draft, state, exc)
    edit_service.record_outcome(session, state.nonce, outcome)
    session.commit()
    return see_other(outcome, lang)


def _refused_write(request: Request, session: Session, lang: str, principal: Principal,
                   draft: dict[str, Any], state: FormState, exc: Problem) -> Response:
    """The form again, with what was typed: beside the fields the service named, or, for
    a record changed meanwhile, what changed (the form then bases on the new version)."""
    words = i18n.strings(lang)
    if exc.status == 412 and state.authority_id is not None and state.version is not None:
        authority = edit_service.current_record(session, state.authority_id)
        if authority is not None:
            then, now = edit_service.versions_apart(session, authority, state.version)
            conflict = readable_diff(then, now, lang, service.labels(session, [lang, "en"]))
            state.version = authority.version
            return _render(request, session, lang, principal, draft, state, status=409,
                           conflict=conflict)
    errors = rf.errors_by_field(exc.errors, draft, words)
    if exc.status == 409 and not errors and state.mode == "new":
        errors["ref"] = words["rf_err_ref_taken"]  # a record of this State has this ref
    if not errors or exc.status in (403, 404):
        errors[""] = words["rf_err_not_applied"]
    return _render(request, session, lang, principal, draft, state,
                   status=exc.status if exc.status >= 400 else 422, errors=errors)


# -- edit ---------------------------------------------------------------------------------------

def _editable(request: Request, session: Session, lang: str, principal: Principal,
              authority_id: uuid.UUID) -> Authority | Response:
    """The record, when the caller may edit it; otherwise the refusal page to answer."""
    next_path = f"/authorities/{authority_id}/edit"
    if not _editor(principal):
        return _refusal(request, lang, principal, next_path)
    authority = edit_service.current_record(session, authority_id)
    if authority is None:
        return _refusal(request, lang, principal, next_path, status=404)
    if not edit_service.may_edit(principal, authority.country):
        return _refusal(request, lang, principal, next_path)
    return authority


@router.get("/authorities/{authority_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, session: SessionDep, lang: LangDep, principal: PrincipalDep,
              authority_id: uuid.UUID, done: str = "") -> Response:
    """The whole record as a form (the secretariat, and the focal points of its State)."""
    authority = _editable(request, session, lang, principal, authority_id)
    if not isinstance(authority, Authority):
        return authority
    draft = rf.draft_from_record(edit_service.record_content(authority))
    state = FormState(mode="edit", authority_id=authority.id, version=authority.version,
                      nonce=new_token(), withdraw_nonce=new_token(), country=authority.country)
    notice = i18n.strings(lang)["rf_proposal_sent"] if done == "proposed" else None
    return _render(request, session, lang, principal, draft, state, notice=notice)


@router.post("/authorities/{authority_id}/edit", response_class=HTMLResponse)
def edit_submit(request: Request, session: SessionDep, lang: LangDep,
                authority_id: uuid.UUID, form: PostedDep) -> Response:
    principal = form.principal
    authority = _editable(request, session, lang, principal, authority_id)
    if not isinstance(authority, Authority):
        return authority
    state = FormState(mode="edit", authority_id=authority.id,
                      version=_version(form.get("version")) or authority.version,
                      nonce=form.get("nonce"), reason=form.get("reason").strip()[:REASON_LIMIT],
                      withdraw_nonce=form.get("withdraw_nonce") or new_token(),
                      country=authority.country)
    return _submit(request, session, lang, form, state)


@router.post("/authorities/{authority_id}/withdraw", response_class=HTMLResponse)
def withdraw_submit(request: Request, session: SessionDep, lang: LangDep,
                    authority_id: uuid.UUID, form: PostedDep) -> Response:
    """The secretariat withdraws a record, with a reason (focal points propose it)."""
    principal = form.principal
    next_path = f"/authorities/{authority_id}/edit"
    if principal.role is not Role.secretariat or principal.second_factor_pending:
        return _refusal(request, lang, principal, next_path)
    authority = edit_service.current_record(session, authority_id)
    if authority is None:
        return _refusal(request, lang, principal, next_path, status=404)
    words = i18n.strings(lang)
    reason = form.get("withdraw_reason").strip()[:REASON_LIMIT]
    nonce = form.get("withdraw_nonce")
    version = _version(form.get("version")) or authority.version
    draft = rf.draft_from_record(edit_service.record_content(authority))
    state = FormState(mode="edit", authority_id=authority.id, version=version,
                      nonce=new_token(), withdraw_nonce=nonce, country=authority.country)
    if not reason or not nonce or len(nonce) > NONCE_LIMIT:
        state.withdraw_nonce = new_token()
        return _render(request, session, lang, principal, draft, state, status=422,
                       errors={"withdraw_reason": words["rf_err_reason_needed"]})
    assert principal.account_id is not None
    earlier = edit_service.earlier_outcome(session, nonce, principal.account_id)
    if earlier or not edit_service.claim_nonce(session, nonce, principal.account_id):
        session.rollback()
        earlier = edit_service.earlier_outcome(session, nonce, principal.account_id)
        return see_other(earlier or f"/authorities/{authority_id}", lang)
    try:
        writes.withdraw(session, authority_id, version, _actor(principal), reason)
    except Problem as exc:
        session.rollback()
        state.withdraw_nonce = new_token()
        return _refused_write(request, session, lang, principal, draft, state, exc)
    outcome = f"/authorities/{authority_id}?done=withdrawn"
    edit_service.record_outcome(session, nonce, outcome)
    session.commit()
    return see_other(outcome, lang)


# -- new --------------------------------------------------------------------------------------

@router.get("/authorities/new", response_class=HTMLResponse)
def new_form(request: Request, session: SessionDep, lang: LangDep, principal: PrincipalDep,
             country: str = "", done: str = "") -> Response:
    """An empty record form: a focal point proposes a new authority, the secretariat
    creates it."""
    if not _editor(principal):
        return _refusal(request, lang, principal, "/authorities/new")
    choices = edit_service.editable_countries(session, principal)
    codes = [c.alpha3 for c in choices]
    chosen = country.upper()[:3] if country.upper()[:3] in codes else (
        codes[0] if len(codes) == 1 else "")
    state = FormState(mode="new", authority_id=None, version=None, nonce=new_token())
    notice = i18n.strings(lang)["rf_proposal_sent"] if done == "proposed" else None
    return _render(request, session, lang, principal, rf.empty_draft(chosen), state,
                   notice=notice)


@router.post("/authorities/new", response_class=HTMLResponse)
def new_submit(request: Request, session: SessionDep, lang: LangDep,
               form: PostedDep) -> Response:
    principal = form.principal
    if not _editor(principal):
        return _refusal(request, lang, principal, "/authorities/new")
    state = FormState(mode="new", authority_id=None, version=None, nonce=form.get("nonce"),
                      reason=form.get("reason").strip()[:REASON_LIMIT])
    return _submit(request, session, lang, form, state)
