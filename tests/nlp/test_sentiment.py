"""Tests for nlp.sentiment: thresholds, sanitising and bounded cost on pathological input."""

from __future__ import annotations

from nlp import sentiment
from nlp.analyzer import Analyzer
from nlp.pipeline import get_nlp
from nlp.results import LABELS
from nlp.sentiment import (
    NEGATIVE_THRESHOLD,
    POSITIVE_THRESHOLD,
    clause_bounds,
    compound_of,
    cue_valence,
    dependency_scope,
    label_for,
    rewrite_idioms,
    sanitize,
    score,
)


def test_sentiment_label_thresholds_are_a_narrow_neutral_band() -> None:
    assert (POSITIVE_THRESHOLD, NEGATIVE_THRESHOLD) == (0.02, -0.02)
    assert label_for(0.02) == "positive"
    assert label_for(0.0199) == "neutral"
    assert label_for(0.0) == "neutral"
    assert label_for(-0.02) == "negative"


def test_sentiment_domain_lexicon_scores_slow_negative() -> None:
    assert score("slow service").label == "negative"
    assert score("").label == "neutral"


def test_sentiment_sanitize_bounds_runs_and_emoji() -> None:
    cleaned = sanitize("sooooooo good" + "😀🎉" * 500 + "😡" * 50)
    assert cleaned.startswith("sooo good")
    assert sum(cleaned.count(e) for e in "😀🎉😡") == 10


def test_sentiment_clause_bounds_split_on_but() -> None:
    doc = get_nlp()("great food but slow service")
    clauses = [doc[a:b].text for a, b in clause_bounds(next(doc.sents))]
    assert clauses == ["great food", "but slow service"]


def test_sentiment_huge_text_returns_valid_result(restaurant: Analyzer) -> None:
    text = ("The food was great but the service was slow. " * 5000)[:200_000]
    analysis = restaurant.analyze(text)
    assert analysis.sentiment.label in LABELS
    assert {"food", "service"} <= set(analysis.theme_names)
    assert max(e.end for t in analysis.themes for e in t.evidence) <= restaurant.max_chars


def test_sentiment_emoji_flood_returns_valid_result(restaurant: Analyzer) -> None:
    text = "Lovely food " + "😀" * 5000 + "!" * 3000
    analysis = restaurant.analyze(text)
    assert analysis.sentiment.label == "positive"
    assert analysis.theme_names == ("food",)


def test_sentiment_long_unbroken_runs_return_valid_result(restaurant: Analyzer) -> None:
    text = "Bad food" + "!" * 5000 + " then " + "x" * 20_000 + " rude waiter"
    analysis = restaurant.analyze(text)
    assert analysis.sentiment.label == "negative"
    assert analysis.theme_names == ("food",)  # "rude waiter" lies beyond the 5,000-char cut


def test_sentiment_idioms_are_rewritten_before_scoring() -> None:
    assert score("The tuna is to die for.").label == "positive"
    assert score("The decor leaves a lot to be desired.").label == "negative"
    assert score("The new editor is out of this world").label == "positive"
    assert rewrite_idioms("Food-awesome.") == "Food awesome."
    assert rewrite_idioms("a top-notch, well-made app") == "a top-notch, well made app"  # known word kept
    assert compound_of("Food-awesome.") > 0.5


def test_sentiment_idiom_rewrite_is_the_full_scan_whatever_the_case() -> None:
    """Texts are scanned for idioms only when they hold one of the idioms' words: every idiom,
    in any case and with either separator, must still be rewritten as by the full scan."""
    samples = [
        "to die for", "out of this world", "out-of-this-world", "second to none",
        "leaves a lot to be desired", "left much to be desired", "hit or miss", "hit-or-miss",
        "never again", "a must try", "must-have", "go-to", "over priced", "over-priced", "so so",
        "so-so", "hats off",
    ]  # fmt: skip
    full = sentiment._IDIOM_RE
    for sample in samples:
        for text in (f"The place: {sample}!", f"THE PLACE: {sample.upper()}!", sample.title()):
            assert full.search(text), text
            expected = sentiment._HYPHENATED.sub(
                sentiment._split_hyphens, full.sub(sentiment._idiom_word, text)
            )
            assert rewrite_idioms(text) == expected, text
    long_s = "hat\u017f off"  # no ASCII hint, yet the case-insensitive scan matches "hats off"
    assert full.search(long_s)
    assert rewrite_idioms(long_s) == full.sub(sentiment._idiom_word, long_s) != long_s


def test_sentiment_lukewarm_ok_is_neutral() -> None:
    assert score("The service was okay.").label == "neutral"


def _cue(text: str) -> float:
    return cue_valence(get_nlp()(text))


def test_sentiment_structural_cues() -> None:
    assert _cue("The room was too loud.") < 0
    assert _cue("The bill was never too large.") == 0  # negated "too" and no negated action
    assert _cue("Support never called us back.") < 0
    assert _cue("I do not know the price.") == 0  # a neutral verb, negated
    assert _cue("The dashboard does not load.") < 0
    assert _cue("It is not good.") == 0  # VADER negates "good" itself
    assert _cue("You can't beat the price.") > 0
    assert _cue("It took them 40 minutes to answer.") < 0
    assert _cue("It only took a few minutes to set up.") == 0
    assert _cue("Try the lamb.") > 0
    assert _cue("Try to make exports faster.") == 0
    assert _cue("The onboarding could have been better.") < 0
    assert _cue("It could not have been better.") == 0


def test_sentiment_cues_change_labels(restaurant: Analyzer) -> None:
    assert restaurant.analyze("The waiter never came back.").theme("service").sentiment.label == "negative"
    assert restaurant.analyze("The service could have been better.").sentiment.label == "negative"
    assert restaurant.analyze("Try the lamb.").theme("food").sentiment.label == "positive"


def test_sentiment_dependency_scope_keeps_the_mentions_predicate() -> None:
    doc = get_nlp()("The food was great and the service was slow.")
    food = next(t for t in doc if t.text == "food")
    service = next(t for t in doc if t.text == "service")
    assert [t.text for t in dependency_scope(food, 0, len(doc))] == ["The", "food", "was", "great"]
    assert "great" not in [t.text for t in dependency_scope(service, 0, len(doc))]
    assert "slow" in [t.text for t in dependency_scope(service, 0, len(doc))]
