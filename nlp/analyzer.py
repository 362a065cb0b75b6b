"""Theme tagging and per-theme sentiment for customer comments.

An :class:`Analyzer` compiles a taxonomy's keywords once into two spaCy ``PhraseMatcher`` objects,
one on the lower-cased surface form and one on lemmas (keywords are lemmatised once, so "bill"
also finds "billed" and "bills"). Each comment is truncated to a bounded length, parsed with the
shared pipeline (in batches through ``nlp.pipe``), matched, and scored with VADER: overall, and per
theme on the clauses that mention it (see :mod:`nlp.sentiment`). Overlapping matches keep the
longest span, so "service charge" is price, not service. Bump :data:`ANALYZER_VERSION` whenever
the output for the same input and taxonomy may change.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from nlp import sentiment as sent_mod
from nlp.phrases import noun_phrases
from nlp.pipeline import get_nlp
from nlp.results import Analysis, Evidence, Sentiment, ThemeHit
from nlp.taxonomy import DEFAULT_TAXONOMY, Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from pathlib import Path

    from spacy.tokens import Doc

ANALYZER_VERSION = "1.1.0"
DEFAULT_MAX_CHARS = 5000
MAX_CHARS_ENV = "VOC_NLP_MAX_CHARS"
DEFAULT_BATCH_SIZE = 64
MAX_TOKEN_CHARS = 64
# A theme's sentiment scope: clause (start, end) token indices and, when the clause also mentions
# another theme, the token indices of the mention's governing predicate (else empty).
Scope = tuple[int, int, tuple[int, ...]]


def default_max_chars() -> int:
    raw = os.environ.get(MAX_CHARS_ENV, "").strip()
    try:
        return max(1, int(raw)) if raw else DEFAULT_MAX_CHARS
    except ValueError:
        return DEFAULT_MAX_CHARS


def truncate(text: str, max_chars: int) -> str:
    """Keep a prefix of at most ``max_chars`` (offsets stay valid), preferring a word boundary."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", max_chars - 100, max_chars)
    return text[: cut if cut > 0 else max_chars]


_LONG_RUN = re.compile(rf"\S{{{MAX_TOKEN_CHARS + 1},}}")


def defuse(text: str) -> str:
    """Blank out the tail of any whitespace-free run longer than MAX_TOKEN_CHARS.

    spaCy's tokenizer strips affixes one at a time, which is quadratic on thousands of emoji or
    "!!!" in a row. Replacing characters with spaces (never inserting or deleting) keeps every
    character offset valid, so evidence still points into the original text.
    """
    return _LONG_RUN.sub(
        lambda m: m.group()[:MAX_TOKEN_CHARS] + " " * (len(m.group()) - MAX_TOKEN_CHARS), text
    )


