"""Bounded VADER scoring and clause scoping for per-theme sentiment.

VADER 3.3.x has super-linear paths (hundreds of emoji, very long texts, long repeated-character
runs), so every string is sanitised before scoring: character runs are shortened, only the first
few emoji are kept, and text beyond a chunk limit is scored in whitespace-aligned chunks whose
compounds are averaged by length. :func:`clause_bounds` cuts a parsed sentence at contrast words
("but", "however", "yet", "except") and around "although/though" subordinate clauses, so that
"great food but slow service" gives food and service their own clause to score, and
:func:`dependency_scope` narrows a clause that mentions several themes to the predicate governing
one of them ("the food was great and the service slow").

VADER scores words, so a few opinions carried by structure are added as cues on the spaCy parse
(:func:`cue_valence`, combined with VADER's sum by :func:`with_cues`; no extra VADER call): "too
<adjective>", a negated action VADER has no word for ("the waiter never came back"), "could have
been better", a duration complaint ("took 40 minutes"), an imperative recommendation ("Try the
curry"), and the factual complaints of :mod:`nlp.complaints` ("never arrived", "charged twice",
"on hold"). Each cue is a :class:`~nlp.complaints.Cue` with its kind and token range, so the words
behind a sentiment no word states can be quoted. A few set phrases that mislead VADER word by
word ("to die for") are rewritten before scoring (:data:`IDIOMS`).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from nlp import complaints
from nlp.complaints import Cue
from nlp.pipeline import get_vader
from nlp.results import NEGATIVE, NEUTRAL, POSITIVE, Sentiment
from nlp.tokens import table as token_table

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from spacy.tokens import Doc, Span, Token

# Label thresholds. VADER publishes +-0.05; on per-theme scopes (a clause, often a few words) a weak
# but non-zero lean is usually real, and +-0.02 labelled SemEval-2014 train slightly better
# (0.780 vs 0.777 at 1.1.0; 2015, not tuned on: 0.811 vs 0.805).
POSITIVE_THRESHOLD = 0.02
NEGATIVE_THRESHOLD = -0.02
# Below this |compound| a theme's scope carries no opinion of its own and borrows a wider scope's.
OPINION_MIN = 0.05
MAX_EMOJI = 10
CHUNK_CHARS = 1000
CONTRAST_SPLIT = frozenset({"but", "however", "yet", "except", "whereas"})
CONTRAST_MARK = frozenset({"although", "though", "whereas"})
# A cut is kept only if the text before it can carry an opinion on its own.
_CLAUSE_POS = frozenset({"VERB", "AUX", "ADJ"})
_CLAUSE_WORDS = CONTRAST_SPLIT | CONTRAST_MARK | {";"}

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
    if text.isascii():  # every emoji is outside ASCII
        return text
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


# Set phrases whose words mislead VADER ("to die for" scores as "die"), rewritten to one word of the
# same meaning before scoring (the rewrite only feeds VADER; offsets and evidence are untouched).
IDIOMS: tuple[tuple[str, str], ...] = (
    (r"to die for", "wonderful"),
    (r"out[ -]of[ -]this[ -]world", "wonderful"),
    (r"second to none", "excellent"),
    (r"(?:leaves?|left|leaving) (?:a lot|much|something|lots) to be desired", "disappointing"),
    (r"hit[ -]or[ -]miss", "inconsistent"),
    (r"never again", "awful"),
    (r"(?:a )?must[ -](?:try|have|see)", "recommended"),
    (r"go-to", "favorite"),
    (r"over[ -]priced", "overpriced"),
    (r"so[ -]so", "mediocre"),
    (r"hats off", "bravo"),
)
# One pass over the text: a group per idiom, so the match says which word replaces it.
_IDIOM_RE = re.compile(r"\b(?:" + "|".join(f"({p})" for p, _ in IDIOMS) + r")\b", re.IGNORECASE)
_IDIOM_WORDS = tuple(word for _, word in IDIOMS)


def _idiom_word(match: re.Match[str]) -> str:
    return _IDIOM_WORDS[(match.lastindex or 1) - 1]


_HYPHENATED = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)+")


def _split_hyphens(match: re.Match[str]) -> str:
    word = match.group()
    return word if word.lower() in get_vader().lexicon else word.replace("-", " ")


# A word of each idiom, lower-case: an ASCII text holding none of them holds no idiom, and is not
# scanned (the idioms' alternation, case-insensitive, is the slowest part of scoring a short text).
# Beyond ASCII, case-insensitive matching also knows characters such as the Kelvin sign, so such
# a text is always scanned.
_IDIOM_HINTS = (
    "die", "world", "none", "desired", "miss", "again", "must", "go-to", "priced", "so so", "so-so",
    "hats",
)  # fmt: skip


def _may_hold_idiom(text: str) -> bool:
    if not text.isascii():
        return True
    lowered = text.lower()
    return any(hint in lowered for hint in _IDIOM_HINTS)


def rewrite_idioms(text: str) -> str:
    """Rewrite :data:`IDIOMS`, and split hyphenated words VADER does not know ("food-awesome",
    "excellent-the service") so that their parts are scored."""
    if _may_hold_idiom(text):
        text = _IDIOM_RE.sub(_idiom_word, text)
    return _HYPHENATED.sub(_split_hyphens, text) if "-" in text else text


def compound_of(text: str) -> float:
    """VADER compound of ``text`` with bounded cost (sanitised, chunked beyond CHUNK_CHARS)."""
    text = rewrite_idioms(sanitize(text))
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
    tokens = token_table(doc)
    words, pos = tokens.lower, tokens.pos
    cuts = {sent.start, sent.end}
    last = sent.start
    for i in range(sent.start, sent.end):
        lower = words[i]
        if lower not in _CLAUSE_WORDS:  # every cut is made at one of these words
            continue
        token = doc[i]
        if lower in CONTRAST_MARK and token.dep_ == "mark" and token.head.i != token.i:
            clause = token.head
            cuts.add(max(sent.start, clause.left_edge.i))
            cuts.add(min(sent.end, clause.right_edge.i + 1))
        elif lower in CONTRAST_SPLIT or lower in CONTRAST_MARK or lower == ";":
            cut = token.i + 1 if lower == ";" else token.i
            # "The service, however, was great": a parenthetical, not a new clause.
            if any(p in _CLAUSE_POS for p in pos[last : token.i]):
                cuts.add(cut)
                last = cut
    ordered = sorted(cuts)
    return [(a, b) for a, b in zip(ordered, ordered[1:], strict=False) if b > a]


# ---- structural cues, on VADER's own scale (a lexicon word is about -4..+4) ----
TOO_VALENCE = -1.5  # "too loud", "too expensive", "too many steps"
NEGATED_ACTION_VALENCE = -1.2  # "they never called back", "the export doesn't finish"
NEGATED_PRAISE_VALENCE = 2.0  # "can't beat the price", "can't wait", "won't break the bank"
RECOMMEND_VALENCE = 1.5  # "Try the lamb."
LONG_WAIT_VALENCE = -1.2  # "It took them 40 minutes", "waited an hour"
COUNTERFACTUAL_FACTOR = 2.0  # "could have been better": cancel VADER's +better, then count it negative
_NORM_ALPHA = 15.0  # VADER's normalisation constant
_NEG_WORDS = frozenset({"not", "n't", "never", "no", "cannot"})
_NEUTRAL_VERBS = frozenset({"know", "think", "mind", "remember", "matter"})
_NEGATED_PRAISE = frozenset({"beat", "wait", "break"})
_MODAL = frozenset({"could", "should", "would", "might"})
_RECOMMEND_VERBS = frozenset({"try"})
_WAIT_VERBS = frozenset({"take", "wait"})
_DURATIONS = frozenset({"minute", "min", "hour", "hr", "day", "week", "forever", "age"})
_SHORT = frozenset({"only", "just", "max", "less", "few"})


def _unnormalize(compound: float) -> float:
    """Invert VADER's ``x / sqrt(x * x + 15)`` to get back (about) its sum of valences."""
    c = max(-0.999, min(0.999, compound))
    return c * math.sqrt(_NORM_ALPHA / (1.0 - c * c))


