"""The record form: form fields <-> an interchange record, and validator errors -> fields.

A form field is named by its path in the record, the parts joined with ``/``
(``phones/0/number``, ``designations/1/channels``), so that the validator's error paths
lead straight back to the field.  A text map (``name``, ``notes``, a designation's
``scope``...) is shown as rows of a language and a text (``name/2/lang``,
``name/2/text``); its error path names a language, which is found among the rows.

The "draft" is the form as typed: nested dicts and lists of strings, never validated
here.  ``record_from_draft`` turns it into the record the validator reads (the same
``validate_record`` as import and the API); ``draft_from_record`` fills a form from a
stored record.  Rows are added and removed on the draft (``apply_row_operation``), so
the form works without JavaScript: the buttons post the form, which comes back with
what was typed and one row more or less.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from app.core.problems import FieldError
from app.web.phones import international

# Where the text maps are, with list indexes written as "*".
TEXT_MAPS = frozenset({"name", "parent", "notes", "designations/*/scope",
                       "designations/*/urgent/notes", "designations/*/requirements/notes",
                       "contacts/*/title"})
# Text maps of free text (shown as text areas); the others are single lines.
MULTI_LINE_MAPS = frozenset({"notes", "designations/*/scope", "designations/*/urgent/notes",
                             "designations/*/requirements/notes"})
# Fields holding several values (checkboxes, multiple selects).
MULTI_VALUED = frozenset({"designations/*/territory", "designations/*/languages",
                          "designations/*/channels", "designations/*/means",
                          "designations/*/urgent/channels", "designations/*/urgent/means",
                          "designations/*/requirements/interpol_requests",
                          "contacts/*/languages", "office_hours/*/days"})
# The box saying "no request goes through INTERPOL" (interpol_requests: []); no box ticked
# means the State has not said (null).
INTERPOL_NONE = "none"
CHECKBOXES = frozenset({"phones/*/restricted", "emails/*/restricted",
                        "contacts/*/phones/*/restricted", "contacts/*/emails/*/restricted"})
# Lists of rows a person may add to and remove from, and the empty row added.
ROW_LISTS: dict[str, dict[str, Any]] = {
    "phones": {"number": "", "kind": "voice", "label": "", "restricted": False},
    "emails": {"address": "", "label": "", "restricted": False},
    "office_hours": {"days": [], "opens": "", "closes": ""},
    "designations": {},  # filled by empty_designation()
    "contacts": {},  # filled by empty_contact()
    "contacts/*/phones": {"number": "", "kind": "voice", "label": "", "restricted": False},
    "contacts/*/emails": {"address": "", "label": "", "restricted": False},
}
SCALARS = ("ref", "country", "kind", "acronym", "website", "time_zone", "verified_on",
           "status")
MAX_ROWS = 50  # per list: a form is typed by a person
_INDEX = re.compile(r"^\d{1,3}$")


def pattern_of(path: Sequence[str | int]) -> str:
    return "/".join("*" if isinstance(p, int) or (isinstance(p, str) and p.isdigit())
                    else str(p) for p in path)


def empty_text_map() -> list[dict[str, str]]:
    return []


def empty_designation() -> dict[str, Any]:
    return {"type": "", "instrument": "", "article": "", "territory": [], "scope": [],
            "since": "", "until": "", "notification": "", "languages": [], "channels": [],
            "means": [], "urgent": {"channels": [], "means": [], "notes": []},
            "requirements": {"legal_basis_convention": "", "dual_criminality": "",
                             "interpol_requests": [], "notes": []}}


def empty_contact() -> dict[str, Any]:
    return {"name": "", "title": [], "phones": [], "emails": [], "languages": []}


def empty_draft(country: str = "") -> dict[str, Any]:
    return {"ref": "", "country": country, "kind": "central_authority", "acronym": "",
            "name": [], "parent": [], "notes": [],
            "address": {"lines": "", "locality": "", "region": "", "postal_code": ""},
            "phones": [], "emails": [], "website": "", "time_zone": "", "office_hours": [],
            "designations": [empty_designation()], "contacts": [], "verified_on": "",
            "status": "active"}


def _empty_row(list_pattern: str) -> dict[str, Any]:
    if list_pattern == "designations":
        return empty_designation()
    if list_pattern == "contacts":
        return empty_contact()
    return {key: (list(value) if isinstance(value, list) else value)
            for key, value in ROW_LISTS[list_pattern].items()}


# -- record -> draft ------------------------------------------------------------------------

def _rows(texts: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"lang": tag, "text": text} for tag, text in (texts or {}).items()]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _phone_rows(phones: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"number": international(_text(p.get("number"))),
             "kind": _text(p.get("kind") or "voice"), "label": _text(p.get("label")),
             "restricted": bool(p.get("restricted"))} for p in phones]


def _email_rows(emails: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"address": _text(e.get("address")), "label": _text(e.get("label")),
             "restricted": bool(e.get("restricted"))} for e in emails]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def draft_from_record(record: dict[str, Any]) -> dict[str, Any]:
    """The form of a record in the interchange format (as stored or exported)."""
    address = record.get("address") or {}
    draft: dict[str, Any] = {key: _text(record.get(key)) for key in SCALARS}
    draft.update({
        "name": _rows(record.get("name")), "parent": _rows(record.get("parent")),
        "notes": _rows(record.get("notes")),
        "address": {"lines": "\n".join(address.get("lines") or []),
                    "locality": _text(address.get("locality")),
                    "region": _text(address.get("region")),
                    "postal_code": _text(address.get("postal_code"))},
        "phones": _phone_rows(record.get("phones") or []),
        "emails": _email_rows(record.get("emails") or []),
        "office_hours": [{"days": list(h.get("days") or []), "opens": _text(h.get("opens")),
                          "closes": _text(h.get("closes"))}
                         for h in record.get("office_hours") or []],
        "designations": [], "contacts": [],
    })
    for d in record.get("designations") or []:
        urgent = d.get("urgent") or {}
        requirements = d.get("requirements") or {}
        draft["designations"].append({
            "type": _text(d.get("type")), "instrument": _text(d.get("instrument")),
            "article": _text(d.get("article")), "territory": list(d.get("territory") or []),
            "scope": _rows(d.get("scope")), "since": _text(d.get("since")),
            "until": _text(d.get("until")), "notification": _text(d.get("notification")),
            "languages": list(d.get("languages") or []),
            "channels": list(d.get("channels") or []), "means": list(d.get("means") or []),
            "urgent": {"channels": list(urgent.get("channels") or []),
                       "means": list(urgent.get("means") or []),
                       "notes": _rows(urgent.get("notes"))},
            "requirements": {
                "legal_basis_convention": _yes_no(requirements.get("legal_basis_convention")),
                "dual_criminality": _text(requirements.get("dual_criminality")),
                "interpol_requests": _interpol_boxes(requirements.get("interpol_requests")),
                "notes": _rows(requirements.get("notes"))},
        })
    for c in record.get("contacts") or []:
        draft["contacts"].append({"name": _text(c.get("name")), "title": _rows(c.get("title")),
                                  "phones": _phone_rows(c.get("phones") or []),
                                  "emails": _email_rows(c.get("emails") or []),
                                  "languages": list(c.get("languages") or [])})
    return draft


# -- posted fields -> draft -----------------------------------------------------------------

def _tree(fields: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Nest the posted ``a/0/b`` names; repeated names of multi-valued fields collect."""
    root: dict[str, Any] = {}
    for name, value in fields:
        parts = name.split("/")
        if not all(parts) or len(parts) > 6:
            continue
        if any(_INDEX.match(p) and int(p) >= MAX_ROWS for p in parts):
            continue
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            leaf = parts[-1]
            if pattern_of(parts) in MULTI_VALUED:
                existing = node.setdefault(leaf, [])
                if isinstance(existing, list) and value:
                    existing.append(value)
            elif leaf not in node:
                node[leaf] = value
    return root


