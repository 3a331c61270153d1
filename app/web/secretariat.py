"""Who may open the secretariat's pages (/currency, /admin, restoring a version): a
signed-in person (or a key) of the secretariat role with its second factor.  Anyone else
signed out is sent to sign in; signed in with another role, a 403 page says why."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from app.access.principal import Principal, Role
from app.web import i18n
from app.web.router import page


def refused(request: Request, lang: str, principal: Principal) -> Response | None:
    """None when ``principal`` may use the secretariat's pages; else the answer to give."""
    if principal.role is Role.secretariat and not principal.second_factor_pending:
        return None
    if principal.anonymous:
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
        return RedirectResponse("/sign-in?" + urlencode({"lang": lang, "next": target}),
                                status_code=303)
    t = i18n.strings(lang)
    message = (t["p3c_enrol_first"] if principal.second_factor_pending
               else t["p3c_secretariat_only"])
    return page(request, "p3c_refused.html", lang, status=403, message=message)
