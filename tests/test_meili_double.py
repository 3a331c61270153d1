"""The Meilisearch double models Meilisearch, not this project.

- it imports nothing from the project (its golden cases would otherwise only prove that
  the double agrees with our own engines);
- its tokenizer and typo rules give what Meilisearch's documentation gives for the
  documentation's own examples;
- its ranking follows the index's ranking rules in their order.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.meili_double import (
    CharabiaModel,
    MeiliDouble,
    _locales_of,
    prefix_typo_cost,
    typo_budget,
    typo_cost,
)

DOUBLE = Path(__file__).with_name("meili_double.py")
PROJECT_PACKAGES = {"app", "search", "seed_data", "migrations", "tests", "bench"}
DEFAULT_TYPOS = {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
                 "disableOnWords": [], "disableOnAttributes": []}


def imported_modules(source: str) -> list[tuple[str, int]]:
    """(module, level) of every import statement, at any depth (functions included)."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


def test_the_double_imports_nothing_from_the_project() -> None:
    modules = imported_modules(DOUBLE.read_text("utf-8"))
    assert modules, "the AST walk found no import at all"
    relative = [m for m, level in modules if level]
    assert not relative, relative
    from_project = [m for m, _ in modules if m.split(".")[0] in PROJECT_PACKAGES]
    assert not from_project, from_project


def test_the_import_check_sees_nested_and_from_imports() -> None:
    source = "import os\ndef f():\n    from search.text import tokens\n    import app.db\n"
    assert {m for m, _ in imported_modules(source)} == {"os", "search.text", "app.db"}


@pytest.fixture(scope="module")
def tokenizer() -> CharabiaModel:
    return CharabiaModel()


@pytest.mark.parametrize(("text", "locales", "words"), [
    # "Tokenization": "Freshly baked croissants" is three tokens
    ("Freshly baked croissants", (), ["freshly", "baked", "croissants"]),
    # Latin: compatibility decomposition, lowercase, nonspacing marks removed, Đ and ı
    ("Ministère de la Justice", (), ["ministere", "de", "la", "justice"]),
    ("São Paulo", (), ["sao", "paulo"]),
    ("Đorđe Kırık", (), ["dorde", "kirik"]),
    # Latin CamelCase segmentation; an all-capitals acronym stays whole
    ("camelCase BCPI", (), ["camel", "case", "bcpi"]),
    # separators: hyphen, apostrophe, underscore, slash
    ("Côte d'Ivoire e-mail snake_case a/b", (),
     ["cote", "d", "ivoire", "e", "mail", "snake", "case", "a", "b"]),
    # Greek: lowercase and final sigma
    ("ΟΔΥΣΣΕΥΣ", (), ["οδυσσευσ"]),
    # Chinese: jieba's dictionary words, not bigrams
    ("司法部国际合作局", (), ["司法部", "国际", "合作局"]),
    ("中华人民共和国司法部", (), ["中华人民共和国", "司法部"]),
    # Japanese (an attribute whose locale is jpn): IPA-dictionary words
    ("刑事局国際刑事協力室", ("jpn",), ["刑事", "局", "国際", "刑事", "協力", "室"]),
])
def test_tokenizer_follows_charabia(tokenizer: CharabiaModel, text: str,
                                    locales: tuple[str, ...], words: list[str]) -> None:
    assert tokenizer.words(text, locales) == words


def test_cyrillic_keeps_its_marks(tokenizer: CharabiaModel) -> None:
    """Cyrillic is decomposed and lower-cased, but its marks are not removed: ё and е
    stay two letters (unlike Latin é and e)."""
    assert tokenizer.words("Осуждённых") != tokenizer.words("осужденных")
    assert tokenizer.words("ОСУЖДЁННЫХ") == tokenizer.words("осуждённых")
    assert tokenizer.words("Réunion") == tokenizer.words("reunion")


def test_arabic_article_and_letters(tokenizer: CharabiaModel) -> None:
    """ال segmentation, and alef / yeh / taa marbuta normalization, harakat removed."""
    assert tokenizer.words("البرازيل") == ["ال", "برازيل"]
    assert tokenizer.words("أحمد") == tokenizer.words("احمد")
    assert tokenizer.words("مصرَ") == tokenizer.words("مصر")
    assert tokenizer.words("قاضى") == tokenizer.words("قاضي")


def test_han_without_kana_is_chinese_and_with_kana_japanese(tokenizer: CharabiaModel) -> None:
    # detected as Chinese: jieba (without its hidden Markov model) cuts the Japanese
    # 国際 into single characters, as it does not know the word
    assert tokenizer.words("国際刑事協力") == ["国", "際", "刑事", "協", "力"]
    assert tokenizer.words("国際刑事協力", ("jpn",)) == ["国際", "刑事", "協力"]
    # a run with kana is Japanese even without a locale
    assert tokenizer.words("法務省の刑事局") == ["法務省", "の", "刑事", "局"]
    assert tokenizer.words("法務省の刑事局", ("cmn",)) == ["法", "務", "省", "の", "刑事", "局"]