def _listed(node: Any) -> list[Any]:
    """A dict keyed by indexes, as the list of its values in index order."""
    if not isinstance(node, dict):
        return []
    return [node[k] for k in sorted((k for k in node if _INDEX.match(k)), key=int)]


def _s(node: Any, key: str) -> str:
    value = node.get(key, "") if isinstance(node, dict) else ""
    return value if isinstance(value, str) else ""


def _many(node: Any, key: str) -> list[str]:
    value = node.get(key, []) if isinstance(node, dict) else []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _text_rows(node: Any) -> list[dict[str, str]]:
    return [{"lang": _s(row, "lang").strip(), "text": _s(row, "text")}
            for row in _listed(node)]


def _posted_phones(node: Any) -> list[dict[str, Any]]:
    return [{"number": _s(p, "number"), "kind": _s(p, "kind") or "voice",
             "label": _s(p, "label"), "restricted": _s(p, "restricted") == "on"}
            for p in _listed(node)]


def _posted_emails(node: Any) -> list[dict[str, Any]]:
    return [{"address": _s(e, "address"), "label": _s(e, "label"),
             "restricted": _s(e, "restricted") == "on"} for e in _listed(node)]


def draft_from_fields(fields: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The form as posted: every field as typed (nothing is checked here)."""
    tree = _tree(fields)
    address = tree.get("address") if isinstance(tree.get("address"), dict) else {}
    draft: dict[str, Any] = {key: _s(tree, key) for key in SCALARS}
    draft.update({
        "name": _text_rows(tree.get("name")), "parent": _text_rows(tree.get("parent")),
        "notes": _text_rows(tree.get("notes")),
        "address": {key: _s(address, key) for key in ("lines", "locality", "region",
                                                      "postal_code")},
        "phones": _posted_phones(tree.get("phones")),
        "emails": _posted_emails(tree.get("emails")),
        "office_hours": [{"days": _many(h, "days"), "opens": _s(h, "opens"),
                          "closes": _s(h, "closes")} for h in _listed(tree.get("office_hours"))],
        "designations": [], "contacts": [],
    })
    for d in _listed(tree.get("designations")):
        urgent = d.get("urgent", {}) if isinstance(d, dict) else {}
        requirements = d.get("requirements", {}) if isinstance(d, dict) else {}
        draft["designations"].append({
            "type": _s(d, "type"), "instrument": _s(d, "instrument"),
            "article": _s(d, "article"), "territory": _many(d, "territory"),
            "scope": _text_rows(d.get("scope") if isinstance(d, dict) else None),
            "since": _s(d, "since"), "until": _s(d, "until"),
            "notification": _s(d, "notification"), "languages": _many(d, "languages"),
            "channels": _many(d, "channels"), "means": _many(d, "means"),
            "urgent": {"channels": _many(urgent, "channels"), "means": _many(urgent, "means"),
                       "notes": _text_rows(urgent.get("notes")
                                           if isinstance(urgent, dict) else None)},
            "requirements": {
                "legal_basis_convention": _s(requirements, "legal_basis_convention"),
                "dual_criminality": _s(requirements, "dual_criminality"),
                "interpol_requests": _many(requirements, "interpol_requests"),
                "notes": _text_rows(requirements.get("notes")
                                    if isinstance(requirements, dict) else None)},
        })
    for c in _listed(tree.get("contacts")):
        draft["contacts"].append({
            "name": _s(c, "name"), "title": _text_rows(c.get("title")
                                                       if isinstance(c, dict) else None),
            "phones": _posted_phones(c.get("phones") if isinstance(c, dict) else None),
            "emails": _posted_emails(c.get("emails") if isinstance(c, dict) else None),
            "languages": _many(c, "languages")})
    return draft


# -- draft -> record ------------------------------------------------------------------------

def _map(rows: list[dict[str, str]]) -> dict[str, str] | None:
    """A text map from its rows; rows without a text are left out (languages offered)."""
    texts = {row["lang"]: row["text"] for row in rows if row["text"].strip()}
    return texts or None


def _optional(value: str) -> str | None:
    return value.strip() or None


def _phones(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"number": p["number"], "kind": p["kind"], "label": _optional(p["label"]),
             "restricted": p["restricted"]} for p in rows]


def _emails(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"address": e["address"], "label": _optional(e["label"]),
             "restricted": e["restricted"]} for e in rows]


def _yes_no_value(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _interpol_boxes(value: Any) -> list[str]:
    if value is None:
        return []
    return list(value) or [INTERPOL_NONE]


def _interpol_value(boxes: list[str]) -> list[str] | None:
    """The ticked boxes as ``interpol_requests``: none ticked is "not said" (null), the
    "none" box alone is ``[]``; "none" with others is sent as is, for the validator to
    refuse beside the boxes."""
    if not boxes:
        return None
    return [] if boxes == [INTERPOL_NONE] else boxes


def record_from_draft(draft: dict[str, Any]) -> dict[str, Any]:
    """The record the validator reads.  Every row of a list is sent (an empty one gets its
    "required" message beside it), so error indexes are the rows' own."""
    record: dict[str, Any] = {key: _optional(draft[key]) for key in SCALARS}
    record["status"] = record["status"] or "active"
    record["kind"] = draft["kind"]
    record["name"] = _map(draft["name"]) or {}
    record["parent"] = _map(draft["parent"])
    record["notes"] = _map(draft["notes"])
    address = draft["address"]
    lines = [line.strip() for line in address["lines"].splitlines() if line.strip()]
    parts = {"locality": _optional(address["locality"]), "region": _optional(address["region"]),
             "postal_code": _optional(address["postal_code"])}
    record["address"] = ({"lines": lines, **parts} if lines or any(parts.values()) else None)
    record["phones"] = _phones(draft["phones"])
    record["emails"] = _emails(draft["emails"])
    record["office_hours"] = [{"days": h["days"], "opens": h["opens"].strip(),
                               "closes": h["closes"].strip()} for h in draft["office_hours"]]
    record["designations"] = []
    for d in draft["designations"]:
        urgent = d["urgent"]
        has_urgent = urgent["channels"] or urgent["means"] or _map(urgent["notes"])
        requirements = d["requirements"]
        record["designations"].append({
            "type": d["type"], "instrument": d["instrument"], "article": d["article"],
            "territory": d["territory"], "scope": _map(d["scope"]),
            "since": _optional(d["since"]), "until": _optional(d["until"]),
            "notification": _optional(d["notification"]), "languages": d["languages"],
            "channels": d["channels"], "means": d["means"],
            "urgent": ({"channels": urgent["channels"], "means": urgent["means"],
                        "notes": _map(urgent["notes"])} if has_urgent else None),
            "requirements": {
                "legal_basis_convention": _yes_no_value(requirements["legal_basis_convention"]),
                "dual_criminality": _optional(requirements["dual_criminality"]),
                "interpol_requests": _interpol_value(requirements.get("interpol_requests", [])),
                "notes": _map(requirements["notes"])},
        })
    record["contacts"] = [{"name": c["name"], "title": _map(c["title"]),
                           "phones": _phones(c["phones"]), "emails": _emails(c["emails"]),
                           "languages": c["languages"]} for c in draft["contacts"]]
    return record


# -- languages offered in text maps -----------------------------------------------------------

def offer_languages(draft: dict[str, Any], offered: Sequence[str]) -> None:
    """Give the record's own text maps (name, parent, notes) a row for each offered
    language they lack (the State's official languages and the six UN languages, in that
    order); every text map also gets one row to write in another language (whose list
    offers the same languages first).  The maps inside designations and contacts get no
    empty rows of their own, or the form would be pages long."""

    def fill(rows: list[dict[str, str]], languages: Sequence[str]) -> None:
        present = {row["lang"] for row in rows}
        rows.extend({"lang": tag, "text": ""} for tag in languages if tag not in present)
        if not rows or rows[-1]["lang"] or rows[-1]["text"]:
            rows.append({"lang": "", "text": ""})

    for key in ("name", "parent", "notes"):
        fill(draft[key], offered)
    for d in draft["designations"]:
        fill(d["scope"], ())
        fill(d["urgent"]["notes"], ())
        fill(d["requirements"]["notes"], ())
    for c in draft["contacts"]:
        fill(c["title"], ())


def prune_offered(draft: dict[str, Any]) -> None:
    """Drop the empty rows of text maps (before they are offered again)."""
    def prune(rows: list[dict[str, str]]) -> None:
        rows[:] = [row for row in rows if row["text"].strip()]

    for key in ("name", "parent", "notes"):
        prune(draft[key])
    for d in draft["designations"]:
        prune(d["scope"])
        prune(d["urgent"]["notes"])
        prune(d["requirements"]["notes"])
    for c in draft["contacts"]:
        prune(c["title"])


def repeated_languages(draft: dict[str, Any]) -> list[str]:
    """The text rows whose language an earlier row of the same map already has (their
    texts would overwrite each other), as field names (``name/7/text``)."""
    maps: list[tuple[str, list[dict[str, str]]]] = [
        (key, draft[key]) for key in ("name", "parent", "notes")]
    for d, designation in enumerate(draft["designations"]):
        maps += [(f"designations/{d}/scope", designation["scope"]),
                 (f"designations/{d}/urgent/notes", designation["urgent"]["notes"]),
                 (f"designations/{d}/requirements/notes",
                  designation["requirements"]["notes"])]
    maps += [(f"contacts/{c}/title", contact["title"])
             for c, contact in enumerate(draft["contacts"])]
    repeated = []
    for path, rows in maps:
        seen: set[str] = set()
        for index, row in enumerate(rows):
            if not row["text"].strip():
                continue
            if row["lang"] in seen:
                repeated.append(f"{path}/{index}/text")
            seen.add(row["lang"])
    return repeated


# -- adding and removing rows ---------------------------------------------------------------

def _node(draft: dict[str, Any], parts: Sequence[str]) -> Any:
    node: Any = draft
    for part in parts:
        if isinstance(node, list) and _INDEX.match(part) and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def apply_row_operation(draft: dict[str, Any], operation: str) -> bool:
    """``add:<list>`` appends an empty row, ``remove:<list>/<i>`` takes one out.  False
    when the operation names no list of rows (nothing is changed)."""
    verb, _, target = operation.partition(":")
    parts = target.split("/")
    if verb == "add" and pattern_of(parts) in ROW_LISTS:
        rows = _node(draft, parts)
        if isinstance(rows, list) and len(rows) < MAX_ROWS:
            rows.append(_empty_row(pattern_of(parts)))
            return True
    if verb == "remove" and len(parts) > 1 and pattern_of(parts[:-1]) in ROW_LISTS \
            and _INDEX.match(parts[-1]):
        rows = _node(draft, parts[:-1])
        index = int(parts[-1])
        if isinstance(rows, list) and index < len(rows):
            del rows[index]
            return True
    return False


# -- errors -> fields -----------------------------------------------------------------------

def field_of(loc: Sequence[str | int], draft: dict[str, Any]) -> str:
    """The form field an error path points to (``""`` for the form as a whole).

    A language key inside a text map becomes that language's row; an element of a
    multi-valued field or of the address lines becomes the field itself.
    """
    parts = [str(p) for p in loc]
    if parts[:2] == ["body", "record"]:
        parts = parts[2:]
    elif parts and parts[0] == "body":
        return ""
    for end in range(1, len(parts) + 1):
        head = parts[:end]
        pattern = pattern_of(head)
        if pattern in TEXT_MAPS:
            if end == len(parts):
                return "/".join(head)
            rows = _node(draft, head)
            tag = parts[end]
            for index, row in enumerate(rows or []):
                if isinstance(row, dict) and row.get("lang") == tag:
                    return "/".join([*head, str(index), "text"])
            return "/".join(head)
        if pattern in MULTI_VALUED or pattern == "address/lines":
            return "/".join(head)
    return "/".join(parts)


_MESSAGE_BY_TYPE = {
    "missing": "rf_err_required", "string_too_short": "rf_err_required",
    "too_short": "rf_err_required", "required": "rf_err_designation_needed",
    "phone_number": "rf_err_phone", "enum": "rf_err_choose", "literal_error": "rf_err_choose",
    "article": "rf_err_article", "article_type": "rf_err_article_type",
    "subdivision": "rf_err_subdivision", "country": "rf_err_country",
    "string_pattern_mismatch": "rf_err_country", "string_too_long": "rf_err_too_long",
    "too_long": "rf_err_too_long", "nul_character": "rf_err_control",
    "conflict": "rf_err_ref_taken", "date_from_datetime_parsing": "rf_err_date",
    "date_parsing": "rf_err_date", "date_type": "rf_err_date", "bool_parsing": "rf_err_choose",
}
_VALUE_ERRORS = {"address": "rf_err_email", "website": "rf_err_website",
                 "time_zone": "rf_err_time_zone", "opens": "rf_err_time", "closes": "rf_err_time",
                 "lang": "rf_err_language", "languages": "rf_err_language"}


def message_key(error: FieldError) -> str:
    """The page word that says what is wrong with a field, in the reader's language."""
    detail = error.message
    if "control character" in detail:
        return "rf_err_control"
    if error.type == "value_error":
        if "must not repeat" in detail:
            return "rf_err_repeated"
        if "opens must be earlier" in detail:
            return "rf_err_opens_closes"
        if "until must not be earlier" in detail:
            return "rf_err_since_until"
        if "language tag" in detail:
            return "rf_err_language"
        leaf = str(error.loc[-1]) if error.loc else ""
        return _VALUE_ERRORS.get(leaf, "rf_err_invalid")
    if error.type == "too_short" and error.loc and str(error.loc[-1]) == "name":
        return "rf_err_name_needed"
    return _MESSAGE_BY_TYPE.get(error.type, "rf_err_invalid")


def errors_by_field(errors: Sequence[FieldError], draft: dict[str, Any],
                    words: dict[str, str]) -> dict[str, str]:
    """Each field's message in the reader's language; several for one field are joined."""
    found: dict[str, list[str]] = {}
    for error in errors:
        message = words[message_key(error)]
        messages = found.setdefault(field_of(error.loc, draft), [])
        if message not in messages:
            messages.append(message)
    return {name: " ".join(messages) for name, messages in found.items()}
