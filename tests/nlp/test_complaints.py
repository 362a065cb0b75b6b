"""Tests for nlp.complaints: negative events stated without sentiment words, quoted as cues."""

from __future__ import annotations

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from nlp.analyzer import Analyzer
from nlp.pipeline import get_nlp
from nlp.sentiment import cue_list

# (comment, kind of the cue, the words quoted as evidence)
FACTUAL = [
    ("My bag never arrived.", "not_received", "never arrived"),
    ("I waited 3 hours on hold.", "wait", "on hold"),
    ("They charged me twice.", "money", "charged me twice"),
    ("Still no refund after six weeks.", "unmet_expectation", "no refund"),
    ("This is not what I ordered.", "unmet_expectation", "not what I ordered"),
    ("Nobody answered my emails.", "not_received", "Nobody answered"),
    ("They took my money and cancelled the order.", "money", "took my money"),
    ("The app logs me out every time.", "failure", "logs me out"),
    ("I was put on hold and then the call dropped.", "failure", "call dropped"),
    ("Had to call four times to get it fixed.", "repeat_contact", "Had to call four times"),
    ("it freezes on the loading screen", "failure", "freezes"),
]


@pytest.mark.parametrize(("text", "kind", "quoted"), FACTUAL)
def test_complaints_factual_event_is_negative_with_its_cue(
    saas: Analyzer, text: str, kind: str, quoted: str
) -> None:
    plain = SentimentIntensityAnalyzer().polarity_scores(text)["compound"]
    analysis = saas.analyze(text)
    assert analysis.sentiment.label == "negative", (text, analysis.sentiment)
    assert analysis.sentiment.compound < plain  # more negative than VADER alone says
    assert (kind, quoted) in {(c.kind, c.text) for c in analysis.cues}
    for cue in analysis.cues:
        assert text[cue.start : cue.end] == cue.text
    assert analysis.intent == "complaint"


def test_complaints_theme_sentiment_carries_the_cue(saas: Analyzer) -> None:
    analysis = saas.analyze("The export is great, but support never replied to my ticket.")
    support = analysis.theme("support")
    assert support is not None and support.sentiment.label == "negative"
    assert [(c.kind, c.text) for c in support.cues] == [("not_received", "never replied")]


@pytest.mark.parametrize(
    "text",
    ["The food was great.", "Support resolved my issue in minutes.", "No problems at all, it just works."],
)
def test_complaints_explicit_praise_stays_positive(saas: Analyzer, text: str) -> None:
    analysis = saas.analyze(text)
    assert analysis.sentiment.label == "positive"
    assert analysis.cues == ()


def test_complaints_no_cue_in_a_neutral_fact() -> None:
    doc = get_nlp()("The order arrived on Tuesday and I paid by card.")
    assert cue_list(doc) == []