def _normalize(total: float) -> float:
    return total / math.sqrt(total * total + _NORM_ALPHA)


def _negation_cue(tok: Token, lexicon: dict[str, float]) -> Cue | None:
    head = tok.head
    if head.lemma_ in _NEGATED_PRAISE:
        return Cue(NEGATED_PRAISE_VALENCE, "negated_praise", min(tok.i, head.i), max(tok.i, head.i) + 1)
    doc = tok.doc
    # VADER negates a lexicon word up to three words after "not" itself; only a negated action
    # with no opinion word at all is left for us ("never too large" is praise, not a complaint).
    if (
        head.pos_ in {"VERB", "AUX"}
        and head.lower_ not in lexicon
        and head.lemma_ not in lexicon
        and head.lemma_ not in _NEUTRAL_VERBS
        and not any(t.lower_ in lexicon or t.lower_ == "too" for t in doc[tok.i + 1 : tok.i + 4])
    ):
        expected = complaints.negated_expectation(tok)
        if expected is not None:
            return expected
        return Cue(NEGATED_ACTION_VALENCE, "negated_action", min(tok.i, head.i), max(tok.i, head.i) + 1)
    return None


def _token_cue(tok: Token, lexicon: dict[str, float]) -> Cue | None:
    lower = tok.lower_
    i = tok.i
    if lower == "too" and tok.dep_ == "advmod" and tok.head.pos_ in {"ADJ", "ADV"}:
        negated = tok.i > 0 and tok.doc[tok.i - 1].lower_ in _NEG_WORDS  # "never too large"
        if lexicon.get(tok.head.lower_, 0.0) <= 0 and not negated:
            return Cue(TOO_VALENCE, "too", i, max(i, tok.head.i) + 1)
        return None
    if (
        tok.lemma_ in _RECOMMEND_VERBS
        and tok.dep_ == "ROOT"
        and tok.i == tok.sent.start
        and any(c.dep_ == "dobj" for c in tok.children)
    ):
        return Cue(RECOMMEND_VALENCE, "recommend", i, i + 1)
    if tok.lemma_ in _WAIT_VERBS and tok.pos_ == "VERB":
        near = [t for t in tok.subtree if t.i - tok.i <= 8]
        words = {t.lemma_.lower() for t in near}
        if words & _DURATIONS and not words & _SHORT:
            last = max(t.i for t in near if t.lemma_.lower() in _DURATIONS)
            return Cue(LONG_WAIT_VALENCE, "wait", min(i, last), max(i, last) + 1)
    if tok.tag_ in {"JJR", "RBR"} and lexicon.get(lower, 0.0) > 0:
        verb = tok if tok.dep_ == "ROOT" else tok.head
        deps = {c.lower_ for c in verb.children if c.dep_ in {"aux", "neg"}}
        if deps & _MODAL and not deps & _NEG_WORDS and not any(c.lower_ == "than" for c in tok.children):
            return Cue(-COUNTERFACTUAL_FACTOR * lexicon[lower], "counterfactual", i, i + 1)
        return None
    cue = complaints.factual_cue(tok, lexicon)
    if cue is not None:
        return cue
    if tok.dep_ == "neg" or lower in _NEG_WORDS:
        return _negation_cue(tok, lexicon)
    return None


