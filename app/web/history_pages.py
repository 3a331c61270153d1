"""``/authorities/{id}/history``: every version with who, when and why and a readable diff;
``/authorities/{id}/versions/{n}``: a version as it was, in the record template; and
"restore this version" (secretariat): a new version equal to the old one, saved through
the API's replace (``writes.replace``, with the version the page showed as If-Match).

Who sees what follows the API's history routes exactly (``history.visible_versions``,
``view_of``): a key or person limited to some countries sees only the versions in which
the record was in one of them; anonymous visitors (while CNA_PUBLIC_READ) the public
view without who or why."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as FastAPIPath
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.access.principal import Principal
from app.api.deps import SessionDep
from app.authorities import history, writes
from app.authorities.documents import content_of, view_of
from app.authorities.service import Actor, Outcome, get_authority
from app.core.i18n import pick
from app.core.problems import Problem
from app.core.settings import get_settings
from app.routecard.router import current_time
from app.web import i18n, service
from app.web.backoffice_service import history_entries
from app.web.forms import SignedInForm, signed_in_form
from app.web.router import LangDep, PrincipalDep, load_viewer, page
from app.web.secretariat import refused

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_viewer)])

VersionPath = Annotated[int, FastAPIPath(ge=1, le=2_000_000_000)]
DONE = ("restored", "unchanged")


def _readable(principal: Principal) -> bool:
    return not principal.anonymous or get_settings().public_read


def _prefs(lang: str) -> list[str]:
    return [lang, "en"]


def _history_page(request: Request, session: Session, lang: str, principal: Principal,
                  authority_id: uuid.UUID, status: int = 200,
                  error: str | None = None, notice: str | None = None) -> Response:
    if not _readable(principal):
        return page(request, "p3c_history.html", lang, status=401, entries=None,
                    key_needed=True)
    labels = service.labels(session, _prefs(lang))
    entries = history_entries(session, authority_id, principal, lang, labels)
    if entries is None:
        return page(request, "p3c_history.html", lang, status=404, entries=None,
                    key_needed=False)
    authority = get_authority(session, authority_id)
    assert authority is not None
    newest = history.revision(session, authority_id, entries[0].version)
    name = pick(newest.document["name"], _prefs(lang))[1] if newest else None
    may_restore = refused(request, lang, principal) is None
    return page(request, "p3c_history.html", lang, status=status, entries=entries,
                key_needed=False, authority_id=authority_id, name=name,
                current_version=authority.version, may_restore=may_restore,
                error=error, notice=notice)


@router.get("/authorities/{authority_id}/history", response_class=HTMLResponse)
def history_page(request: Request, session: SessionDep, lang: LangDep,
                 principal: PrincipalDep, authority_id: uuid.UUID,
                 done: str = "") -> Response:
    """Every version of the record the caller may see, newest first."""
    t = i18n.strings(lang)
    notice = t[f"p3c_{done}"] if done in DONE else None
    return _history_page(request, session, lang, principal, authority_id, notice=notice)


@router.get("/authorities/{authority_id}/versions/{version}", response_class=HTMLResponse)
def version_page(request: Request, session: SessionDep, lang: LangDep,
                 principal: PrincipalDep, authority_id: uuid.UUID, version: VersionPath,
                 now: Annotated[datetime, Depends(current_time)]) -> Response:
    """The record exactly as it was at that version, in the record template."""
    if not _readable(principal):
        return page(request, "p3c_version.html", lang, status=401, page=None,
                    key_needed=True, version=version, authority_id=authority_id)
    rev = history.revision(session, authority_id, version)
    if rev is None or not principal.may_see_country(rev.document["country"]):
        return page(request, "p3c_version.html", lang, status=404, page=None,
                    key_needed=False, version=version, authority_id=authority_id)
    record: dict[str, Any] = service.document_page(view_of(rev.document, principal.view),
                                                   _prefs(lang), now)
    return page(request, "p3c_version.html", lang, page=record, key_needed=False,
                labels=service.labels(session, _prefs(lang)), version=version,
                authority_id=authority_id, at=rev.created_at)


@router.post("/authorities/{authority_id}/versions/{version}/restore",
             response_class=HTMLResponse)
def restore_version(request: Request, session: SessionDep, lang: LangDep,
                    authority_id: uuid.UUID, version: VersionPath,
                    form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    """Save the old version's content as a new version (secretariat)."""
    principal = form.principal
    answer = refused(request, lang, principal)
    if answer is not None:
        return answer
    t = i18n.strings(lang)
    rev = history.revision(session, authority_id, version)
    if rev is None:
        raise Problem(status=404, detail=f"version {version} of authority {authority_id}")
    expected = form.fields.get("expected_version", "")
    typed = form.fields.get("reason", "").strip()[:900]
    reason = f"restore of version {version}" + (f": {typed}" if typed else "")
    try:
        result = writes.replace(
            session, authority_id, {**content_of(rev.document), "id": str(authority_id)},
            writes.required_version(f'"{expected}-full"' if expected.isdigit() else None),
            Actor(name=principal.actor_name, role=principal.role or "anonymous"), reason)
    except Problem as exc:
        session.rollback()
        message = {412: t["p3c_restore_stale"], 428: t["p3c_restore_stale"],
                   422: t["p3c_restore_invalid"]}.get(exc.status, exc.detail or exc.title)
        return _history_page(request, session, lang, principal, authority_id,
                             status=409 if exc.status in (412, 428) else exc.status,
                             error=message)
    session.commit()
    done = "unchanged" if result.outcome is Outcome.unchanged else "restored"
    return RedirectResponse(f"/authorities/{authority_id}/history?lang={lang}&done={done}",
                            status_code=303)
