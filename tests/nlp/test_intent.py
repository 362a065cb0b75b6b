"""Tests for nlp.intent: praise, complaint, request or question, per comment and per mention."""

from __future__ import annotations

import pytest

from nlp.analyzer import Analyzer


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Would love a Slack integration.", "request"),
        ("Please add dark mode.", "request"),
        # "Can you add" opening the comment asks too (it read as a mere question before).
        ("Can you add a dark mode?", "request"),
        ("Hi, can you add a dark mode?", "request"),
        ("Can I add a second user?", "question"),
        ("You should add an option to export to PDF.", "request"),
        ("It would be nice if reports could be scheduled.", "request"),
        ("I miss the offline mode feature.", "request"),
        ("How do I export my data?", "question"),
        ("Is there a way to change the invoice address?", "question"),
        ("Great app, love it!", "praise"),
        ("The app crashes every time I open it.", "complaint"),
        ("Love it, but it freezes sometimes.", "complaint"),
        ("Please fix the login bug.", "complaint"),
        ("I logged in on Tuesday.", "other"),
        # Not requests: a recommendation, a statement of what one can do, a past wish.
        ("You can get a table most nights.", "other"),
        ("Try the curry.", "praise"),
    ],
)
def test_intent_of_comment(saas: Analyzer, text: str, intent: str) -> None:
    assert saas.analyze(text).intent == intent


def test_intent_request_is_not_positive_sentiment(saas: Analyzer) -> None:
    analysis = saas.analyze("Would love a Slack integration.")
    assert analysis.sentiment.label == "neutral"
    hit = analysis.theme("integrations")
    assert hit is not None and hit.intent == "request" and hit.sentiment.label == "neutral"


def test_intent_request_keeps_a_complaint_negative(saas: Analyzer) -> None:
    analysis = saas.analyze("The export is useless. Please add a proper CSV export.")
    assert analysis.intent == "request"
    assert analysis.sentiment.label == "negative"


def test_intent_per_theme_mention(saas: Analyzer) -> None:
    analysis = saas.analyze("Support was wonderful. Would love a Salesforce integration though.")
    assert analysis.theme("support").intent == "praise"
    assert analysis.theme("integrations").intent == "request"
    assert analysis.theme("support").sentiment.label == "positive"
