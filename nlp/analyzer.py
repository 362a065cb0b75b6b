"""Theme tagging and per-theme sentiment for customer comments.

An :class:`Analyzer` compiles a taxonomy's keywords once into two spaCy ``PhraseMatcher`` objects,
one on the lower-cased surface form and one on lemmas (keywords are lemmatised once, so "bill"
also finds "billed" and "bills"). Each comment is truncated to a bounded length, parsed with the
shared pipeline (in batches through ``nlp.pipe``), matched, and scored with VADER: overall, and per
theme on the clauses that mention it (see :mod:`nlp.sentiment`). Overlapping matches keep the
longest span, so "service charge" is price, not service. A built-in taxonomy may also find a
theme from grammar (:data:`nlp.taxonomies.PLACE_DESCRIPTIONS`: "the room was dark and cramped"
is ambience), and a keyword that only names the kind of place ("a sushi restaurant") is dropped.
Bump :data:`ANALYZER_VERSION` whenever the output for the same input and taxonomy may change.

Since 1.2.0 a comment also gets its language (:mod:`nlp.language`; one not English keeps its
keyword themes but gets no English sentiment), its intent (:mod:`nlp.intent`; a request's kind
words do not count as praise) and the cues of factual complaints (:mod:`nlp.complaints`).
1.3.0 widened the built-in vocabularies, finds ambience from place descriptions, takes a keyword
as its own lemma, tags comments in French, German, Spanish and other detected languages with
their themes' ``keywords_by_language`` (:mod:`nlp.foreign_keywords`) and reads "Can you add ..."
at the start of a comment as a request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from nlp import intent as intent_mod
from nlp import sentiment as sent_mod
from nlp.complaints import COMPLAINT_KINDS
from nlp.foreign_keywords import ForeignMatcher
from nlp.language import ENGLISH, UNDETERMINED, detect
from nlp.learning import is_excluded
from nlp.phrases import noun_phrases
from nlp.pipeline import get_nlp
from nlp.results import NEGATIVE, NEUTRAL, POSITIVE, Analysis, Cue, Evidence, Sentiment, ThemeHit
from nlp.taxonomy import DEFAULT_TAXONOMY, GENERIC_THEME, Taxonomy, load_taxonomy
from nlp.tokens import table as token_table

if TYPE_CHECKING:
    from pathlib import Path

    from spacy.tokens import Doc, Span, Token

ANALYZER_VERSION = "1.3.0"
DEFAULT_MAX_CHARS = 5000
MAX_CHARS_ENV = "VOC_NLP_MAX_CHARS"
DEFAULT_BATCH_SIZE = 128
MAX_TOKEN_CHARS = 64
# Languages analysed as English: English, and text without letters (emoji, "10/10").
ENGLISH_LIKE = frozenset({ENGLISH, UNDETERMINED})
NO_SENTIMENT = Sentiment(NEUTRAL, 0.0)
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


def _as_base_form(doc: Doc) -> Doc:
    """A keyword's tokens with each word as its own lemma, for the lemma matcher."""
    for token in doc:
        token.lemma_ = token.lower_
    return doc


# (theme, nouns, adjectives): an adjective said of one of the nouns signals the theme.
Description = tuple[str, frozenset[str], frozenset[str]]


def _place_descriptions(taxonomy: Taxonomy) -> tuple[Description, ...]:
    """The built-in taxonomy's place descriptions (:data:`nlp.taxonomies.PLACE_DESCRIPTIONS`),
    for the themes this taxonomy has."""
    from nlp.taxonomies import PLACE_DESCRIPTIONS

    rules = PLACE_DESCRIPTIONS.get(taxonomy.name, {})
    return tuple(
        (theme, frozenset(rule["nouns"]), frozenset(rule["adjectives"]))
        for theme, rule in rules.items()
        if theme in taxonomy.theme_names
    )


def _described_places(doc: Doc, described: Sequence[Description]) -> Iterable[tuple[str, Token]]:
    """(theme, adjective) for each adjective said of a place noun: attached to it ("a cute
    restaurant"), predicated of it ("the place is cute", "the room was dark and cramped")."""
    pos = token_table(doc).pos
    for i, tag in enumerate(pos):
        if tag != "ADJ":
            continue
        token = doc[i]
        head = token
        while head.dep_ == "conj" and head.head is not head:
            head = head.head  # "dark and cramped": the first conjunct carries the relation
        if head.dep_ == "amod":
            subjects = [head.head]
        elif head.dep_ in ("acomp", "attr"):
            subjects = [c for c in head.head.children if c.dep_ in ("nsubj", "nsubjpass")]
        else:
            continue
        lemma = token.lemma_.lower()
        for theme, nouns, adjectives in described:
            if lemma in adjectives and any(s.lemma_.lower() in nouns for s in subjects):
                yield theme, token


