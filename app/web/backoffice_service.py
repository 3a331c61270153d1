"""SQL for the secretariat's pages: history with readable diffs, the currency of each
State's records, and the admin overview.  Reads only; the writes go through the services
of the API (``app.authorities.writes``, ``app.accounts.service``, ``app.access.service``,
``app.reminders.service``)."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from babel.dates import format_datetime
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.access.principal import Principal
from app.accounts.models import Account
from app.authorities import history
from app.authorities.documents import view_of
from app.authorities.models import Authority
from app.reminders.service import SentDigest, digests_for
from app.web.freshness import BANDS, band
from app.web.record_diff import DiffRow, Labels, readable_diff
from app.webhooks.models import WebhookDelivery

# -- history ------------------------------------------------------------------------------


@dataclass
class HistoryEntry:
    version: int
    at: str | None  # RFC 3339, for <time datetime>
    when: str | None  # as the reader writes a date and time (UTC)
    who: str | None
    role: str | None
    reason: str | None
    changes: list[DiffRow]
    current: bool = False


def _actor_names(session: Session, actors: set[str]) -> dict[str, str]:
    """Display names for ``account:<id>`` actors (keys and the system keep their label)."""
    ids = []
    for actor in actors:
        kind, _, rest = actor.partition(":")
        if kind == "account":
            try:
                ids.append(uuid.UUID(rest))
            except ValueError:
                continue
    if not ids:
        return {}
    rows = session.execute(sa_select(col(Account.id), col(Account.display_name))
                           .where(col(Account.id).in_(ids))).all()
    return {f"account:{row[0]}": row[1] for row in rows}


def _when(at: str | None, lang: str) -> str | None:
    if at is None:
        return None
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return format_datetime(moment, "medium", tzinfo=UTC, locale=lang) + " UTC"


def history_entries(session: Session, authority_id: uuid.UUID, principal: Principal,
                    lang: str, labels: Labels) -> list[HistoryEntry] | None:
    """The versions the caller may see (the API's rules: ``history.visible_versions``),
    newest first, each with a readable diff against the version shown before it; None
    when there is none to show."""
    revisions = history.revisions(session, authority_id)
    visible = history.visible_versions(revisions, principal)
    if not visible:
        return None
    documents = {rev.version: view_of(rev.document, principal.view) for rev in revisions}
    names = _actor_names(session, {e["actor"] for e in visible if e["actor"]})
    entries: list[HistoryEntry] = []
    shown: dict[str, Any] | None = None
    for item in visible:
        document = documents[item["version"]]
        changes = readable_diff(shown, document, lang, labels) if shown is not None else []
        entries.append(HistoryEntry(
            version=item["version"], at=item["at"], when=_when(item["at"], lang),
            who=names.get(item["actor"], item["actor"]) if item["actor"] else None,
            role=item["role"], reason=item["reason"], changes=changes))
        shown = document
    entries[-1].current = entries[-1].version == revisions[-1].version
    return list(reversed(entries))


# -- currency -----------------------------------------------------------------------------


@dataclass
class StateCurrency:
    country: str
    counts: dict[str, int]
    total: int
    focal_points: list[Account] = field(default_factory=list)
    digests: list[SentDigest] = field(default_factory=list)


def currency(session: Session, today: date) -> list[StateCurrency]:
    """Each State with active records: how many fall in each band of time since
    verification, its focal points (not closed), and the last reminders sent for it."""
    rows = session.execute(sa_select(col(Authority.country), col(Authority.verified_on))
                           .where(col(Authority.status) == "active")).all()
    per_state: dict[str, Counter[str]] = {}
    for country, verified_on in rows:
        per_state.setdefault(country, Counter())[band(verified_on, today)] += 1
    people = session.scalars(select(Account).where(col(Account.role) == "focal_point",
                                                   col(Account.status) != "closed")
                             .order_by(col(Account.display_name))).all()
    states = []
    for country in sorted(per_state):
        counts = {name: per_state[country][name] for name in BANDS}
        states.append(StateCurrency(
            country=country, counts=counts, total=sum(counts.values()),
            focal_points=[a for a in people if country in (a.countries or [])],
            digests=digests_for(session, country, limit=5)))
    return states


# -- admin --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookFailures:
    failing: int
    last_error: str | None
    last_attempt_at: datetime | None


def webhook_failures(session: Session, endpoint_ids: list[uuid.UUID]
                     ) -> dict[uuid.UUID, WebhookFailures]:
    """Per endpoint: deliveries failed or being retried after a failure, and the last
    error seen."""
    if not endpoint_ids:
        return {}
    failing = (col(WebhookDelivery.status) == "failed") | (
        (col(WebhookDelivery.status) == "pending") & (col(WebhookDelivery.attempts) > 0))
    counts = dict(session.execute(
        sa_select(col(WebhookDelivery.endpoint_id), func.count())
        .where(col(WebhookDelivery.endpoint_id).in_(endpoint_ids), failing)
        .group_by(col(WebhookDelivery.endpoint_id))).tuples().all())
    latest = session.execute(
        sa_select(col(WebhookDelivery.endpoint_id), col(WebhookDelivery.last_error),
                  col(WebhookDelivery.last_attempt_at))
        .where(col(WebhookDelivery.endpoint_id).in_(endpoint_ids), failing)
        .order_by(col(WebhookDelivery.endpoint_id),
                  col(WebhookDelivery.last_attempt_at).desc().nulls_last())
        .distinct(col(WebhookDelivery.endpoint_id))).all()
    last = {row[0]: (row[1], row[2]) for row in latest}
    return {endpoint_id: WebhookFailures(failing=counts.get(endpoint_id, 0),
                                         last_error=last.get(endpoint_id, (None, None))[0],
                                         last_attempt_at=last.get(endpoint_id,
                                                                  (None, None))[1])
            for endpoint_id in endpoint_ids}
