"""Choosing the language of names: ``?lang=`` first, then Accept-Language, then English."""

from __future__ import annotations

import re

_ACCEPT_ITEM = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$"
)


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, best first (RFC 9110 weights)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:32]):
        match = _ACCEPT_ITEM.match(item)
        if not match or match.group(1) == "*":
            continue
        try:
            q = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if q > 0:
            weighted.append((-q, index, match.group(1)))
    return [tag for _, _, tag in sorted(weighted)]


def preferences(lang: str | None, accept_language: str | None) -> list[str]:
    prefs = [lang] if lang else []
    prefs += parse_accept_language(accept_language)
    prefs.append("en")
    return prefs


def pick(names: dict[str, str] | None, prefs: list[str]) -> tuple[str | None, str | None]:
    """The best (tag, text) of a text map for the preferences; falls back to any entry."""
    if not names:
        return None, None
    lowered = {k.lower(): k for k in names}
    for pref in prefs:
        candidate = pref.lower()
        while candidate:
            if candidate in lowered:
                tag = lowered[candidate]
                return tag, names[tag]
            candidate = candidate.rpartition("-")[0]
    tag = next(iter(names))
    return tag, names[tag]