# What a token must be for _token_cue to find anything at it: the words and lemmas its rules
# (and those of nlp.complaints.factual_cue) are anchored at, a comparative, or a negation.
_ANCHOR_WORDS = frozenset({"too"}) | _NEG_WORDS | complaints.CUE_WORDS
_ANCHOR_LEMMAS = _RECOMMEND_VERBS | _WAIT_VERBS | complaints.VERB_CUE_LEMMAS
_COMPARATIVES = frozenset({"JJR", "RBR"})


def token_cues(doc: Doc) -> list[Cue | None]:
    """The structural cue at each token of ``doc`` (``None`` where there is none), as
    :func:`cue_list` finds them; a ``Token`` is built only for a token a rule is anchored at."""
    lexicon = get_vader().lexicon
    table = token_table(doc)
    found: list[Cue | None] = [None] * len(doc)
    for i, (lower, lemma, tag, dep) in enumerate(
        zip(table.lower, table.lemma_lower, table.tag, table.dep, strict=True)
    ):
        if lower in _ANCHOR_WORDS or lemma in _ANCHOR_LEMMAS or tag in _COMPARATIVES or dep == "neg":
            found[i] = _token_cue(doc[i], lexicon)
    return found


def cue_list(tokens: Iterable[Token]) -> list[Cue]:
    """The structural cues in ``tokens`` (one pass over the parse, no VADER call)."""
    lexicon = get_vader().lexicon
    return [cue for cue in (_token_cue(tok, lexicon) for tok in tokens) if cue is not None]


def cue_valence(tokens: Iterable[Token]) -> float:
    """Sum of the structural cues in ``tokens``."""
    return sum(cue.valence for cue in cue_list(tokens))


def _add_cue(compound: float, cue: float) -> float:
    return _normalize(_unnormalize(compound) + cue) if cue else compound


def with_cues(compound: float, tokens: Iterable[Token]) -> float:
    """``compound`` (VADER's, for the text of ``tokens``) with the cues added to its valence sum."""
    return _add_cue(compound, cue_valence(tokens))


def scope_compound(tokens: Sequence[Token]) -> float:
    """VADER compound of the text of ``tokens`` (in order, space-joined), with the cues."""
    return with_cues(compound_of(" ".join(t.text for t in tokens)), tokens)