class Analyzer:
    """Tags comments with a taxonomy's themes and scores their sentiment."""

    def __init__(
        self,
        taxonomy: Taxonomy | str | Path = DEFAULT_TAXONOMY,
        *,
        max_chars: int | None = None,
    ) -> None:
        from spacy.matcher import PhraseMatcher

        self.taxonomy = load_taxonomy(taxonomy)
        self.max_chars = max_chars if max_chars is not None else default_max_chars()
        self.nlp = get_nlp()
        self._lower = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self._lemma = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        terms: set[str] = set()
        for theme in self.taxonomy.themes:
            if not theme.keywords:
                continue
            lowered = [k.lower() for k in theme.keywords]
            self._lower.add(theme.name, [self.nlp.make_doc(k) for k in lowered])
            terms.update(lowered)
            # Only keywords given in base form also match inflections ("bill" finds "billed");
            # an inflected keyword ("seating") matches only as written, not every "seat".
            base_forms = []
            for doc in self.nlp.pipe(lowered):
                lemmas = [t.lemma_.lower() for t in doc]
                terms.add(" ".join(lemmas))  # so "crashes" also covers the phrase "crash"
                if lemmas == [t.lower_ for t in doc]:
                    base_forms.append(doc)
            if base_forms:
                self._lemma.add(theme.name, base_forms)
        self.covered_terms: frozenset[str] = frozenset(terms)

    def analyze(self, text: str) -> Analysis:
        """Analyse one comment."""
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Iterable[str], batch_size: int = DEFAULT_BATCH_SIZE) -> list[Analysis]:
        """Analyse comments in order, parsing them in batches through ``nlp.pipe``."""
        prepared: list[str] = []
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"text must be a string, not {type(text).__name__}")
            prepared.append(truncate(text, self.max_chars))
        docs = self.nlp.pipe((defuse(t) for t in prepared), batch_size=batch_size)
        return [self._analyze_doc(doc, text) for doc, text in zip(docs, prepared, strict=True)]

    def _matches(self, doc: Doc) -> dict[tuple[int, int], set[str]]:
        found: dict[tuple[int, int], set[str]] = {}
        strings = self.nlp.vocab.strings
        for matcher in (self._lower, self._lemma):
            for match_id, start, end in matcher(doc):
                found.setdefault((start, end), set()).add(strings[match_id])
        # Longest span wins where matches overlap; ties go to the earlier span.
        kept: dict[tuple[int, int], set[str]] = {}
        taken: set[int] = set()
        for span in sorted(found, key=lambda s: (s[0] - s[1], s[0])):
            if taken.isdisjoint(range(*span)):
                kept[span] = found[span]
                taken.update(range(*span))
        return kept

    def _analyze_doc(self, doc: Doc, text: str) -> Analysis:
        scores = sent_mod.DocScores()
        overall = sent_mod.make_sentiment(scores.doc(doc))
        matches = self._matches(doc)
        if not matches:
            return Analysis(overall, (), noun_phrases(doc))
        clauses: list[tuple[int, int]] = []
        for sent in doc.sents:
            clauses.extend(sent_mod.clause_bounds(sent))
        where = {span: next((c for c in clauses if c[0] <= span[0] < c[1]), span) for span in matches}
        evidence: dict[str, list[Evidence]] = {}
        scopes: dict[str, list[Scope]] = {}
        for (start, end), names in sorted(matches.items()):
            span = doc[start:end]
            clause = where[(start, end)]
            # A clause that also mentions another theme is narrowed to this mention's predicate.
            shared = any(where[other] == clause and not others <= names for other, others in matches.items())
            narrowed = tuple(t.i for t in sent_mod.dependency_scope(span.root, *clause)) if shared else ()
            scope = (clause[0], clause[1], narrowed)
            for name in names:
                evidence.setdefault(name, []).append(
                    Evidence(text[span.start_char : span.end_char], span.start_char, span.end_char)
                )
                if scope not in scopes.setdefault(name, []):
                    scopes[name].append(scope)
        hits = []
        for theme in self.taxonomy.themes:
            if theme.name not in evidence:
                continue
            hits.append(
                ThemeHit(
                    theme.name,
                    self._scoped_sentiment(doc, scopes[theme.name], overall.compound, scores),
                    tuple(evidence[theme.name]),
                )
            )
        return Analysis(overall, tuple(hits), noun_phrases(doc))

    def _scoped_sentiment(
        self, doc: Doc, scopes: Sequence[Scope], fallback: float, scores: sent_mod.DocScores
    ) -> Sentiment:
        """Mean compound of the scopes mentioning a theme. A scope without any opinion widens:
        from the mention's predicate to its clause, and from a clause ("We ordered the pasta,
        but ...") to its sentence."""
        compounds = []
        for start, end, narrowed in scopes:
            compound = 0.0
            if narrowed:
                compound = scores.tokens([doc[i] for i in narrowed])
            if abs(compound) < sent_mod.OPINION_MIN:
                span = doc[start:end]
                compound = scores.span(span)
                if abs(compound) < sent_mod.OPINION_MIN and span.sent != span:
                    compound = scores.span(span.sent)
            compounds.append(compound)
        return sent_mod.make_sentiment(sum(compounds) / len(compounds) if compounds else fallback)
