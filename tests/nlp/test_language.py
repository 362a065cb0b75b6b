"""Tests for nlp.language and what the analyser does with a comment not in English."""

from __future__ import annotations

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from nlp.analyzer import Analyzer
from nlp.language import detect


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Le service est nul, je suis très déçu.", "fr"),
        ("Das ist wirklich schlecht, ich bin enttäuscht.", "de"),
        ("El servicio fue muy malo y nunca llegó mi pedido.", "es"),
        ("Il prodotto non funziona, sono molto deluso.", "it"),
        ("O produto não chegou e o suporte é péssimo.", "pt"),
        ("De app werkt niet en de support is slecht.", "nl"),
        ("Очень плохо", "ru"),
        ("とても悪い", "ja"),
        # English, also with foreign words in it, short or lower-case; no letters: undetermined.
        ("The cafe au lait was great", "en"),
        ("I went to the Casa de la Musica", "en"),
        ("Great!", "en"),
        ("gud app but it crashes alot", "en"),
        ("10/10 😀", "und"),
        # Plain ASCII takes a shortcut past the per-character script scan: same answers.
        ("10/10 !!!", "und"),
        ("", "und"),
        ("Naïve café, great food", "en"),
        ("x", "en"),
    ],
)
def test_language_detect(text: str, language: str) -> None:
    assert detect(text) == language


def test_language_foreign_comment_gets_no_english_sentiment(saas: Analyzer) -> None:
    # VADER alone reads this mostly negative French comment as positive ("super" is a word it knows).
    text = "Le support est nul, je suis très déçu. Super lent. Slack ne marche pas."
    assert SentimentIntensityAnalyzer().polarity_scores(text)["compound"] > 0.5
    analysis = saas.analyze(text)
    assert analysis.language == "fr"
    assert (analysis.sentiment.label, analysis.sentiment.compound) == ("neutral", 0.0)
    assert analysis.intent == "other" and analysis.cues == () and analysis.noun_phrases == ()
    # Keywords written the same in any language still tag their themes, with evidence.
    slack = analysis.theme("integrations")
    assert slack is not None and slack.sentiment.label == "neutral"
    assert [e.text for e in slack.evidence] == ["Slack"]
    assert analysis.to_dict()["language"] == "fr"


def test_language_english_comment_is_analysed_as_before(saas: Analyzer) -> None:
    analysis = saas.analyze("Support was great.")
    assert analysis.language == "en" and analysis.sentiment.label == "positive"
