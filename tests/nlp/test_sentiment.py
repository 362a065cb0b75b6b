"""Tests for nlp.sentiment: thresholds, sanitising and bounded cost on pathological input."""

from __future__ import annotations

from nlp.analyzer import Analyzer
from nlp.pipeline import get_nlp
from nlp.results import LABELS
from nlp.sentiment import clause_bounds, label_for, sanitize, score


def test_sentiment_label_uses_vader_thresholds() -> None:
    assert label_for(0.05) == "positive"
    assert label_for(0.0499) == "neutral"
    assert label_for(-0.05) == "negative"


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
