"""What a sentence wants: praise, complaint, request or question.

A request ("would love a Slack integration", "please add dark mode", "it would be nice if ...")
is not praise even though VADER scores its words positive, and a question ("how do I export my
data?") is not an opinion. :func:`sentence_request` and :func:`sentence_question` recognise them on
the spaCy parse of one sentence; :func:`intent_of` combines them with the sentiment of the scope:
a request first; otherwise a complaint when the sentiment is negative, a factual-complaint cue
was found or a defect is named ("freezes sometimes"); otherwise a question; praise when the
sentiment is positive, and ``other`` for a neutral statement. A comment's intent is the first of request,
complaint, question, praise found among its sentences, in that order: a comment that asks for
something and also praises the product is counted where product managers look for asks.

"Please fix" and "needs to be fixed" are complaints about a defect, not requests (see
:mod:`nlp.complaints`), and "try the curry" is a recommendation (praise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nlp.results import COMPLAINT, INTENTS, NEGATIVE, OTHER, POSITIVE, PRAISE, QUESTION, REQUEST
from nlp.tokens import table

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    from spacy.tokens import Span, Token

__all__ = ["INTENTS", "comment_intent", "intent_of", "sentence_question", "sentence_request"]
_COMMENT_ORDER = (REQUEST, COMPLAINT, QUESTION, PRAISE, OTHER)

# Verbs of asking for something new; "fix" is deliberately absent (a defect report), and so are
# "get", "see" and "have" ("you can get a table", "could have made a meal" are not asks).
_ASK_VERBS = frozenset(
    {
        "add", "include", "bring", "allow", "support", "implement", "introduce", "integrate",
        "offer", "provide", "enable", "let", "make", "give", "consider", "create", "build", "put",
        "update", "change", "remove", "develop", "release", "port", "expand",
    }
)  # fmt: skip
# Who is asked or who lacks: "you should add", "they need to make", "the app needs an option".
_ASKED = frozenset({"you", "u", "they", "developer", "dev", "devs", "it", "app", "there", "we", "i", "game"})
_WISH_VERBS = frozenset({"love", "like", "want", "prefer", "appreciate"})
_WISHED = frozenset({"a", "an", "more", "some", "the", "if", "option", "ability", "support"})
_NICE = frozenset(
    {"nice", "great", "good", "awesome", "helpful", "useful", "cool", "better", "amazing", "ideal"}
)
_REQUEST_NOUNS = frozenset({"option", "ability", "feature", "setting", "support", "integration", "mode"})
_DEFECTS = frozenset(
    {"bug", "buggy", "crash", "crashes", "freeze", "freezes", "glitch", "error", "lag", "laggy", "broken"}
)
_DENIALS = frozenset({"no", "not", "never", "without", "n't", "zero", "any"})
_WH = frozenset({"how", "what", "why", "where", "when", "which"})
_QUESTION_AUX = frozenset({"do", "does", "did", "can", "could", "is", "are", "should", "will", "to"})
_QUESTION_STARTS = frozenset(
    {"how", "what", "why", "when", "where", "which", "who", "is", "are", "can", "could", "does", "do",
     "did", "will", "has", "have", "should", "any", "anyone", "am"}
)  # fmt: skip


# The lemmas the rules of sentence_request start at ("be" only counts after "would").
_REQUEST_TRIGGERS = _ASK_VERBS | {
    "please", "pls", "plz", "would", "'d", "d", "wish", "should", "could", "can", "need", "want",
    "miss", "lack", "missing", "lacking", "hope", "hopefully",
}  # fmt: skip


def _lemmas(sent: Span) -> list[str]:
    return table(sent.doc).lemma_lower[sent.start : sent.end]


def _subject(tok: Token) -> str:
    subject = next((c for c in tok.children if c.dep_ in {"nsubj", "expl"}), None)
    if subject is None and tok.head.i != tok.i:
        subject = next((c for c in tok.head.children if c.dep_ in {"nsubj", "expl"}), None)
    return subject.lemma_.lower() if subject is not None else ""


def _asks(tok: Token, lemmas: list[str], k: int) -> bool:
    """At a modal, "need" or "wish": is something being asked of the product or its makers?"""
    lemma = lemmas[k]
    after = lemmas[k + 1 : k + 4]
    if lemma in {"should", "could"}:
        if after[:1] in (["not"], ["n't"]) or _subject(tok) not in _ASKED - {"we", "i"}:
            return False
        if after[:1] == ["have"]:  # "should have an offline mode", not "could have made"
            return len(after) > 1 and after[1] in _WISHED
        return bool(set(after) & _ASK_VERBS)
    # "(Hi,) can you (please) add ...", not "you can add ..." (a statement).
    if lemma == "can" and (k == 0 or lemmas[k - 1] not in _ASKED):
        return after[:1] in (["you"], ["u"]) and bool(set(lemmas[k + 2 : k + 5]) & _ASK_VERBS)
    if lemma in {"need", "want"} and tok.tag_ in {"VB", "VBP", "VBZ"} and _subject(tok) in _ASKED:
        window = lemmas[k + 1 : k + 5]
        return bool(set(window) & (_REQUEST_NOUNS | _ASK_VERBS))
    return False


def sentence_request(sent: Span) -> bool:
    """Does this sentence ask for something to be added or changed?"""
    words = table(sent.doc).lower[sent.start : sent.end]
    lemmas = _lemmas(sent)
    text = " ".join(words)
    if "feature request" in text or "would be nice" in text or "please add" in text:
        return True
    if _REQUEST_TRIGGERS.isdisjoint(lemmas):
        return False  # every rule below starts at one of these lemmas
    for k, tok in enumerate(sent):
        lemma = lemmas[k]
        nxt = lemmas[k + 1] if k + 1 < len(lemmas) else ""
        if lemma in {"please", "pls", "plz"} and nxt in _ASK_VERBS:
            return True
        imperative = k == 0 and tok.tag_ == "VB" and nxt not in {"to", "on"}
        if imperative and lemma in _ASK_VERBS - {"make", "let", "give", "put"}:
            return True  # "Add a dark mode."
        if lemma in {"would", "'d", "d"} and nxt in _WISH_VERBS and k + 2 < len(lemmas):
            then = lemmas[k + 2]
            if then in _WISHED or (then == "to" and set(lemmas[k + 3 : k + 5]) & (_ASK_VERBS | {"see"})):
                return True
        if lemma == "wish" and tok.pos_ == "VERB" and nxt in {"it", "there", "they", "you", "this"}:
            return True
        if lemma in {"should", "could", "can", "need", "want"} and _asks(tok, lemmas, k):
            return True
        if lemma == "be" and nxt in _NICE and "would" in lemmas[max(0, k - 2) : k]:
            return any(w in {"if", "to"} for w in lemmas[k + 2 : k + 4])
        if lemma in {"miss", "lack", "missing", "lacking"} and any(
            w in _REQUEST_NOUNS or w == "feature" for w in lemmas[max(0, k - 3) : k + 5]
        ):
            return True  # "I miss the folders feature", "lacks an option to ..."
        if lemma in {"hope", "hopefully"} and any(w in _ASK_VERBS for w in lemmas[k + 1 : k + 6]):
            return True
    return False


def sentence_question(sent: Span) -> bool:
    """Is this sentence a question: a question word or inverted verb first and a final '?', or
    "how do/can ..." without one. (A '?' alone is not enough: some sources turn emoji into '?'.)"""
    tokens = table(sent.doc)
    words = [
        w
        for w, space in zip(
            tokens.lower[sent.start : sent.end], tokens.is_space[sent.start : sent.end], strict=True
        )
        if not space
    ]
    if len(words) < 2:
        return False
    if words[-1] == "?" and words[-2].isalpha() and words[0] in _QUESTION_STARTS:
        return words[1] not in {"not", "n't"}
    return words[0] in _WH and words[1] in _QUESTION_AUX


def reports_defect(sents: Iterable[Span]) -> bool:
    """Does a sentence name a defect ("bug", "crashes", "freezes") that is not denied ("no bugs")?"""
    for sent in sents:
        tokens = table(sent.doc)
        lower, lemmas = tokens.lower, tokens.lemma_lower
        for i in range(sent.start, sent.end):
            if lemmas[i] in _DEFECTS or lower[i] in _DEFECTS:
                before = set(lower[max(sent.start, i - 3) : i])
                if not before & _DENIALS:
                    return True
    return False


def intent_of(
    sents: Iterable[Span], label: str, complaint_cue: bool = False, requests: Collection[int] | None = None
) -> str:
    """The intent of a scope made of ``sents`` whose sentiment label is ``label``;
    ``complaint_cue`` says a factual-complaint cue was found in it (see :mod:`nlp.complaints`).
    ``requests``, when given, holds the start of every sentence of the doc that
    :func:`sentence_request` accepts (found once per doc rather than once per scope)."""
    sents = list(sents)
    asks = sentence_request if requests is None else (lambda s: s.start in requests)
    if any(asks(s) for s in sents):
        return REQUEST
    if label == NEGATIVE or complaint_cue or reports_defect(sents):
        return COMPLAINT
    if any(sentence_question(s) for s in sents):
        return QUESTION
    return PRAISE if label == POSITIVE else OTHER


def comment_intent(intents: Iterable[str]) -> str:
    """The comment's intent from its sentences' (see the module docstring)."""
    found = set(intents)
    return next((i for i in _COMMENT_ORDER if i in found), OTHER)
