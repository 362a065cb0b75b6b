"""Theme keywords in other languages: a theme may list keywords per language
(``{"fr": ["livraison", "colis"], "de": ["Lieferung"]}``), and a comment detected as one of those
languages (:mod:`nlp.language`) is tagged with the themes whose keywords for it occur.

The English pipeline cannot help here (its lemmas and parse are English), so matching is plain
text, the same way for every language:

- text and keywords are casefolded and stripped of accents ("Délai" finds ``delai``, "Straße"
  finds ``strasse``), and evidence offsets point into the original text;
- whole words only: a keyword word matches a token (a run of letters and digits; apostrophes and
  hyphens split, so "l'application" holds ``application``), never part of a longer word
  ("colis" is not found in "colisage");
- a keyword of several words matches its words in that order, with only spaces, apostrophes or
  hyphens between them ("service client", "service-client");
- inflection tolerance is deliberately simple: a keyword word of at least :data:`MIN_INFLECTED`
  letters also matches itself plus one of :data:`SUFFIXES` (``s x e n en es``): "livraisons",
  "Lieferungen", "entregas", "retrasos". List keywords in their base (singular) form; irregular
  forms ("Preis" / "Preise" works, "travail" / "travaux" does not) need their own keyword;
- languages written without spaces (Chinese, Japanese, Thai) match keywords as substrings.

:data:`LANGUAGES` are the codes a theme may carry keywords for: the languages
:func:`nlp.language.detect` can return other than English.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

# Every language nlp.language.detect can name besides English (tests check each is detectable).
LANGUAGES: tuple[str, ...] = (
    "ar",
    "de",
    "el",
    "es",
    "fr",
    "he",
    "hi",
    "it",
    "ja",
    "ko",
    "nl",
    "pt",
    "ru",
    "th",
    "zh",
)
# Scripts without spaces between words: keywords match anywhere.
UNSPACED = frozenset({"ja", "th", "zh"})
SUFFIXES = ("s", "x", "e", "n", "en", "es")
MIN_INFLECTED = 4
# Limits a theme's language keywords are held to (the API and the web app enforce them).
MAX_LANGUAGES = len(LANGUAGES)
MAX_KEYWORDS_PER_LANGUAGE = 200
MAX_KEYWORD_CHARS = 100
_SEPARATOR = r"[\s'’\-]+"
# Letters NFKD keeps whole that French and Danish/Norwegian write for two ("cœur" = "coeur").
_LIGATURES = {"œ": "oe", "æ": "ae", "ø": "o"}
_SUFFIX = "(?:" + "|".join(sorted(SUFFIXES, key=len, reverse=True)) + ")?"


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` casefolded and without accents, and for each folded character the offset of the
    original character it came from (casefolding may lengthen: "ß" -> "ss")."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char.isascii():
            folded.append(char.lower())
            origin.append(index)
            continue
        lowered = char.casefold()
        for part in unicodedata.normalize("NFKD", _LIGATURES.get(lowered, lowered)):
            if not unicodedata.combining(part):
                folded.append(part)
                origin.append(index)
    return "".join(folded), origin


def fold_keyword(keyword: str) -> str:
    """A keyword as it is matched: folded, whitespace collapsed."""
    return " ".join(fold(keyword)[0].split())


def _word_pattern(word: str) -> str:
    escaped = re.escape(word)
    if len(word) >= MIN_INFLECTED and word.isalpha():
        return escaped + _SUFFIX
    return escaped


def keyword_pattern(keyword: str, language: str) -> str | None:
    """The regular expression (on folded text) for one keyword, or None for a blank one."""
    folded = fold_keyword(keyword)
    if language in UNSPACED:
        return re.escape(folded) if folded else None
    words = re.findall(r"[^\W_]+", folded)
    if not words:
        return None
    body = _SEPARATOR.join(_word_pattern(w) for w in words)
    return rf"(?<![^\W_]){body}(?![^\W_])"


class ForeignMatcher:
    """A taxonomy's keywords for other languages, compiled per (language, theme) on first use."""

    def __init__(self, themes: Iterable[tuple[str, Mapping[str, Iterable[str]]]]) -> None:
        self._keywords: dict[str, list[tuple[str, list[str]]]] = {}
        for name, by_language in themes:
            for language, keywords in by_language.items():
                patterns = [p for p in (keyword_pattern(k, language) for k in keywords) if p]
                if patterns:
                    # Longest first, so "service client" wins over "service" at the same place.
                    patterns.sort(key=len, reverse=True)
                    self._keywords.setdefault(language, []).append((name, patterns))
        self._compiled: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

    def __bool__(self) -> bool:
        return bool(self._keywords)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._keywords)

    def _for(self, language: str) -> list[tuple[str, re.Pattern[str]]]:
        compiled = self._compiled.get(language)
        if compiled is None:
            compiled = [
                (name, re.compile("|".join(patterns))) for name, patterns in self._keywords.get(language, [])
            ]
            self._compiled[language] = compiled
        return compiled

    def find(self, text: str, language: str) -> list[tuple[str, int, int]]:
        """``(theme, start, end)`` of every keyword occurrence, as offsets into ``text``."""
        themes = self._for(language)
        if not themes or not text:
            return []
        folded, origin = fold(text)
        found = []
        for name, pattern in themes:
            for match in pattern.finditer(folded):
                if match.end() > match.start():
                    found.append((name, origin[match.start()], origin[match.end() - 1] + 1))
        return found
