"""The page words are data: JSON files in app/web/strings, every key in the six languages."""

from __future__ import annotations

import json

import pytest

from app.web import i18n


def test_every_page_word_is_written_in_the_six_languages() -> None:
    assert i18n.missing_translations() == []
    assert len(i18n.strings("ar")) > 100


def test_a_key_defined_in_two_files_is_refused(tmp_path, monkeypatch) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.json").write_text(json.dumps({"same": {"en": name}}))
    monkeypatch.setattr(i18n, "STRINGS_DIR", tmp_path)
    i18n._tables.cache_clear()
    try:
        with pytest.raises(ValueError, match="same"):
            i18n.strings("en")
    finally:
        monkeypatch.undo()
        i18n._tables.cache_clear()


def test_a_language_without_its_word_falls_back_to_english(tmp_path, monkeypatch) -> None:
    (tmp_path / "x.json").write_text(json.dumps({"only": {"en": "Only English"}}))
    monkeypatch.setattr(i18n, "STRINGS_DIR", tmp_path)
    i18n._tables.cache_clear()
    try:
        assert i18n.strings("ru")["only"] == "Only English"
        assert i18n.missing_translations() == [("only", lang) for lang in i18n.UI_LANGUAGES
                                               if lang != "en"]
    finally:
        monkeypatch.undo()
        i18n._tables.cache_clear()
