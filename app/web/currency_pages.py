"""``/currency`` (secretariat): for each State, its active records by time since
verification (under 6 months, 6–12, 12–24, over 24, never), its focal points, when
reminders went out, and a "send reminder" button running the reminder job for that State
(``app.reminders.service.send_reminders``, the same code as ``cna worker`` and
``cna reminders send``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import SessionDep
from app.core.problems import Problem
from app.core.settings import get_settings
from app.reference.service import get_country
from app.reminders.service import send_reminders
from app.routecard.router import current_time
from app.web import i18n, service
from app.web.backoffice_service import currency
from app.web.forms import SignedInForm, signed_in_form
from app.web.freshness import BANDS
from app.web.router import LangDep, PrincipalDep, load_viewer, page
from app.web.secretariat import refused

router = APIRouter(include_in_schema=False, dependencies=[Depends(load_viewer)])

CountryPath = Annotated[str, Path(min_length=3, max_length=3, pattern="^[A-Z]{3}$")]


@router.get("/currency", response_class=HTMLResponse)
def currency_page(request: Request, session: SessionDep, lang: LangDep,
                  principal: PrincipalDep, now: Annotated[datetime, Depends(current_time)],
                  sent: int | None = None, skipped: int | None = None,
                  state: str = "") -> Response:
    answer = refused(request, lang, principal)
    if answer is not None:
        return answer
    t = i18n.strings(lang)
    notice = None
    if sent is not None:
        notice = (t["p3c_reminders_sent"].replace("{n}", str(sent)) if sent
                  else t["p3c_reminders_none"])
        if skipped:
            notice += " " + t["p3c_reminders_skipped"].replace("{n}", str(skipped))
    labels = service.labels(session, [lang, "en"])
    return page(request, "p3c_currency.html", lang, states=currency(session, now.date()),
                bands=BANDS, countries=labels["country"], notice=notice,
                notice_state=state[:3], months=get_settings().verify_after_months)


@router.post("/currency/{country}/remind", response_class=HTMLResponse)
def send_reminder(request: Request, session: SessionDep, lang: LangDep, country: CountryPath,
                  form: Annotated[SignedInForm, Depends(signed_in_form)]) -> Response:
    """Remind this State's focal points now (nobody more than once in 7 days)."""
    answer = refused(request, lang, form.principal)
    if answer is not None:
        return answer
    if get_country(session, country) is None:
        raise Problem(status=404, detail=f"no country {country}")
    run = send_reminders(session, get_settings(), now=datetime.now(UTC),
                         trigger=form.principal.actor_name, country=country)
    session.commit()
    return RedirectResponse(
        f"/currency?lang={lang}&state={country}&sent={len(run.digests)}"
        f"&skipped={len(run.recently_reminded)}#state-{country}", status_code=303)
