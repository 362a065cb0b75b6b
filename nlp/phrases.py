"""Recurring noun phrases: candidates for themes the taxonomy does not cover yet.

:func:`noun_phrases` reduces a parsed comment's noun chunks to lemmatised, lower-case phrases
without stopwords, determiners, pronouns or punctuation. :func:`emerging_phrases` counts, over many
analysed comments, how many comments contain each phrase, drops phrases that contain any taxonomy
keyword (in surface or lemma form), and returns those recurring in at least ``min_count`` comments,
most frequent first, each with a few example texts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from nlp.results import Analysis

MAX_PHRASE_WORDS = 4
_SKIP_POS = frozenset({"DET", "PRON", "PUNCT", "NUM", "SYM", "PART", "ADP", "CCONJ", "SPACE"})


@dataclass(frozen=True)
class EmergingPhrase:
    """A phrase, the number of comments it occurs in, and a few of those comments."""

    phrase: str
    count: int
    examples: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"phrase": self.phrase, "count": self.count, "examples": list(self.examples)}


def noun_phrases(doc: Doc) -> tuple[str, ...]:
    """Distinct lemmatised noun chunks of ``doc`` with stopwords and determiners removed."""
    seen: dict[str, None] = {}
    for chunk in doc.noun_chunks:
        words = [
            t.lemma_.lower()
            for t in chunk
            if not t.is_stop and t.pos_ not in _SKIP_POS and t.is_alpha and len(t.text) > 1
        ]
        if words and len(words) <= MAX_PHRASE_WORDS:
            seen.setdefault(" ".join(words), None)
    return tuple(seen)


def _covered(phrase: str, covered_terms: Iterable[str]) -> bool:
    padded = f" {phrase} "
    return any(f" {term} " in padded for term in covered_terms if term)


def emerging_phrases(
    texts: Sequence[str],
    analyses: Sequence[Analysis],
    covered_terms: Iterable[str],
    *,
    min_count: int = 3,
    max_examples: int = 3,
    limit: int = 50,
) -> list[EmergingPhrase]:
    """Phrases recurring in >= ``min_count`` comments that contain no covered term.

    ``covered_terms`` are lower-case keywords and their lemma forms, such as
    ``Analyzer.covered_terms``; a phrase is covered if it contains one as whole words.
    """
    if len(texts) != len(analyses):
        raise ValueError("texts and analyses must have the same length")
    terms = frozenset(t.lower() for t in covered_terms)
    counts: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    for text, analysis in zip(texts, analyses, strict=True):
        for phrase in set(analysis.noun_phrases):
            counts[phrase] = counts.get(phrase, 0) + 1
            bucket = examples.setdefault(phrase, [])
            if len(bucket) < max_examples:
                bucket.append(text)
    ranked = sorted(
        (p for p, n in counts.items() if n >= min_count and not _covered(p, terms)),
        key=lambda p: (-counts[p], p),
    )
    return [EmergingPhrase(p, counts[p], tuple(examples[p])) for p in ranked[:limit]]