class DocScores:
    """:func:`with_cues` of :func:`compound_of` for scopes of one parsed comment, each computed once.

    A one-clause comment's clause is also its sentence and often its whole text, and a theme
    mentioned twice shares its scope: the same VADER call and the same cue pass would be made
    again (a third of the VADER calls on SemEval). Results are the same as without the memo;
    the VADER half is keyed by the text scored, the cue half by the tokens' indices. The cues of
    every scope scored are kept (:meth:`cues_of`) so they can be quoted as evidence.
    """

    __slots__ = ("_vader", "_cues", "_doc", "_token_cues")

    def __init__(self) -> None:
        self._vader: dict[str, float] = {}
        self._cues: dict[tuple[int, ...], list[Cue]] = {}
        self._doc: Doc | None = None
        self._token_cues: list[Cue | None] = []

    def _cue_list(self, doc: Doc, indices: Iterable[int]) -> list[Cue]:
        """:func:`cue_list` of the tokens at ``indices``: a token's cue depends on the token and
        its parse only, so each token's is found once per doc (:func:`token_cues`)."""
        if self._doc is not doc:
            self._doc, self._token_cues = doc, token_cues(doc)
        found = self._token_cues
        return [cue for cue in (found[i] for i in indices) if cue is not None]

    def of(self, text: str, tokens: Sequence[Token] | Span | Doc, key: tuple[int, ...]) -> float:
        vader = self._vader.get(text)
        if vader is None:
            vader = self._vader[text] = compound_of(text)
        cues = self._cues.get(key)
        if cues is None:
            cues = self._cues[key] = cue_list(tokens)
        return _add_cue(vader, sum(c.valence for c in cues))

    def _scored(self, text: str, doc: Doc, indices: Iterable[int], key: tuple[int, ...]) -> float:
        vader = self._vader.get(text)
        if vader is None:
            vader = self._vader[text] = compound_of(text)
        cues = self._cues.get(key)
        if cues is None:
            cues = self._cues[key] = self._cue_list(doc, indices)
        return _add_cue(vader, sum(c.valence for c in cues))

    def doc(self, doc: Doc) -> float:
        """Of the whole comment (its text with any trailing whitespace, as parsed)."""
        return self._scored(token_table(doc).text, doc, range(len(doc)), (0, len(doc)))

    def span(self, span: Span) -> float:
        """Of a span's own text."""
        # Span.text joins its tokens' texts: the same characters as this slice of the doc's.
        text = token_table(span.doc).text[span.start_char : span.end_char]
        return self._scored(text, span.doc, range(span.start, span.end), (span.start, span.end))

    def tokens(self, tokens: Sequence[Token]) -> float:
        """Of ``tokens`` in order, space-joined (:func:`scope_compound`)."""
        key = tuple(t.i for t in tokens)
        text = " ".join(t.text for t in tokens)
        if not tokens:
            return self.of(text, tokens, key)
        return self._scored(text, tokens[0].doc, key, key)

    @staticmethod
    def key_of(scope: Sequence[Token] | Span | Doc) -> tuple[int, ...]:
        if isinstance(scope, list | tuple):
            return tuple(t.i for t in scope)
        return (scope[0].i, scope[0].i + len(scope)) if len(scope) else (0, 0)

    def cues_of(self, key: tuple[int, ...]) -> list[Cue]:
        """The cues found in a scope already scored under ``key`` (else none)."""
        return self._cues.get(key, [])


_PREDICATE_POS = frozenset({"VERB", "AUX", "ADJ"})
_CLAUSE_DEPS = frozenset({"conj", "advcl", "ccomp", "parataxis", "relcl"})


def dependency_scope(token: Token, start: int, end: int) -> list[Token]:
    """The tokens of the predicate governing ``token`` inside doc[start:end], without its
    coordinated or subordinate clauses (or coordinated nouns) that do not contain ``token``:
    in "the food was great and the service slow", food gets "the food was great"."""
    node = token
    while node.head.i != node.i and start <= node.head.i < end:
        if node is not token and node.pos_ in _PREDICATE_POS:
            break
        if node.dep_ in _CLAUSE_DEPS and node.pos_ in _PREDICATE_POS:
            break
        node = node.head
    skip: set[int] = set()
    for child in node.children:
        if child.left_edge.i <= token.i <= child.right_edge.i:
            continue
        if child.dep_ == "cc":
            skip.add(child.i)
        elif child.dep_ in _CLAUSE_DEPS:
            skip.update(range(child.left_edge.i, child.right_edge.i + 1))
    return [t for t in node.subtree if start <= t.i < end and t.i not in skip]