def test_localized_attributes_pick_the_locale() -> None:
    settings = json.loads((Path(__file__).resolve().parents[1] / "search"
                           / "meili_settings.json").read_text("utf-8"))
    localized = settings["localizedAttributes"]
    assert _locales_of("name.ja", localized) == ("jpn",)
    assert _locales_of("parent.zh", localized) == ("cmn",)
    assert _locales_of("name.en", localized) == ()


@pytest.mark.parametrize(("word", "budget"), [
    ("tow", 0), ("four", 0), ("seven", 1), ("saturday", 1), ("extradition", 2)])
def test_typo_budget_by_word_length(word: str, budget: int) -> None:
    """minWordSizeForTypos: one typo from 5 letters, two from 9."""
    assert typo_budget(word, DEFAULT_TYPOS) == budget


def test_typo_budget_respects_disabled_tolerance() -> None:
    assert typo_budget("extradition", {**DEFAULT_TYPOS, "enabled": False}) == 0
    assert typo_budget("extradition", {**DEFAULT_TYPOS, "disableOnWords": ["extradition"]}) == 0


def test_documented_typo_examples() -> None:
    # "sevem or sevan will match seven. But tow won't match two"
    assert typo_cost("sevem", "seven", typo_budget("sevem", DEFAULT_TYPOS)) == 1
    assert typo_cost("sevan", "seven", typo_budget("sevan", DEFAULT_TYPOS)) == 1
    assert typo_cost("tow", "two", typo_budget("tow", DEFAULT_TYPOS)) is None
    # Damerau-Levenshtein: a transposition of neighbours is one typo
    assert typo_cost("sveen", "seven", 1) == 1
    # a typo on the first letter counts as two: caturday does not match saturday
    assert typo_cost("caturday", "saturday", typo_budget("caturday", DEFAULT_TYPOS)) is None
    assert typo_cost("caturdays", "saturdays", 2) == 2
    assert typo_cost("extradtion", "extradition", 2) == 1
    assert typo_cost("extraditn", "extradition", 2) == 2
    assert typo_cost("extradtn", "extradition", 2) is None


def test_the_last_word_is_a_prefix_with_typos() -> None:
    assert prefix_typo_cost("minis", "ministry", 1) == 0
    assert prefix_typo_cost("cu", "cuxhaven", 0) == 0
    assert prefix_typo_cost("minsit", "ministry", 1) == 1
    assert prefix_typo_cost("cx", "cuxhaven", 0) is None


# ---------------------------------------------------------------------- over the API
def call(double: MeiliDouble, method: str, path: str, body: Any = None) -> Any:
    content = json.dumps(body).encode() if body is not None else b""
    response = double.handle_request(httpx.Request(method, f"http://meili.test{path}",
                                                   content=content))
    double.drain()
    return response.json()


@pytest.fixture
def index() -> MeiliDouble:
    double = MeiliDouble()
    call(double, "POST", "/indexes", {"uid": "t", "primaryKey": "id"})
    call(double, "PATCH", "/indexes/t/settings",
         {"searchableAttributes": ["name", "parent"], "sortableAttributes": ["id"]})
    call(double, "POST", "/indexes/t/documents", [
        {"id": "far", "name": "vantor office of the kessel", "parent": ""},
        {"id": "near", "name": "kessel vantor office", "parent": ""},
        {"id": "parent", "name": "northern agency", "parent": "vantor kessel"},
        {"id": "typo", "name": "vantor kesel bureau", "parent": ""},
        {"id": "one", "name": "vantor bureau", "parent": ""},
    ])
    return double


def hit_ids(double: MeiliDouble, q: str) -> list[str]:
    answer = call(double, "POST", "/indexes/t/search", {"q": q, "sort": ["id:asc"]})
    return [h["id"] for h in answer["hits"]]


def test_ranking_rules_apply_in_order(index: MeiliDouble) -> None:
    """words, then typo, then proximity (reversed neighbours cost one more), then
    attribute: the parent body's adjacent words beat the name's distant ones, as
    proximity comes before attribute."""
    assert hit_ids(index, "vantor kessel") == ["parent", "near", "far", "typo", "one"]


def test_ranking_rules_order_is_the_index_setting(index: MeiliDouble) -> None:
    call(index, "PATCH", "/indexes/t/settings",
         {"rankingRules": ["words", "attribute", "typo", "proximity", "exactness", "sort"]})
    assert hit_ids(index, "vantor kessel") == ["near", "typo", "far", "parent", "one"]


def test_matching_strategy_last_drops_words_from_the_end(index: MeiliDouble) -> None:
    assert hit_ids(index, "kessel zzzz") == ["near", "far", "parent", "typo"]
    assert hit_ids(index, "zzzz kessel") == []
