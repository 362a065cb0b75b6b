"""What an analyst's tag corrections teach: negative contexts and missing keywords.

When an analyst removes a theme the analyser found, each quoted mention teaches two negative
contexts for that theme: the trigger alone (:func:`trigger_context`, ``fast``) and the trigger with
the nearest content word on each side (:func:`exclusion_context`: removing ``integrations`` from
"the Slack channel is noisy" learns ``slack channel``). A later mention of the theme is dropped
when it shares a word with a context and has all the context's other words within
:data:`WINDOW_WORDS` content words, same sentence, any order, inflections included
(:func:`is_excluded`, used by the analyser for :attr:`nlp.taxonomy.Theme.excludes`). When an
analyst adds a theme the analyser missed, :func:`keyword_candidates` lists the comment's
uncovered lemmas and :func:`propose_keyword` picks the one most specific to the theme among the
workspace's own answers (a lemma keyword finds its inflections through the analyser's lemma
matcher). Whether a lesson applies without an analyst's confirmation is :func:`exclusion_holds`
and :func:`keyword_holds` (the service and ``bench/learning_curve.py`` both call them).

Contexts work on the text alone (lower-cased words with regular inflections removed, no spaCy),
so the web process can learn from a correction without loading a model, and the analyser sees the
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
# When a lesson applies without an analyst confirming it (besides being taught by ``learn_after``
# corrections, the service's setting): a negative context once the analyst removed the theme from
# at least MIN_REMOVED_SHARE of the answers where it matches and kept it in at most MAX_KEPT_SHARE
# of those they corrected (:func:`exclusion_holds`); a keyword once at least MIN_KEYWORD_SHARE of
# the workspace's answers with the word (MIN_KEYWORD_ANSWERS at least) carry the theme
# (:func:`keyword_holds`).
MIN_REMOVED_SHARE = 0.2
MAX_KEPT_SHARE = 0.2
MIN_KEYWORD_SHARE = 0.5
MIN_KEYWORD_ANSWERS = 3
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


def trigger_words(text: str, start: int, end: int) -> list[str]:
    """The normalised content words of the mention text[start:end]."""
    return [w for w in _around(text, start, end, 0) if w != "."]


def is_excluded(text: str, start: int, end: int, contexts: Iterable[str]) -> bool:
    """Is the mention text[start:end] in one of ``contexts``: does a context share a word with the
    mention itself and find all its other words in the mention's neighbourhood (:data:`WINDOW_WORDS`
    content words each side, same sentence, any order)? A context of the trigger alone
    (``fast``) excludes every mention of it; a pair (``fast load``) only the mentions near the
    other word; an older context of several words (``slack channel noisy``) needs all of them."""
    contexts = [set(c.split()) for c in contexts if c.strip()]
    if not contexts:
        return False
    window = set(_around(text, start, end, WINDOW_WORDS))
    own = set(trigger_words(text, start, end))
    return any(words <= window and words & own for words in contexts)


def trigger_context(text: str, start: int, end: int) -> str | None:
    """The negative context of a removed mention on its own: its trigger words (normalised), so
    that once it holds (:func:`exclusion_holds`) every mention of them stops finding the theme
    ("fast" is not a performance problem in a workspace whose analysts tag complaints only)."""
    words = trigger_words(text, start, end)
    return " ".join(words) if words else None


def in_context(text: str, evidence: Iterable[tuple[int, int]], context: str) -> bool:
    """Is one of the mentions (start, end) of ``text`` in the negative ``context``?"""
    return any(is_excluded(text, start, end, [context]) for start, end in evidence)


def mentions(text: str, context: str) -> bool:
    """Does ``text`` have all the words of ``context`` (normalised, anywhere)? A cheap test of
    whether a negative context may have dropped a theme from it."""
    words = {w for w, _, _ in _words(text)}
    return bool(context.split()) and set(context.split()) <= words


def stems(phrase: str) -> list[str]:
    """Lower-case substrings every inflection of the phrase's words contains ("battery" ->
    "batter", found in "batteries"): a database prefilter for the answers a rule may change."""
    return [w[:-1] if len(w) > 3 and w[-1] in "ey" else w for w in phrase.lower().split()]


def exclusion_holds(removed: int, kept: int, matched: int, learn_after: int) -> bool:
    """Does a negative context apply without confirmation? ``removed``: answers the analysts
    removed the theme from with a mention in the context; ``kept``: answers they corrected (so
    read) that keep the theme with such a mention; ``matched``: the workspace's answers that keep
    the theme with such a mention (``kept`` among them). The lesson must be taught ``learn_after``
    times, be a fair share of what it changes, and not be contradicted by the analysts' own
    reading (their per-workspace precision of the mention)."""
    return (
        removed >= learn_after
        and kept <= MAX_KEPT_SHARE * (kept + removed)
        and removed >= MIN_REMOVED_SHARE * (removed + matched)
    )


def keyword_candidates(
    noun_phrases: Sequence[str], covered_terms: Iterable[str], common: Iterable[str] = ()
) -> list[str]:
    """Single lemmas of the comment's noun phrases a new keyword could be (in order): no theme's
    keyword covers them, they are not in ``common`` (as words of common phrases), not
    stopwords, at least three letters. A lemma keyword also finds its inflections ("waiter"
    finds "waiters": the analyser matches base-form keywords by lemma)."""
    covered = {t.lower() for t in covered_terms}
    skip = covered | STOPWORDS | {w for phrase in common for w in phrase.split()}
    out: dict[str, None] = {}
    for phrase in noun_phrases:
        for word in phrase.split():
            if len(word) >= 3 and word.isalpha() and word not in skip:
                out.setdefault(word, None)
    return list(out)


def covered_words(keywords: Iterable[str]) -> frozenset[str]:
    """The words of the given keywords and their base forms: what a new keyword must not be."""
    words = {w for k in keywords for w in k.lower().split()}
    return frozenset(words | {base_form(w) for w in words})


Corpus = Sequence[tuple[Container[str], Container[str]]]  # (words of an answer, its themes)


def word_stats(word: str, theme: str, corpus: Corpus) -> tuple[int, int]:
    """(answers of ``corpus`` with ``word`` that carry ``theme``, answers with ``word``)."""
    with_word = [themes for words, themes in corpus if word in words]
    return sum(theme in themes for themes in with_word), len(with_word)


def propose_keyword(candidates: Sequence[str], theme: str, corpus: Corpus) -> str | None:
    """The candidate most specific to ``theme`` in the workspace's own answers: the highest lift
    of the theme among answers with the word against all answers (``corpus`` is the workspace's
    answers with their current themes, analysts' corrections included), ties to the earlier."""
    if not candidates:
        return None
    total = len(corpus)
    base = sum(theme in themes for _, themes in corpus)
    best, best_lift = candidates[0], -1.0
    for word in candidates:
        with_theme, with_word = word_stats(word, theme, corpus)
        lift = (with_theme / (with_word + 1)) / ((base + 1) / (total + 1))
        if lift > best_lift:
            best, best_lift = word, lift
    return best


def keyword_holds(corrections: int, with_theme: int, with_word: int, learn_after: int) -> bool:
    """Does a learned keyword apply without confirmation? Taught ``learn_after`` times, and most
    of the workspace's answers with the word already carry the theme (``word_stats``)."""
    return (
        corrections >= learn_after
        and with_word >= MIN_KEYWORD_ANSWERS
        and with_theme >= MIN_KEYWORD_SHARE * with_word
    )


def answer_words(noun_phrases: Iterable[str]) -> frozenset[str]:
    """The words of an answer's noun phrases (what :func:`word_stats` looks for)."""
    return frozenset(w for phrase in noun_phrases for w in phrase.split())


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
