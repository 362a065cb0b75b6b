"""Keyword matching that forgives inflection and word order, for roadmap items.

A roadmap item's keywords (``csv export``, ``export``) should find "Exporting to CSV takes
forever" as well as "The CSV export is broken". Parsing every comment again just to link it
would cost a spaCy pass per answer on every item edit, so this matcher is regular expressions
only: each keyword word matches its regular inflections ("export" -> "exports", "exported",
"exporting"; "reply" -> "replies", "replied"; "manage" -> "managing"; "ship" -> "shipped"),
whole words only, case-insensitively; a keyword of several words matches when all its words occur
in one sentence within a short window (:data:`WINDOW` extra words), in any order.
:meth:`KeywordMatcher.find` returns the matched words with their character offsets, kept as the
evidence of the link; :meth:`KeywordMatcher.stems` gives substrings every match contains, for a
database prefilter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product

# Extra words allowed between the words of one keyword ("export to CSV", "CSV file export").
WINDOW = 3
_SENTENCE = re.compile(r"[^.!?;\n]+")
_VOWELS = set("aeiou")


@dataclass(frozen=True)
class KeywordMatch:
    """One keyword found: the keyword as the item has it, and each of its words as quoted."""

    keyword: str
    words: tuple[tuple[str, int, int], ...]  # (text, start, end) in the comment


def base_form(word: str) -> str:
    """A keyword word given inflected ("exports", "exporting") back to a base form."""
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith(("ss", "us", "is")):
            stem = word[: -len(suffix)] + repl
            if len(stem) >= 2 and stem[-1] == stem[-2] and stem[-1] not in "ls" and suffix in ("ing", "ed"):
                stem = stem[:-1]  # "shipped" -> "ship"
            return stem
    return word


def _word_pattern(word: str) -> str:
    """A regex for ``word`` and its regular inflections (alphabetic words only)."""
    if not word.isalpha() or len(word) < 3:
        return re.escape(word)
    base = base_form(word)
    forms = {re.escape(word), re.escape(base) + "(?:s|es|ed|ing|d)?"}
    if base.endswith("e"):
        forms.add(re.escape(base[:-1]) + "(?:ing|ed)")
    if base.endswith("y") and base[-2:-1] not in _VOWELS:
        forms.add(re.escape(base[:-1]) + "(?:ies|ied)")
    short_vowel = len(base) >= 3 and base[-2] in _VOWELS and base[-3] not in _VOWELS
    if short_vowel and base[-1] not in _VOWELS | {"w", "x", "y"}:
        forms.add(re.escape(base + base[-1]) + "(?:ed|ing)")  # "shipped", "logging"
    return "(?:" + "|".join(sorted(forms, key=len, reverse=True)) + ")"


def _stem(word: str) -> str:
    base = base_form(word.lower()) if word.isalpha() else word.lower()
    return base[:-1] if base.isalpha() and len(base) > 3 and base[-1] in "ey" else base


class KeywordMatcher:
    """Compiled keywords of one roadmap item (or any keyword list)."""

    def __init__(self, keywords: Iterable[str]) -> None:
        self.keywords: list[tuple[str, list[re.Pattern[str]]]] = []
        seen: set[str] = set()
        for keyword in keywords:
            words = keyword.lower().split()
            if not words or " ".join(words) in seen:
                continue
            seen.add(" ".join(words))
            patterns = [re.compile(rf"(?<!\w){_word_pattern(w)}(?!\w)", re.IGNORECASE) for w in words]
            self.keywords.append((keyword, patterns))

    def __bool__(self) -> bool:
        return bool(self.keywords)

    def stems(self) -> list[str]:
        """Lower-case substrings one of which every matching comment contains (a prefilter)."""
        return sorted({_stem(keyword.split()[0]) for keyword, _ in self.keywords})

    def find(self, text: str) -> list[KeywordMatch]:
        """Every keyword found in ``text``, each with its words' text and offsets."""
        found: list[KeywordMatch] = []
        if not text:
            return found
        sentences = [(m.start(), m.group()) for m in _SENTENCE.finditer(text)]
        for keyword, patterns in self.keywords:
            for offset, sentence in sentences:
                match = _in_sentence(sentence, patterns)
                if match is not None:
                    words = tuple((text[offset + a : offset + b], offset + a, offset + b) for a, b in match)
                    found.append(KeywordMatch(keyword, words))
                    break
        return found


def _in_sentence(sentence: str, patterns: list[re.Pattern[str]]) -> list[tuple[int, int]] | None:
    """The tightest set of spans, one per keyword word, within the window; else None."""
    hits = [[(m.start(), m.end()) for m in p.finditer(sentence)] for p in patterns]
    if not all(hits):
        return None
    if len(patterns) == 1:
        return [hits[0][0]]
    best: tuple[int, list[tuple[int, int]]] | None = None
    for combo in product(*(h[:20] for h in hits)):
        spans = sorted(combo)
        if any(a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False)):
            continue  # two keyword words on the same text
        between = len(re.findall(r"\w+", sentence[spans[0][0] : spans[-1][1]]))
        if between - len(patterns) <= WINDOW and (best is None or between < best[0]):
            best = (between, list(combo))
    return best[1] if best else None
