"""The interface in the six UN languages.  Data (country, type, instrument names) comes
from the reference tables; these are only the page's own words, kept as data in
``strings/*.json``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from app.core.i18n import parse_accept_language

UI_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
RTL = frozenset({"ar"})
NATIVE = {"ar": "العربية", "zh": "中文", "en": "English", "fr": "Français", "ru": "Русский",
          "es": "Español"}

STRINGS_DIR = Path(__file__).parent / "strings"


@cache
def _tables() -> dict[str, dict[str, str]]:
    """Every page word: one JSON file per group of pages in ``strings/``, each mapping a key
    to its text per language.  A key is defined in one file only."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(STRINGS_DIR.glob("*.json")):
        table: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        twice = merged.keys() & table.keys()
        if twice:
            raise ValueError(f"{path.name} repeats keys of another strings file: {sorted(twice)}")
        merged.update(table)
    return merged


def ui_language(lang: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The interface language: ``?lang=``, then the cookie, then Accept-Language."""
    for candidate in [lang, cookie, *parse_accept_language(accept_language)]:
        if candidate:
            primary = candidate.split("-")[0].lower()
            if primary in UI_LANGUAGES:
                return primary
    return "en"


def strings(lang: str) -> dict[str, str]:
    return {key: texts.get(lang) or texts["en"]
            for key, texts in _tables().items()}


def missing_translations() -> list[tuple[str, str]]:
    return [(key, lang) for key, texts in _tables().items()
            for lang in UI_LANGUAGES
            if not texts.get(lang)]
