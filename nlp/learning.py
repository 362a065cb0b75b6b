"""What an analyst's tag corrections teach: negative contexts and missing phrases.

When an analyst removes a theme the analyser found, the words that triggered it, with the nearest
content word on each side, become a *negative context* for that theme (:func:`exclusion_context`:
removing ``integrations`` from "the Slack channel is noisy" learns ``slack channel noisy``);
a later mention of the theme is dropped when its own neighbourhood contains that context
(:func:`is_excluded`, used by the analyser for :attr:`nlp.taxonomy.Theme.excludes`). When an
analyst adds a theme the analyser missed, :func:`propose_phrase` picks the phrase of that comment
that should have matched: its first noun phrase that no theme's keywords cover yet.

Both work on the text alone (lower-cased words with regular inflections removed, no spaCy), so
the web process can learn from a correction without loading a model, and the analyser sees the
same words. :func:`apply_rules` returns a taxonomy with learned keywords and contexts added.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import replace

from nlp.keywords import base_form
from nlp.taxonomy import Taxonomy

# How many content words each side of the trigger a context keeps, and how far a later mention
# looks for one.
CONTEXT_WORDS = 1
WINDOW_WORDS = 2
# A phrase in more than this share of a workspace's comments is too common to name a theme.
COMMON_SHARE = 0.01
MIN_COMMENTS = 100
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'+#-]*|[.!?;\n]")
# Function words never make a context on their own (a short list, so contexts stay specific).
STOPWORDS = frozenset(
    str.split(
        "a an the and or but if of to in on at for with from by is are was were be been being it its "
        "this that these those i me my we our you your he she they them their his her not no so very "
        "just too also than then there here as do does did have has had will would can could should "
        "am 's n't"
    )
)


def _words(text: str) -> list[tuple[str, int, int]]:
    """Content words (normalised, with offsets) and sentence breaks (as '.')."""
    out = []
    for m in _TOKEN.finditer(text):
        word = m.group()
        if word in ".!?;\n":
            out.append((".", m.start(), m.end()))
        elif word.lower() not in STOPWORDS:
            out.append((base_form(word.lower()), m.start(), m.end()))
    return out


def _around(text: str, start: int, end: int, width: int) -> list[str]:
    """Normalised trigger words and up to ``width`` content words each side, within a sentence."""
    words = _words(text)
    inside = [i for i, (_, a, b) in enumerate(words) if a < end and b > start and words[i][0] != "."]
    if not inside:
        return []
    first, last = inside[0], inside[-1]
    left: list[str] = []
    for i in range(first - 1, -1, -1):
        if words[i][0] == "." or len(left) == width:
            break
        left.insert(0, words[i][0])
    right: list[str] = []
    for i in range(last + 1, len(words)):
        if words[i][0] == "." or len(right) == width:
            break
        right.append(words[i][0])
    return [*left, *(words[i][0] for i in range(first, last + 1)), *right]


def exclusion_context(text: str, start: int, end: int) -> str | None:
    """The negative context learned from removing a theme whose evidence was text[start:end],
    or None when the trigger has no content word beside it in its sentence (excluding the bare
    trigger would undo the keyword everywhere, which is the analyst's call, not a lesson)."""
    trigger = len(_around(text, start, end, 0))
    words = _around(text, start, end, CONTEXT_WORDS)
    return " ".join(words) if trigger and len(words) > trigger else None


def is_excluded(text: str, start: int, end: int, contexts: Iterable[str]) -> bool:
    """Does the neighbourhood of text[start:end] contain one of ``contexts`` (word for word)?"""
    contexts = [c.split() for c in contexts if c.strip()]
    if not contexts:
        return False
    window = _around(text, start, end, WINDOW_WORDS)
    for words in contexts:
        n = len(words)
        if any(window[i : i + n] == words for i in range(len(window) - n + 1)):
            return True
    return False


def propose_phrase(
    noun_phrases: Sequence[str], covered_terms: Iterable[str], common: Container[str] = ()
) -> str | None:
    """The phrase a missed theme should have matched: the comment's first noun phrase (as the
    analyser lists them, lemmatised) that no keyword covers and that is not ``common`` (phrases
    found in many of the workspace's comments, such as "place" or "app", say nothing about a
    theme), or None."""
    covered = {t.lower() for t in covered_terms}
    for phrase in noun_phrases:
        padded = f" {phrase} "
        if phrase and phrase not in common and not any(f" {term} " in padded for term in covered if term):
            return phrase
    return None


def common_phrases(
    noun_phrases: Iterable[Sequence[str]], max_share: float = COMMON_SHARE, min_comments: int = MIN_COMMENTS
) -> frozenset[str]:
    """Phrases found in more than ``max_share`` of the comments whose noun phrases are given
    (none below ``min_comments`` comments: too few to tell a common phrase from a topic)."""
    counts: dict[str, int] = {}
    total = 0
    for phrases in noun_phrases:
        total += 1
        for phrase in set(phrases):
            counts[phrase] = counts.get(phrase, 0) + 1
    if total < min_comments:
        return frozenset()
    return frozenset(p for p, n in counts.items() if n / total > max_share)


def apply_rules(
    taxonomy: Taxonomy, keywords: Mapping[str, Iterable[str]], excludes: Mapping[str, Iterable[str]]
) -> Taxonomy:
    """``taxonomy`` with learned keywords and negative contexts added to the named themes."""
    themes = []
    for theme in taxonomy.themes:
        extra = [
            k for k in keywords.get(theme.name, ()) if k.lower() not in {x.lower() for x in theme.keywords}
        ]
        contexts = [c for c in excludes.get(theme.name, ()) if c not in theme.excludes]
        themes.append(
            replace(theme, keywords=theme.keywords + tuple(extra), excludes=theme.excludes + tuple(contexts))
        )
    return Taxonomy(taxonomy.name, tuple(themes))