def _complains(cues: Sequence[sent_mod.Cue]) -> bool:
    return any(c.kind in COMPLAINT_KINDS for c in cues)


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
            # The generic theme's words ("app", "product") do not cover "calendar app": a phrase
            # that only shares them may still be an emerging topic.
            covers = theme.name != GENERIC_THEME
            if covers:
                terms.update(lowered)
            # A keyword is taken as written to be a base form, so it also matches the words whose
            # lemma it is ("bill" finds "billed", "dumpling" finds "dumplings" even though spaCy,
            # seeing the word alone, would lemmatise it as the verb "dumple"); an inflected
            # keyword ("seating") matches only itself, not every "seat".
            if covers:
                for doc in self.nlp.pipe(lowered):  # so "crashes" also covers the phrase "crash"
                    terms.add(" ".join(t.lemma_.lower() for t in doc))
            self._lemma.add(theme.name, [_as_base_form(self.nlp.make_doc(k)) for k in lowered])
        self.covered_terms: frozenset[str] = frozenset(terms)
        self._described = _place_descriptions(self.taxonomy)
        # A keyword that only qualifies a place noun ("a sushi restaurant", "pizza places", "the
        # sushi bar") names the kind of place, not what was said about the food.
        self._venues = frozenset(noun for _, nouns, _ in self._described for noun in nouns)
        self._excludes = {t.name: t.excludes for t in self.taxonomy.themes if t.excludes}
        self._foreign_keywords = ForeignMatcher(
            (t.name, t.language_keywords) for t in self.taxonomy.themes if t.keywords_by_language
        )

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
        parsed = [defuse(t) for t in prepared]
        docs = self.nlp.pipe(parsed, batch_size=batch_size)
        analyses = []
        for doc, text, source in zip(docs, prepared, parsed, strict=True):
            token_table(doc, source)  # the doc's text is the string it was parsed from
            analyses.append(self._analyze_doc(doc, text, detect(text)))
        return analyses

    def _matches(self, doc: Doc) -> dict[tuple[int, int], set[str]]:
        found: dict[tuple[int, int], set[str]] = {}
        strings = self.nlp.vocab.strings
        for matcher in (self._lower, self._lemma):
            for match_id, start, end in matcher(doc):
                found.setdefault((start, end), set()).add(strings[match_id])
        if self._described:  # learned excludes below apply to these too
            for theme, adjective in _described_places(doc, self._described):
                found.setdefault((adjective.i, adjective.i + 1), set()).add(theme)
        if self._excludes:
            text = token_table(doc).text
            for span in list(found):
                start, end = doc[span[0]].idx, doc[span[1] - 1].idx + len(doc[span[1] - 1])
                found[span] = {
                    name
                    for name in found[span]
                    if not is_excluded(text, start, end, self._excludes.get(name, ()))
                }
                if not found[span]:
                    del found[span]
        if self._venues:
            for span in list(found):
                root = doc[span[1] - 1]
                if root.dep_ == "compound" and root.head.lemma_.lower() in self._venues:
                    found[span] &= {GENERIC_THEME}
                    if not found[span]:
                        del found[span]
        # Longest span wins where matches overlap; ties go to the earlier span.
        kept: dict[tuple[int, int], set[str]] = {}
        taken: set[int] = set()
        for span in sorted(found, key=lambda s: (s[0] - s[1], s[0])):
            if taken.isdisjoint(range(*span)):
                kept[span] = found[span]
                taken.update(range(*span))
        return kept

    def _analyze_doc(self, doc: Doc, text: str, language: str) -> Analysis:
        if language not in ENGLISH_LIKE:
            return self._foreign(doc, text, language)
        scores = sent_mod.DocScores()
        sents = list(doc.sents)  # each walk of doc.sents builds the spans again
        # The sentence of each token (Token.sent and Span.sent scan the doc for its boundaries).
        sent_at: list[Span] = []
        for sent in sents:
            sent_at.extend([sent] * (sent.end - sent.start))
        requests = [s for s in sents if intent_mod.sentence_request(s)]
        request_starts = {s.start for s in requests}
        overall_key: tuple[int, ...] = (0, len(doc))
        compound = scores.doc(doc)
        if requests and compound > 0:
            # A request's kind words ("would love ...") are not praise: score the rest alone.
            asked = {t.i for s in requests for t in s}
            rest = [t for t in doc if t.i not in asked]
            compound = min(0.0, compound) if not rest else scores.tokens(rest)
            overall_key = tuple(t.i for t in rest)
        overall = sent_mod.make_sentiment(compound)
        cues = self._quote_cues(doc, text, scores.cues_of(overall_key), overall.label)
        intent = intent_mod.intent_of(
            sents, overall.label, _complains(scores.cues_of(overall_key)), request_starts
        )
        matches = self._matches(doc)
        if not matches:
            return Analysis(overall, (), noun_phrases(doc), intent, cues, language)
        clauses: list[tuple[int, int]] = []
        for sent in sents:
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
            sentiment, keys = self._scoped_sentiment(
                doc, scopes[theme.name], overall.compound, scores, request_starts, sent_at
            )
            scope_sents = {sent_at[start].start: sent_at[start] for start, _, _ in scopes[theme.name]}
            found = [c for key in keys for c in scores.cues_of(key)]
            hits.append(
                ThemeHit(
                    theme.name,
                    sentiment,
                    tuple(evidence[theme.name]),
                    intent_mod.intent_of(
                        scope_sents.values(), sentiment.label, _complains(found), request_starts
                    ),
                    self._quote_cues(doc, text, found, sentiment.label),
                )
            )
        return Analysis(overall, tuple(hits), noun_phrases(doc), intent, cues, language)

    def _foreign(self, doc: Doc, text: str, language: str) -> Analysis:
        """A comment in another language: themes found by their keywords for that language
        (:mod:`nlp.foreign_keywords`) and by their English keywords (product names, "API",
        "Slack" are written the same), but no English sentiment, intent or phrases. Where
        matches overlap the longest span wins, as in English."""
        found: dict[tuple[int, int], set[str]] = {}
        for (start, end), names in self._matches(doc).items():
            span = doc[start:end]
            found.setdefault((span.start_char, span.end_char), set()).update(names)
        for name, start, end in self._foreign_keywords.find(text, language):
            if not is_excluded(text, start, end, self._excludes.get(name, ())):
                found.setdefault((start, end), set()).add(name)
        evidence: dict[str, list[Evidence]] = {}
        taken: list[tuple[int, int]] = []
        for start, end in sorted(found, key=lambda s: (s[0] - s[1], s[0])):
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            for name in found[(start, end)]:
                evidence.setdefault(name, []).append(Evidence(text[start:end], start, end))
        hits = []
        for theme in self.taxonomy.themes:
            if theme.name in evidence:
                quoted = tuple(sorted(evidence[theme.name], key=lambda e: e.start))
                hits.append(ThemeHit(theme.name, NO_SENTIMENT, quoted))
        return Analysis(NO_SENTIMENT, tuple(hits), (), language=language)

    @staticmethod
    def _quote_cues(doc: Doc, text: str, cues: Sequence[sent_mod.Cue], label: str) -> tuple[Cue, ...]:
        """The cues that lean the way the sentiment came out, quoted from the original text."""
        sign = -1 if label == NEGATIVE else 1 if label == POSITIVE else 0
        quoted: dict[tuple[int, int], Cue] = {}
        for cue in cues:
            if sign == 0 or cue.valence * sign <= 0:
                continue
            span = doc[cue.start : cue.end]
            key = (span.start_char, span.end_char)
            quoted.setdefault(key, Cue(cue.kind, text[key[0] : key[1]], *key))
        return tuple(quoted[k] for k in sorted(quoted))

    def _scoped_sentiment(
        self,
        doc: Doc,
        scopes: Sequence[Scope],
        fallback: float,
        scores: sent_mod.DocScores,
        request_starts: set[int],
        sent_at: Sequence[Span],
    ) -> tuple[Sentiment, list[tuple[int, ...]]]:
        """Mean compound of the scopes mentioning a theme, and the keys of the scopes scored. A
        scope without any opinion widens: from the mention's predicate to its clause, and from a
        clause ("We ordered the pasta, but ...") to its sentence. A scope in a request is at
        most neutral: "would love a Slack integration" asks, it does not praise."""
        compounds = []
        keys: list[tuple[int, ...]] = []
        for start, end, narrowed in scopes:
            compound = 0.0
            key: tuple[int, ...] = narrowed
            if narrowed:
                compound = scores.tokens([doc[i] for i in narrowed])
            if abs(compound) < sent_mod.OPINION_MIN:
                span = doc[start:end]
                compound, key = scores.span(span), (span.start, span.end)
                sent = sent_at[start] if sent_at[start] is sent_at[end - 1] else span.sent
                if abs(compound) < sent_mod.OPINION_MIN and (sent.start, sent.end) != (start, end):
                    compound, key = scores.span(sent), (sent.start, sent.end)
            if sent_at[start].start in request_starts:
                compound = min(0.0, compound)
            compounds.append(compound)
            keys.append(key)
        value = sum(compounds) / len(compounds) if compounds else fallback
        return sent_mod.make_sentiment(value), keys
