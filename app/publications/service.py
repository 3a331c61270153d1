"""The directory as a printable document: what it holds, read from one snapshot.

``read_directory`` reads every record and the reference names from one REPEATABLE READ
snapshot (``app.sync.service.Snapshot``, the export's), so the cover's feed cursor is
exactly the state of the document; ``render_html`` lays it out with the Jinja2 template
and app/publications/parallel.py lays that same HTML out as PDF through WeasyPrint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

import phonenumbers
from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.access.principal import Principal
from app.authorities.documents import View
from app.core.i18n import pick
from app.core.problems import FieldError, Problem
from app.reference.service import list_countries, list_instruments, resolve_filters
from app.sync.service import ExportFilters, Snapshot
from app.web.i18n import RTL, UI_LANGUAGES
from app.web.service import labels

HERE = Path(__file__).resolve().parent
STYLESHEET = HERE / "print.css"
STRINGS_FILE = HERE / "strings.json"

Progress = Callable[[int, int], None]
"""Called with the number of records read since the last call, and how many there are."""


@dataclass(frozen=True)
class PublicationQuery:
    """What to publish, checked: a UN language, alpha-3 codes (None: every State the
    caller may read; empty: none), an instrument code, and the annex's start."""

    lang: str = "en"
    view: View = View.public
    countries: list[str] | None = None
    instrument: str | None = None
    changes_since: date | None = None


def resolve_query(session: Session, principal: Principal, *, lang: str, view: View,
                  countries: list[str], instrument: str | None,
                  changes_since: date | None) -> PublicationQuery:
    """Check the request against the reference data and the caller's rights.

    An unknown language, country or instrument is a 422 naming each value; the full view
    without a right to see contacts is a 403 (the caller's view is the API's own rule)."""
    errors: list[FieldError] = []
    lang = lang.lower()
    if lang not in UI_LANGUAGES:
        errors.append(FieldError(("query", "lang"), f"unknown language {lang!r}; one of "
                                 f"{', '.join(UI_LANGUAGES)}", "enum"))
    try:
        resolved = resolve_filters(session, countries, instrument=instrument)
    except Problem as exc:
        errors.extend(exc.errors)
        resolved = []
    if errors:
        raise Problem(status=422, title="Invalid request",
                      detail="invalid publication request", errors=errors)
    if view is View.full and principal.view is not View.full:
        raise Problem(status=403, detail="the full view (with contacts) needs a role that "
                                         "may see contacts")
    return PublicationQuery(lang=lang, view=view,
                            countries=principal.visible_countries(resolved),
                            instrument=instrument, changes_since=changes_since)


# --- what the document holds ----------------------------------------------------------------

@dataclass
class Entry:
    """One authority under one group: its designations of that group; ``first`` when
    this is where the State's section shows the authority's contact details."""

    doc: dict[str, Any]
    anchor: str
    name: str
    name_lang: str | None
    other_names: list[tuple[str, str]]
    designations: list[dict[str, Any]]
    first: bool = True


@dataclass
class Group:
    instrument: str
    type: str
    title: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class StateSection:
    alpha3: str
    name: str
    anchor: str
    groups: list[Group] = field(default_factory=list)
    records: int = 0


@dataclass
class ChangeEntry:
    country: str
    name: str
    status: str
    at: str
    verified_on: str | None


@dataclass
class Directory:
    query: PublicationQuery
    cursor: int
    made_at: datetime
    labels: dict[str, dict[str, str]]
    states: list[StateSection]
    records: int
    annex: list[ChangeEntry] | None


@cache
def _strings() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = json.loads(STRINGS_FILE.read_text(encoding="utf-8"))
    return table


def strings(lang: str) -> dict[str, str]:
    """The document's labels in ``lang`` (every key is in the six languages)."""
    return {key: texts[lang] for key, texts in _strings().items()}


def collation_key(lang: str) -> Callable[[str], bytes]:
    """Sort key of the language's collation (ICU: accents, Cyrillic, pinyin for zh...)."""
    # Imported here: PyICU is some 7 MiB of every API process, and most never publish.
    import icu

    collator = icu.Collator.createInstance(icu.Locale(lang))
    sort_key: Callable[[str], bytes] = collator.getSortKey
    return sort_key


