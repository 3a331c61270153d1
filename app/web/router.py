"""The web page: `/`, `/authorities/{id}`, `/route`.  Not under /v1, so no access rule of
its own: every record is shown through ``view_of`` in the caller's view, and the caller is
identified exactly as the API does it (a person's session cookie, or a Bearer key)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Cookie, Depends, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from app.access.policy import get_principal
from app.access.principal import ANONYMOUS, Principal
from app.accounts.cookies import session_token
from app.accounts.service import resolve_session
from app.api.deps import SessionDep
from app.core.problems import Problem, not_found
from app.core.settings import get_settings
from app.routecard.router import current_time
from app.routecard.service import RouteQuery, route_card
from app.web import account_service, i18n, phones, service

HERE = Path(__file__).resolve().parent
STATIC = {"app.js": "text/javascript", "app.css": "text/css",
          "record_form.js": "text/javascript"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape(["html"]), trim_blocks=True,
                        lstrip_blocks=True)
templates.filters["phone"] = phones.international  # E.164 shown as people read it


async def load_viewer(request: Request, session: SessionDep) -> None:
    """The person signed in, for the page header (``request.state.viewer``)."""
    settings = get_settings()
    token = session_token(request, settings)
    principal = (await run_in_threadpool(resolve_session, session, settings, token)
                 if token else None)
    request.state.viewer = (account_service.viewer(session, principal, settings.secret_key,
                                                   token or "") if principal else None)


router = APIRouter(include_in_schema=False, dependencies=[Depends(load_viewer)])

async def page_principal(principal: Annotated[Principal, Depends(get_principal)]
                         ) -> Principal:
    """The caller as a page sees them: a person who must enrol a second factor first is
    anonymous here until they do, as ``rule()`` has it for the API."""
    return ANONYMOUS if principal.second_factor_pending else principal


PrincipalDep = Annotated[Principal, Depends(page_principal)]


def _lang(
    request: Request,
    lang: Annotated[str | None, Query(max_length=35)] = None,
    cna_lang: Annotated[str | None, Cookie(max_length=35)] = None,
) -> str:
    return i18n.ui_language(lang, cna_lang, request.headers.get("accept-language"))


LangDep = Annotated[str, Depends(_lang)]


def _page(request: Request, template: str, lang: str, status: int = 200,
          headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    t = i18n.strings(lang)
    query = [(k, v) for k, v in parse_qsl(request.url.query) if k not in ("lang", "partial")]
    switch = [{"code": code, "name": i18n.NATIVE[code], "current": code == lang,
               "href": request.url.path + "?" + urlencode([*query, ("lang", code)])}
              for code in i18n.UI_LANGUAGES]
    html = templates.get_template(template).render(
        t=t, lang=lang, dir="rtl" if lang in i18n.RTL else "ltr", switch=switch,
        ui_json=_script_json({"lang": lang, "t": t}), path=request.url.path,
        viewer=getattr(request.state, "viewer", None), **context)
    response = HTMLResponse(html, status_code=status, headers={
        **(headers or {}), "Content-Security-Policy": CSP,
        "Vary": "Accept-Language, Authorization, Cookie", "Cache-Control": "no-store"})
    if request.query_params.get("lang") in i18n.UI_LANGUAGES:
        response.set_cookie("cna_lang", lang, max_age=365 * 86400, samesite="lax")
    return response


page = _page


def _script_json(value: Any) -> str:
    """JSON safe inside a <script type="application/json"> element."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("&", "\\u0026"))


def _readable(principal: Principal) -> bool:
    return not principal.anonymous or get_settings().public_read


def _prefs(lang: str) -> list[str]:
    return [lang, "en"]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, lang: LangDep,
         q: Annotated[str, Query(max_length=500)] = "",
         country: Annotated[str, Query(max_length=3)] = "",
         type: Annotated[str, Query(max_length=64)] = "",
         language: Annotated[str, Query(max_length=35)] = "") -> HTMLResponse:
    """The search page; results come from /v1/search as the visitor types."""
    options = service.filter_options(session, _prefs(lang))
    labels = service.labels(session, _prefs(lang))
    return _page(request, "index.html", lang, options=options,
                 labels_json=_script_json({"country": labels["country"],
                                           "type": labels["type"]}),
                 q=q, country=country.upper(), type=type, language=language)


@router.get("/authorities/{authority_id}", response_class=HTMLResponse)
def record(request: Request, session: SessionDep, lang: LangDep, principal: PrincipalDep,
           authority_id: uuid.UUID, now: Annotated[datetime, Depends(current_time)],
           partial: bool = False) -> HTMLResponse:
    """One record in the caller's view (public for anonymous visitors)."""
    template = "_record.html" if partial else "record.html"
    if not _readable(principal):
        return _page(request, template, lang, status=401, page=None, key_needed=True)
    page = service.record_page(session, authority_id, principal, _prefs(lang), now)
    labels = service.labels(session, _prefs(lang))
    return _page(request, template, lang, status=200 if page else 404, page=page,
                 labels=labels, key_needed=False)


@router.get("/route", response_class=HTMLResponse)
def route(request: Request, session: SessionDep, lang: LangDep, principal: PrincipalDep,
          now: Annotated[datetime, Depends(current_time)],
          from_: Annotated[str, Query(alias="from", max_length=3)] = "",
          to: Annotated[str, Query(max_length=3)] = "",
          type: Annotated[str, Query(max_length=64)] = "",
          region: Annotated[str, Query(max_length=12)] = "",
          instrument: Annotated[str, Query(max_length=64)] = "",
          partial: bool = False) -> HTMLResponse:
    """The route-card form and, once filled in, the card."""
    template = "_route.html" if partial else "route.html"
    options = service.filter_options(session, _prefs(lang))
    form = {"from": from_.upper(), "to": to.upper(), "type": type, "region": region}
    card: dict[str, Any] | None = None
    problem: dict[str, Any] | None = None
    status = 200
    if not _readable(principal):
        return _page(request, template, lang, status=401, options=options, form=form,
                     card=None, problem=None, key_needed=True)
    if from_ and to and type:
        query = RouteQuery(requesting=from_, requested=to, type=type,
                           at=now.astimezone(UTC), instrument=instrument or None,
                           region=region or None)
        try:
            card = route_card(session, query, principal, _prefs(lang))
        except Problem as exc:
            status = exc.status
            problem = exc.body()
            for alt in problem.get("alternatives", []):
                alt["href"] = "/route?" + alt["route"].split("?", 1)[1] + f"&lang={lang}"
    return _page(request, template, lang, status=status, options=options, form=form,
                 card=card, problem=problem, key_needed=False)


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        raise not_found(f"/static/{name}")
    return FileResponse(HERE / "static" / name, media_type=STATIC[name],
                        headers={"Cache-Control": "public, max-age=300"})
