"""Factual complaints: negative events stated without a sentiment word.

Customers often report what happened instead of how they feel: "my bag never arrived", "waited 3
hours on hold", "charged twice", "still no refund", "not what I ordered", "it freezes". VADER has
no valence for such facts, so they read as neutral. :func:`factual_cue` looks at one token of the
spaCy parse and, when it anchors such an event, returns its valence on VADER's scale, a kind (what
sort of event it is, kept with the quoted words as evidence of why the sentiment is negative) and
the token range quoted. Valences are moderate hand-set values, like the domain lexicon's: one cue
alone makes a neutral clause clearly negative but cannot outweigh an explicit opinion.

Kinds: ``failure`` (a failure or delay verb VADER does not score: "freezes", "drains", "hung up"),
``wait`` (waiting: "on hold", "still waiting"), ``money`` (money taken: "charged twice", "took my
money", "no refund"), ``not_received`` (an expected thing did not happen: "never arrived", "didn't
work", "nobody answered", "unable to log in"), ``unmet_expectation`` ("not what I ordered", "no
reply", "not as described"), ``fix_request`` ("please fix", "needs to be fixed") and
``repeat_contact`` ("had to call four times").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from spacy.tokens import Token

FAILURE_VALENCE = -1.5
WAIT_VALENCE = -1.2
MONEY_VALENCE = -1.8
NOT_RECEIVED_VALENCE = -2.0
UNMET_VALENCE = -1.8
FIX_VALENCE = -1.8
REPEAT_VALENCE = -1.2
COMPLAINT_KINDS = frozenset(
    {"failure", "wait", "money", "not_received", "unmet_expectation", "fix_request", "repeat_contact"}
)


class Cue(NamedTuple):
    """A structural opinion: valence (VADER scale), kind, and the doc token range [start, end)."""

    valence: float
    kind: str
    start: int
    end: int


# Verbs of failure VADER's lexicon misses (in every inflection or some; "freeze" is +0.2 there,
# "freezes" -0.1); counted only when the surface word is not already clearly negative in it, so
# VADER's score is never doubled.
FAILURE_VERBS = frozenset(
    {"freeze", "drain", "reboot", "disconnect", "bounce", "decline", "timeout", "malfunction", "overheat"}
)
# Verbs whose failure needs a particle or subject: "hung up on me", "logs me out", "the call dropped".
_PARTICLE_FAILURES = {("hang", "up"), ("log", "out"), ("time", "out"), ("shut", "down"), ("kick", "out")}
_DROP_SUBJECTS = frozenset({"call", "connection", "line", "signal", "chat", "wifi"})
# What a customer expects to happen; negated ("never arrived", "didn't respond"), it is a complaint.
EXPECTED_VERBS = frozenset(
    {
        "arrive", "come", "receive", "get", "deliver", "ship", "show", "respond", "reply", "answer",
        "call", "hear", "work", "load", "open", "install", "connect", "sync", "start", "launch",
        "update", "fix", "resolve", "help", "save", "send", "refund", "return", "turn", "appear",
        "play", "run", "download", "upload", "login", "log", "sign", "register", "print", "charge",
    }
)  # fmt: skip
# Things a customer is waiting for: "still no refund", "no reply", "no one answered".
EXPECTED_NOUNS = frozenset(
    {
        "refund", "response", "reply", "answer", "update", "callback", "call", "help", "support",
        "email", "confirmation", "tracking", "explanation", "apology", "compensation", "word",
        "contact", "resolution", "solution", "fix", "sound", "signal", "notification", "delivery",
        "follow", "news", "feedback", "money", "progress", "acknowledgement", "acknowledgment",
    }
)  # fmt: skip
_ORDER_VERBS = frozenset(
    {"order", "ask", "expect", "want", "pay", "advertise", "describe", "request", "book"}
)
_CHARGE_VERBS = frozenset({"charge", "bill", "debit", "deduct", "withdraw"})
_CHARGE_MODS = frozenset({"twice", "again", "double", "extra", "still", "already", "three", "multiple"})
_NEGATIONS = frozenset({"not", "n't", "never", "no", "cannot"})
_NOBODY = frozenset({"nobody", "noone"})
_CONTACT_VERBS = frozenset({"call", "email", "contact", "ask", "chase", "phone", "write", "message"})
_DURATIONS = frozenset({"minute", "min", "hour", "hr", "day", "week", "month", "forever", "age"})
# The words the other rules of factual_cue are anchored at.
_CUE_WORDS = frozenset({"no", "unable", "able", "not", "hold"} | _NOBODY)
# Every verb lemma a rule of _verb_cue is about: any other verb is passed over at once.
_VERB_CUE_LEMMAS = frozenset(
    FAILURE_VERBS
    | {verb for verb, _ in _PARTICLE_FAILURES}
    | {"log", "drop", "take", "wait", "fix"}
    | _CHARGE_VERBS
    | _CONTACT_VERBS
)
# What a token must be (its lower-case form, or a verb's lemma) for factual_cue to find anything.
CUE_WORDS = _CUE_WORDS
VERB_CUE_LEMMAS = _VERB_CUE_LEMMAS


def _cue(valence: float, kind: str, *tokens: Token) -> Cue:
    indices = [t.i for t in tokens]
    return Cue(valence, kind, min(indices), max(indices) + 1)


def _child(tok: Token, deps: frozenset[str] | set[str]) -> Token | None:
    return next((c for c in tok.children if c.dep_ in deps), None)


def _negated(tok: Token) -> Token | None:
    return next((c for c in tok.children if c.dep_ == "neg" or c.lower_ in _NEGATIONS), None)


def _verb_cue(tok: Token, lexicon: dict[str, float]) -> Cue | None:
    lemma = tok.lemma_.lower()
    if lemma not in _VERB_CUE_LEMMAS:
        return None
    neg = _negated(tok)
    if neg is not None:
        return None  # negated verbs are the negation rule's (see nlp.sentiment)
    if lemma in FAILURE_VERBS and lexicon.get(tok.lower_, 0.0) > -1.0:
        return _cue(FAILURE_VALENCE, "failure", tok)
    particle = _child(tok, {"prt"})
    if particle is not None and (lemma, particle.lower_) in _PARTICLE_FAILURES:
        return _cue(FAILURE_VALENCE, "failure", tok, particle)
    if lemma == "log" and any(c.lower_ == "out" for c in tok.children):
        return _cue(FAILURE_VALENCE, "failure", tok)
    if lemma == "drop":
        subject = _child(tok, {"nsubj", "nsubjpass"})
        if subject is not None and subject.lemma_.lower() in _DROP_SUBJECTS:
            return _cue(FAILURE_VALENCE, "failure", subject, tok)
    if lemma in _CHARGE_VERBS:
        # "charged me twice", "double charged": the nearest modifier within the same phrase.
        after = []
        for t in tok.doc[tok.i + 1 : min(tok.sent.end, tok.i + 4)]:
            if t.pos_ in {"CCONJ", "PUNCT"}:
                break
            after.append(t)
        before = tok.doc[tok.i - 1] if tok.i > tok.sent.start else None
        mod = next((t for t in after if t.lower_ in _CHARGE_MODS), None)
        if mod is None and before is not None and before.lower_ in _CHARGE_MODS:
            mod = before
        if mod is not None:
            return _cue(MONEY_VALENCE, "money", tok, mod)
    if lemma == "take" and any(c.dep_ == "dobj" and c.lemma_.lower() == "money" for c in tok.children):
        return _cue(MONEY_VALENCE, "money", tok, next(c for c in tok.children if c.dep_ == "dobj"))
    if lemma == "wait" and any(c.lower_ == "still" for c in tok.children):
        return _cue(WAIT_VALENCE, "wait", next(c for c in tok.children if c.lower_ == "still"), tok)
    if lemma == "fix" and tok.pos_ == "VERB":
        please = tok.i > 0 and tok.doc[tok.i - 1].lower_ == "please"
        imperative = tok.dep_ == "ROOT" and not any(c.dep_ in {"nsubj", "nsubjpass"} for c in tok.children)
        needed = tok.head.lemma_ in {"need", "have"} and tok.head.i < tok.i
        if please or imperative or needed or tok.tag_ == "VBN" and tok.head.lemma_ == "need":
            return _cue(FIX_VALENCE, "fix_request", tok.doc[tok.i - 1] if please else tok, tok)
    if lemma in _CONTACT_VERBS and tok.head.lemma_ == "have" and tok.head.i < tok.i:
        times = [t for t in tok.doc[tok.i + 1 : tok.i + 6] if t.lemma_ in {"time", "again"}]
        if times:
            return _cue(REPEAT_VALENCE, "repeat_contact", tok.head, *times)
    return None


def negated_expectation(neg: Token) -> Cue | None:
    """A negated expected action ("never arrived", "doesn't load", "unable to sign in")."""
    head = neg.head
    if head.lemma_.lower() in EXPECTED_VERBS and head.pos_ in {"VERB", "AUX"}:
        return _cue(NOT_RECEIVED_VALENCE, "not_received", neg, head)
    return None


def factual_cue(tok: Token, lexicon: dict[str, float]) -> Cue | None:
    """The factual-complaint cue anchored at ``tok``, if any (see the module docstring)."""
    if tok.pos_ in {"VERB", "AUX"}:
        return _verb_cue(tok, lexicon)
    lower = tok.lower_
    if lower not in _CUE_WORDS:  # every rule below is anchored at one of these words
        return None
    if (
        lower == "no"
        and tok.dep_ == "det"
        and tok.head.lemma_.lower() in EXPECTED_NOUNS
        and not any(t.lower_ == "problem" for t in tok.doc[tok.i : tok.i + 3])
    ):
        return _cue(UNMET_VALENCE, "unmet_expectation", tok, tok.head)
    if lower == "no" and tok.i + 1 < len(tok.doc) and tok.doc[tok.i + 1].lower_ == "one":
        head = tok.doc[tok.i + 1].head
        if head.lemma_.lower() in EXPECTED_VERBS:
            return _cue(NOT_RECEIVED_VALENCE, "not_received", tok, head)
    if lower in _NOBODY and tok.head.lemma_.lower() in EXPECTED_VERBS:
        return _cue(NOT_RECEIVED_VALENCE, "not_received", tok, tok.head)
    if lower == "unable" or (lower == "able" and tok.i > 0 and tok.doc[tok.i - 1].lower_ in _NEGATIONS):
        xcomp = _child(tok, {"xcomp"})
        if xcomp is not None:
            return _cue(NOT_RECEIVED_VALENCE, "not_received", tok, xcomp)
    if lower == "not" and tok.i + 1 < len(tok.doc):
        nxt = tok.doc[tok.i + 1]
        if nxt.lower_ == "what":
            verb = next((t for t in tok.doc[tok.i + 2 : tok.i + 6] if t.lemma_.lower() in _ORDER_VERBS), None)
            if verb is not None:
                return _cue(UNMET_VALENCE, "unmet_expectation", tok, verb)
        if nxt.lower_ == "as" and tok.i + 2 < len(tok.doc):
            verb = tok.doc[tok.i + 2]
            if verb.lemma_.lower() in _ORDER_VERBS:
                return _cue(UNMET_VALENCE, "unmet_expectation", tok, verb)
    if lower == "hold" and tok.dep_ == "pobj" and tok.head.lower_ == "on":
        return _cue(WAIT_VALENCE, "wait", tok.head, tok)
    return None


def is_duration(tok: Token) -> bool:
    return tok.lemma_.lower() in _DURATIONS
