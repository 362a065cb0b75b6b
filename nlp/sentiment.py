"""Bounded VADER scoring and clause scoping for per-theme sentiment.

VADER 3.3.x has super-linear paths (hundreds of emoji, very long texts, long repeated-character
runs), so every string is sanitised before scoring: character runs are shortened, only the first
few emoji are kept, and text beyond a chunk limit is scored in whitespace-aligned chunks whose
compounds are averaged by length. :func:`clause_bounds` cuts a parsed sentence at contrast words
("but", "however", "yet", "except") and around "although/though" subordinate clauses, so that
"great food but slow service" gives food and service their own clause to score.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from nlp.pipeline import get_vader
from nlp.results import NEGATIVE, NEUTRAL, POSITIVE, Sentiment

if TYPE_CHECKING:
    from spacy.tokens import Span

# VADER's published thresholds for a three-way label.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
MAX_EMOJI = 10
CHUNK_CHARS = 1000
CONTRAST_SPLIT = frozenset({"but", "however", "yet", "except", "whereas"})
CONTRAST_MARK = frozenset({"although", "though", "whereas"})
# A cut is kept only if the text before it can carry an opinion on its own.
_CLAUSE_POS = frozenset({"VERB", "AUX", "ADJ"})

_RUN = re.compile(r"(.)\1{3,}", re.DOTALL)


def label_for(compound: float) -> str:
    if compound >= POSITIVE_THRESHOLD:
        return POSITIVE
    if compound <= NEGATIVE_THRESHOLD:
        return NEGATIVE
    return NEUTRAL


def make_sentiment(compound: float) -> Sentiment:
    compound = round(max(-1.0, min(1.0, compound)), 4)
    return Sentiment(label_for(compound), compound)


def sanitize(text: str, max_emoji: int = MAX_EMOJI) -> str:
    """Shorten runs of one character to three and drop emoji beyond the first ``max_emoji``."""
    text = _RUN.sub(r"\1\1\1", text)
    emojis = get_vader().emojis
    kept = 0
    out: list[str] = []
    for ch in text:
        if ch in emojis:
            kept += 1
            if kept > max_emoji:
                continue
        out.append(ch)
    return "".join(out)


def _chunks(text: str, size: int) -> list[str]:
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind(" ", size // 2, size)
        cut = size if cut == -1 else cut
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return [p for p in pieces if p.strip()]


def compound_of(text: str) -> float:
    """VADER compound of ``text`` with bounded cost (sanitised, chunked beyond CHUNK_CHARS)."""
    text = sanitize(text)
    if not text.strip():
        return 0.0
    vader = get_vader()
    if len(text) <= CHUNK_CHARS:
        return float(vader.polarity_scores(text)["compound"])
    pieces = _chunks(text, CHUNK_CHARS)
    total = sum(len(p) for p in pieces)
    return sum(vader.polarity_scores(p)["compound"] * len(p) for p in pieces) / total


def score(text: str) -> Sentiment:
    return make_sentiment(compound_of(text))


def clause_bounds(sent: Span) -> list[tuple[int, int]]:
    """Split a sentence into clauses, as (start, end) token indices into the doc."""
    doc = sent.doc
    cuts = {sent.start, sent.end}
    last = sent.start
    for token in sent:
        lower = token.lower_
        if lower in CONTRAST_MARK and token.dep_ == "mark" and token.head.i != token.i:
            clause = token.head
            cuts.add(max(sent.start, clause.left_edge.i))
            cuts.add(min(sent.end, clause.right_edge.i + 1))
        elif lower in CONTRAST_SPLIT or lower in CONTRAST_MARK or lower == ";":
            cut = token.i + 1 if lower == ";" else token.i
            # "The service, however, was great": a parenthetical, not a new clause.
            if any(t.pos_ in _CLAUSE_POS for t in doc[last : token.i]):
                cuts.add(cut)
                last = cut
    ordered = sorted(cuts)
    return [(a, b) for a, b in zip(ordered, ordered[1:], strict=False) if b > a]