def _names(doc: dict[str, Any], prefs: list[str],
           official: Iterable[str]) -> tuple[str | None, str, list[tuple[str, str]]]:
    """The name in the chosen language first (or the best there is), then the State's
    own languages, then any other."""
    names: dict[str, str] = doc.get("name") or {}
    tag, name = pick(names, prefs)
    rest: list[tuple[str, str]] = []
    for language in official:
        for candidate, value in names.items():
            if candidate != tag and candidate.split("-")[0] == language \
                    and (candidate, value) not in rest:
                rest.append((candidate, value))
    rest += [(k, v) for k, v in names.items() if k != tag and (k, v) not in rest]
    return tag, name or "", rest


def read_directory(engine: Engine, query: PublicationQuery,
                   progress: Progress | None = None) -> Directory:
    """Everything the document shows, from one REPEATABLE READ snapshot."""
    prefs = [query.lang, "en"]
    sort_key = collation_key(query.lang)
    with Snapshot(engine) as snapshot:
        session = snapshot.session
        made_at: datetime = session.execute(text("SELECT now()")).scalar_one()
        names = labels(session, prefs)
        official = {c.alpha3: list(c.official_languages) for c in list_countries(session)}
        instrument_order = {i.code: n for n, (i, _) in enumerate(list_instruments(session))}
        filters = ExportFilters(countries=query.countries)
        states: dict[str, StateSection] = {}
        records = 0
        read = 0
        total = snapshot.count(filters) if query.countries != [] else 0
        if query.countries != []:
            for doc in snapshot.documents(filters, query.view):
                read += 1
                if progress and read % 100 == 0:
                    progress(100, total)
                if doc.get("status") != "active":
                    continue
                if _add_record(states, doc, query, names, official, prefs):
                    records += 1
        if progress:
            progress(read % 100, total)
        annex = (_read_annex(snapshot, query, names, prefs, sort_key)
                 if query.changes_since else None)
        cursor = snapshot.cursor
    ordered = sorted(states.values(), key=lambda s: sort_key(s.name))
    for state in ordered:
        state.groups.sort(key=lambda g: (instrument_order.get(g.instrument, 99),
                                         sort_key(g.title)))
        seen: set[str] = set()
        for group in state.groups:
            group.entries.sort(key=lambda e: sort_key(e.name))
            for entry in group.entries:
                entry.first = entry.doc["id"] not in seen
                seen.add(entry.doc["id"])
    return Directory(query=query, cursor=cursor, made_at=made_at, labels=names,
                     states=ordered, records=records, annex=annex)


def _add_record(states: dict[str, StateSection], doc: dict[str, Any],
                query: PublicationQuery, names: dict[str, dict[str, str]],
                official: dict[str, list[str]], prefs: list[str]) -> bool:
    designations = [d for d in doc.get("designations") or []
                    if query.instrument is None or d["instrument"] == query.instrument]
    if not designations:
        return False
    country = doc["country"]
    state = states.get(country)
    if state is None:
        state = states[country] = StateSection(
            alpha3=country, name=names["country"].get(country, country),
            anchor=f"state-{country}")
    state.records += 1
    tag, name, other = _names(doc, prefs, official.get(country, []))
    by_group: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for d in designations:
        by_group.setdefault((d["instrument"], d["type"]), []).append(_designation(d, prefs))
    for (instrument, type_), group_designations in by_group.items():
        group = next((g for g in state.groups
                      if g.instrument == instrument and g.type == type_), None)
        if group is None:
            title = (f"{names['instrument'].get(instrument, instrument)} — "
                     f"{names['type'].get(type_, type_)}")
            group = Group(instrument=instrument, type=type_, title=title)
            state.groups.append(group)
        group.entries.append(Entry(doc=doc, anchor=f"a-{doc['id']}", name=name,
                                   name_lang=tag, other_names=other,
                                   designations=group_designations))
    return True


def _designation(d: dict[str, Any], prefs: list[str]) -> dict[str, Any]:
    urgent = d.get("urgent") or {}
    requirements = d.get("requirements") or {}
    return {**d, "scope_text": pick(d.get("scope"), prefs)[1],
            "urgent_notes": pick(urgent.get("notes"), prefs)[1],
            "requirement_notes": pick(requirements.get("notes"), prefs)[1]}


