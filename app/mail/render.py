"""Mail templates: one text and one HTML template per mail, and a string table per mail
holding its words in each language.

A mail named ``NAME`` is three files in ``app/mail/templates/``:

- ``NAME.json``: ``{"en": {"subject": "...", "KEY": "..."}, "fr": {...}, ...}``, one entry
  per language (ar, zh, en, fr, ru, es). ``en`` is required; a language or key that is
  missing falls back to ``en``. Each string is itself a small Jinja2 template, so it may use
  the context: ``"Hello {{ name }},"``. ``subject`` is the subject line.
- ``NAME.txt``: the plain-text part (Jinja2, no escaping). The strings are ``t.KEY``.
- ``NAME.html``: the HTML part (Jinja2 with autoescape: context values and strings are
  escaped); usually ``{% extends "_layout.html" %}`` filling ``{% block body %}``.

Both parts see the caller's context, ``t`` (the strings), ``lang`` and ``dir`` (``rtl``
for Arabic), ``public_url`` and ``absolute_url(path)``: links in mail must be absolute,
built on ``CNA_PUBLIC_URL`` (``http://127.0.0.1:8000``, the local server, when unset).
Pass paths (``/invitations/…``) in the context and write ``{{ absolute_url(path) }}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from app.core.settings import Settings

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
FALLBACK_LANGUAGE = "en"
RIGHT_TO_LEFT = frozenset({"ar"})
# Without CNA_PUBLIC_URL links point at `cna serve`'s default address.
LOCAL_BASE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class RenderedMail:
    language: str
    subject: str
    text: str
    html: str


def mail_language(preferred: str) -> str:
    """The UN language to write in for a BCP 47 preference (``fr-CA`` → ``fr``), else en."""
    primary = preferred.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else FALLBACK_LANGUAGE


def base_url(settings: Settings) -> str:
    return settings.public_url or LOCAL_BASE_URL


class MailRenderer:
    """Renders the templates of ``directory``; create one per use (it holds no state that
    outlives the templates on disk)."""

    def __init__(self, settings: Settings, directory: Path = TEMPLATES_DIR) -> None:
        self.directory = directory
        self.base = base_url(settings)
        loader = FileSystemLoader(directory)
        self.text_env = Environment(loader=loader, autoescape=False, undefined=StrictUndefined,
                                    keep_trailing_newline=True)
        self.html_env = Environment(loader=loader, autoescape=True, undefined=StrictUndefined)

    def absolute_url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base + "/" + path.lstrip("/")

    def strings(self, template: str, language: str) -> dict[str, str]:
        path = self.directory / f"{template}.json"
        if not path.is_file():
            raise ValueError(f"unknown mail template {template!r}")
        table = json.loads(path.read_text("utf-8"))
        if FALLBACK_LANGUAGE not in table:
            raise ValueError(f"mail template {template!r} has no {FALLBACK_LANGUAGE!r} strings")
        return {**table[FALLBACK_LANGUAGE], **table.get(language, {})}

    def render(self, template: str, language: str, context: dict[str, Any]) -> RenderedMail:
        if not template.isidentifier():
            raise ValueError(f"unknown mail template {template!r}")
        lang = mail_language(language)
        strings = self.strings(template, lang)
        shared = {**context, "lang": lang, "dir": "rtl" if lang in RIGHT_TO_LEFT else "ltr",
                  "public_url": self.base, "absolute_url": self.absolute_url}
        text_strings = {key: self.text_env.from_string(value).render(shared)
                        for key, value in strings.items()}
        html_strings = {key: Markup(self.html_env.from_string(value).render(shared))
                        for key, value in strings.items()}
        subject = " ".join(text_strings["subject"].split())  # one line, whatever the context
        text = self.text_env.get_template(f"{template}.txt").render(
            {**shared, "t": text_strings})
        html = self.html_env.get_template(f"{template}.html").render(
            {**shared, "t": html_strings})
        return RenderedMail(language=lang, subject=subject, text=text, html=html)
