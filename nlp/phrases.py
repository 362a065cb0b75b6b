"""Recurring noun phrases: candidates for themes the taxonomy does not cover yet.

:func:`noun_phrases` reduces a parsed comment's noun chunks to lemmatised, lower-case phrases
without stopwords, determiners, pronouns or punctuation. :func:`emerging_phrases` counts, over many
analysed comments, how many comments contain each phrase, drops phrases that contain any taxonomy
keyword (in surface or lemma form) and those recurring in fewer than ``min_count`` comments, and
ranks the rest by how much more often they occur than in everyday English
(:mod:`nlp.background`), not by raw count, so "widget" or "weather widget" come before "time",
"hour" and "month", which every customer uses. Variants (one phrase's words inside another's:
"widget", "weather widget") are grouped under the better-ranked one.

The lift is conservative twice over: the background rate of a phrase is that of its rarest word
(an upper bound on the phrase's own), and the observed count is the lower end of its one-sided
90% Poisson interval, so a phrase seen three times does not outrank one seen thirty times on
luck. ``lift`` reports that bound: "at least N times more often than in everyday English".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nlp.background import phrase_probability
from nlp.tokens import table

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from nlp.results import Analysis

MAX_PHRASE_WORDS = 4
_SKIP_POS = frozenset({"DET", "PRON", "PUNCT", "NUM", "SYM", "PART", "ADP", "CCONJ", "SPACE"})


@dataclass(frozen=True)
class EmergingPhrase:
    """A phrase, the number of comments it occurs in, a few of those comments, how many times
    more often than in everyday English it occurs at least (``lift``), and its variants (other
    recurring phrases sharing its words) with their comment counts."""

    phrase: str
    count: int
    examples: tuple[str, ...]
    lift: float = 0.0
    variants: tuple[tuple[str, int], ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        return {
            "phrase": self.phrase,
            "count": self.count,
            "examples": list(self.examples),
            "lift": round(self.lift, 1),
            "variants": [{"phrase": p, "count": n} for p, n in self.variants],
        }


_NP_DEPS = frozenset(
    {"oprd", "nsubj", "dobj", "nsubjpass", "pcomp", "pobj", "dative", "appos", "attr", "ROOT"}
)
_NP_POS = frozenset({"NOUN", "PROPN", "PRON"})


def _english_chunks(doc: Doc) -> list[tuple[int, int]]:
    """(start, end) of the noun chunks spaCy's English iterator finds
    (``spacy.lang.en.syntax_iterators.noun_chunks``, the same rules), reading the token table
    and building a ``Token`` only for nouns and pronouns."""
    tokens = table(doc)
    pos, dep = tokens.pos, tokens.dep
    chunks: list[tuple[int, int]] = []
    prev_end = -1
    for i, tag in enumerate(pos):
        if tag not in _NP_POS:
            continue
        word = doc[i]
        # Prevent nested chunks from being produced
        left = word.left_edge.i
        if left <= prev_end:
            continue
        if dep[i] in _NP_DEPS:
            prev_end = i
            chunks.append((left, i + 1))
        elif dep[i] == "conj":
            head = word.head
            while head.dep_ == "conj" and head.head.i < head.i:
                head = head.head
            # If the head is an NP, and we're coordinated to it, we're an NP
            if head.dep_ in _NP_DEPS:
                prev_end = i
                chunks.append((left, i + 1))
    return chunks


def _chunk_bounds(doc: Doc) -> list[tuple[int, int]]:
    from spacy.lang.en.syntax_iterators import noun_chunks as english

    if doc.noun_chunks_iterator is english and doc.has_annotation("DEP"):
        return _english_chunks(doc)
    return [(chunk.start, chunk.end) for chunk in doc.noun_chunks]


def noun_phrases(doc: Doc) -> tuple[str, ...]:
    """Distinct lemmatised noun chunks of ``doc`` with stopwords and determiners removed."""
    seen: dict[str, None] = {}
    tokens = table(doc)
    lemmas, stop, pos, alpha, length = (
        tokens.lemma_lower,
        tokens.is_stop,
        tokens.pos,
        tokens.is_alpha,
        tokens.length,
    )
    for start, end in _chunk_bounds(doc):
        words = [
            lemmas[i]
            for i in range(start, end)
            if not stop[i] and pos[i] not in _SKIP_POS and alpha[i] and length[i] > 1
        ]
        if words and len(words) <= MAX_PHRASE_WORDS:
            seen.setdefault(" ".join(words), None)
    return tuple(seen)


def _covered(phrase: str, covered_terms: Iterable[str]) -> bool:
    padded = f" {phrase} "
    return any(f" {term} " in padded for term in covered_terms if term)


def _low_count(count: int) -> float:
    """Lower end of the one-sided 90% Poisson interval of an observed ``count`` (>= 1)."""
    from scipy.stats import chi2  # on first use: importing scipy costs every process start-up

    return float(chi2.ppf(0.10, 2 * count)) / 2


def lift_bound(phrase: str, count: int, words: int) -> float:
    """At least how many times more often ``phrase`` occurs in ``count`` of the comments (of
    ``words`` running words in all) than its rarest word does in everyday English."""
    return _low_count(count) / (words * phrase_probability(phrase))


def _related(a: str, b: str) -> bool:
    wa, wb = set(a.split()), set(b.split())
    return wa <= wb or wb <= wa


def emerging_phrases(
    texts: Sequence[str],
    analyses: Sequence[Analysis],
    covered_terms: Iterable[str],
    *,
    min_count: int = 3,
    max_examples: int = 3,
    limit: int = 50,
) -> list[EmergingPhrase]:
    """Phrases recurring in >= ``min_count`` comments that contain no covered term, ranked by
    their lift over everyday English (see the module doc), variants grouped.

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
    words = max(sum(len(text.split()) for text in texts), 1)
    lifts = {
        p: lift_bound(p, n, words)
        for p, n in counts.items()
        if n >= max(min_count, 1) and not _covered(p, terms)
    }
    ranked = sorted(lifts, key=lambda p: (-lifts[p], -counts[p], len(p.split()), p))
    heads: list[str] = []
    variants: dict[str, list[str]] = {}
    for phrase in ranked:
        head = next((h for h in heads if _related(h, phrase)), None)
        if head is None:
            heads.append(phrase)
            variants[phrase] = []
        else:
            variants[head].append(phrase)
    return [
        EmergingPhrase(
            h,
            counts[h],
            tuple(examples[h]),
            lifts[h],
            tuple((v, counts[v]) for v in sorted(variants[h], key=lambda v: (-counts[v], v))),
        )
        for h in heads[:limit]
    ]