def _read_annex(snapshot: Snapshot, query: PublicationQuery,
                names: dict[str, dict[str, str]], prefs: list[str],
                sort_key: Callable[[str], bytes]) -> list[ChangeEntry]:
    """Records changed since the date (withdrawn ones appear only here), in the order of
    the change, in the same snapshot."""
    assert query.changes_since is not None
    since = datetime.combine(query.changes_since, time.min, tzinfo=UTC)
    entries: list[ChangeEntry] = []
    if query.countries == []:
        return entries
    filters = ExportFilters(countries=query.countries, updated_since=since)
    for doc in snapshot.documents(filters, query.view):
        if query.instrument is not None and not any(
                d["instrument"] == query.instrument for d in doc.get("designations") or []):
            continue
        entries.append(ChangeEntry(
            country=names["country"].get(doc["country"], doc["country"]),
            name=pick(doc.get("name"), prefs)[1] or "",
            status="withdrawn" if doc.get("status") == "withdrawn" else "changed",
            at=doc.get("updated_at") or "", verified_on=doc.get("verified_on")))
    entries.sort(key=lambda e: (e.at, sort_key(e.country), sort_key(e.name)))
    return entries


# --- rendering ------------------------------------------------------------------------------

@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"),
                       autoescape=select_autoescape(["html"]), trim_blocks=True,
                       lstrip_blocks=True)


def _day(value: str | date | None, lang: str) -> str:
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return format_date(day, format="long", locale=lang)


def _international(number: str) -> str:
    """Stored E.164 shown as people dial it (``+55 61 2025-3000``)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


NO_BREAK_SPACE, WORD_JOINER = "\u00a0", "\u2060"
LEFT_TO_RIGHT_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2066", "\u2069"


def _unbreakable(text: str, rtl: bool) -> str:
    """``text`` kept on one line (no-break spaces, a word joiner after each dash) and, in
    a right-to-left document, isolated left to right.

    Characters rather than a ``white-space: nowrap; direction: ltr`` span: each inline
    box costs WeasyPrint a split per line, a few thousand of them per 1,000 records."""
    kept = text.replace(" ", NO_BREAK_SPACE)
    for dash in ("-", "–"):
        kept = kept.replace(dash, dash + WORD_JOINER)
    return f"{LEFT_TO_RIGHT_ISOLATE}{kept}{POP_DIRECTIONAL_ISOLATE}" if rtl else kept


def render_html(directory: Directory, stylesheet_href: str | None = None, *,
                part: str = "whole", states: list[StateSection] | None = None,
                with_annex: bool = True, pages: dict[str, str] | None = None) -> str:
    """The document as HTML: the whole of it is served as the print view; the PDF is laid
    out from the same template in parts (app/publications/parallel.py): ``front`` (cover
    and contents, ``pages`` giving each anchor's page) and ``body`` parts (``states``, and
    the annex in the last)."""
    lang = directory.query.lang
    rtl = lang in RTL
    return _templates().get_template("directory.html").render(
        d=directory, t=strings(lang), lang=lang, dir="rtl" if rtl else "ltr",
        stylesheet_href=stylesheet_href, part=part,
        states=directory.states if states is None else states,
        with_annex=with_annex, pages=pages or {},
        day=lambda value: _day(value, lang), labels=directory.labels,
        pick_text=lambda value: pick(value, [lang, "en"])[1],
        phone=lambda number: _unbreakable(_international(number), rtl),
        hours=lambda opens, closes: _unbreakable(f"{opens}–{closes}", rtl))


class _PageHandler(logging.Handler):
    def __init__(self, on_page: Callable[[int], None]) -> None:
        super().__init__(logging.INFO)
        self.on_page = on_page

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == _LAYOUT_PAGE and record.args:
            self.on_page(int(record.args[0]))  # type: ignore[index,call-overload]


_LAYOUT_PAGE = "Step 5 - Creating layout - Page %d"


@contextmanager
def pages_reported(on_page: Callable[[int], None]) -> Iterator[None]:
    """``on_page`` is told each page WeasyPrint lays out (from its progress log), for a
    progress bar; only a command line, or a process of its own, should ask, as it changes
    that logger a while."""
    logger = logging.getLogger("weasyprint.progress")
    handler = _PageHandler(on_page)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
