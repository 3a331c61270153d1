"""SQL and search for the password-reset and access-request pages: a reset link's state,
the authorities a visitor may pick (through the directory's own search, as /v1/search
answers), and the pending requests a decider sees, with their authority's name."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session, col, select

from app.access.principal import Principal, Role
from app.accounts import access_requests
from app.accounts.access_request_models import AccessRequest
from app.accounts.models import PasswordReset
from app.accounts.tokens import token_digest
from app.authorities.models import Authority
from app.core.i18n import pick
from app.search import service as search
from search.engine import SearchEngine

ResetLinkState = Literal["valid", "unknown", "used", "expired"]
CHOICES_SHOWN = 10


def reset_link_state(session: Session, token: str, now: datetime) -> ResetLinkState:
    reset = session.scalars(select(PasswordReset).where(
        col(PasswordReset.token_digest) == token_digest(token))).one_or_none()
    if reset is None:
        return "unknown"
    if reset.used_at is not None:
        return "used"
    if reset.expires_at <= now:
        return "expired"
    return "valid"


@dataclass(frozen=True)
class AuthorityChoice:
    id: str
    name: str
    name_lang: str | None
    country: str


def _choice(record: dict[str, object], prefs: list[str]) -> AuthorityChoice:
    names = record.get("name")
    lang, name = pick(names if isinstance(names, dict) else None, prefs)
    acronym = record.get("acronym")
    label = (name or str(record["id"])) + (f" ({acronym})" if acronym else "")
    return AuthorityChoice(id=str(record["id"]), name=label, name_lang=lang,
                           country=str(record.get("country", "")))


def find_authorities(session: Session, principal: Principal, q: str,
                     prefs: list[str], engine: SearchEngine) -> list[AuthorityChoice]:
    """The authorities matching ``q``, as the directory's search finds them."""
    if not q.strip():
        return []
    asked = search.SearchRequest(q=q, countries=(), type=None, instrument=None,
                                 language=None, channel=None, kind=None,
                                 limit=CHOICES_SHOWN, offset=None, cursor=None)
    page = json.loads(search.page_json(search.answer(session, principal, asked, prefs, engine)))
    return [_choice(hit["record"], prefs) for hit in page["hits"]]


def authority_choice(session: Session, authority_id: uuid.UUID,
                     prefs: list[str]) -> AuthorityChoice | None:
    """The authority already picked, shown again when the form comes back."""
    authority = session.get(Authority, authority_id)
    if authority is None or authority.status != "active":
        return None
    return _choice({"id": authority.id, "name": authority.name,
                    "acronym": authority.acronym,
                    "country": authority.country}, prefs)


@dataclass(frozen=True)
class PendingRequest:
    request: AccessRequest
    country: str
    authority_name: str
    authority_name_lang: str | None


def may_decide(principal: Principal) -> bool:
    """Who sees the requests page: the secretariat and focal points, second factor done."""
    return (not principal.anonymous and not principal.second_factor_pending
            and principal.role in (Role.secretariat, Role.focal_point))


def pending_requests(session: Session, principal: Principal,
                     prefs: list[str]) -> list[PendingRequest]:
    rows = access_requests.pending(session, principal)
    ids = [row.authority_id for row, _ in rows]
    names = {authority_id: names for authority_id, names in session.execute(
        select(col(Authority.id), col(Authority.name)).where(col(Authority.id).in_(ids)))}
    shown = []
    for row, country in rows:
        lang, name = pick(names.get(row.authority_id), prefs)
        shown.append(PendingRequest(request=row, country=country,
                                    authority_name=name or str(row.authority_id),
                                    authority_name_lang=lang))
    return shown
