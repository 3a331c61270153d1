"""Text handling shared by both engines, the Meilisearch double and the highlighter.

One folding and one tokenizer are used for what is indexed and for what is asked, so
that "Sao Paulo" meets "São Paulo" whichever engine answers.

- folding: Unicode compatibility decomposition, combining marks dropped (except the
  kana voicing marks, which change the letter), case folded, a few letters that do not
  decompose mapped by hand (ı ø đ ł æ œ þ);
- tokens: runs of word characters; Chinese and Japanese, written without spaces, are cut
  into overlapping two-character words (a lone character stays one), as CJK bigram
  analyzers do, so that "国际合作局" finds "司法部国际合作局" and "刑事" finds
  "刑事局国際刑事協力室" (no dictionary segmentation; Korean is written with spaces);
- transliteration to Latin: Unidecode, plus a BGN/PCGN-style table for Cyrillic (so that
  both "iustitsii" and "yustitsii" are indexed for "юстиции");
- typos: Meilisearch's defaults, 1 typo from 5 letters, 2 from 9; a typo is one
  insertion, deletion, substitution or transposition (optimal string alignment).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import OSA
from unidecode import unidecode

MAX_QUERY_WORDS = 10
MIN_PREFIX_LENGTH = 2
ONE_TYPO_FROM = 5
TWO_TYPOS_FROM = 9

_KEEP_MARKS = {"\u3099", "\u309a"}  # kana (han)dakuten: ブ is not フ
_EXTRA = str.maketrans({"ı": "i", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe",
                        "þ": "th", "ð": "d", "ħ": "h", "ŧ": "t"})
_WORD = re.compile(r"\w+")
# Han (with extension A, compatibility ideographs and the supplementary planes),
# hiragana and katakana (with the prolonged sound mark)
_CJK = re.compile("[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                  "\uf900-\ufaff\U00020000-\U0003134f]+")

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u", "ј": "j", "љ": "lj",
    "њ": "nj", "ћ": "c", "ђ": "dj", "џ": "dz", "ќ": "kj", "ѓ": "gj", "ѕ": "dz",
}


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text``."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed
                   if ch in _KEEP_MARKS or not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept).casefold().translate(_EXTRA)


def tokens(text: str) -> list[str]:
    """The folded words of ``text``, in order (Han and kana runs as bigrams)."""
    out: list[str] = []
    for word in _WORD.findall(fold(text)):
        if word.isascii() or not _CJK.search(word):
            out.append(word)
        else:
            out.extend(folded for _, _, folded in cjk_pieces(word))
    return out


def cjk_pieces(word: str) -> list[tuple[int, int, str]]:
    """A word cut as ``tokens`` cuts it: (start, end, folded piece), the Han and kana runs
    into overlapping bigrams, the rest of the word kept whole."""
    pieces: list[tuple[int, int, str]] = []
    pos = 0
    for m in _CJK.finditer(word):
        if m.start() > pos:
            pieces.append((pos, m.start(), fold(word[pos:m.start()])))
        start, end = m.span()
        if end - start == 1:
            pieces.append((start, end, fold(word[start:end])))
        for i in range(start, end - 1):
            pieces.append((i, i + 2, fold(word[i:i + 2])))
        pos = end
    if pos < len(word):
        pieces.append((pos, len(word), fold(word[pos:])))
    return pieces


def has_cjk(word: str) -> bool:
    return not word.isascii() and _CJK.search(word) is not None


def has_non_ascii_letters(text: str) -> bool:
    return any(ord(ch) > 127 and ch.isalpha() for ch in text)


def transliterations(text: str) -> list[str]:
    """Latin-script renderings of ``text`` that differ from its own tokens."""
    if not has_non_ascii_letters(text):
        return []
    out = [unidecode(text)]
    folded = fold(text)
    if any("\u0400" <= ch <= "\u04ff" for ch in folded):
        out.append("".join(_CYRILLIC.get(ch, ch) for ch in folded))
    own = set(tokens(text))
    return [t for t in dict.fromkeys(out) if set(tokens(t)) - own]


def typo_budget(word: str) -> int:
    if len(word) >= TWO_TYPOS_FROM:
        return 2
    if len(word) >= ONE_TYPO_FROM:
        return 1
    return 0


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a transposition of neighbours is one typo), or
    ``limit + 1`` once it exceeds ``limit``."""
    return min(OSA.distance(a, b, score_cutoff=limit), limit + 1)


def query_words(q: str) -> list[str]:
    """The words of a query (at most ``MAX_QUERY_WORDS``, as Meilisearch does)."""
    return tokens(q)[:MAX_QUERY_WORDS]


def match_cost(word: str, token: str, prefix_allowed: bool) -> tuple[int, bool] | None:
    """How ``token`` (indexed) answers ``word`` (asked): (typos, exact), or None.

    An exact match is (0, True); a prefix match of the last query word is (0, False);
    otherwise the number of typos within the word's budget.
    """
    if token == word:
        return 0, True
    if prefix_allowed and len(word) >= MIN_PREFIX_LENGTH and token.startswith(word):
        return 0, False
    budget = typo_budget(word)
    if budget:
        d = distance(word, token, budget)
        if d <= budget:
            return d, False
    return None
