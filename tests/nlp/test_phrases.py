"""Tests for nlp.phrases: noun-phrase extraction and emerging-theme discovery."""

from __future__ import annotations

from nlp.analyzer import Analyzer
from nlp.phrases import emerging_phrases
from nlp.results import Analysis


def test_phrases_noun_phrases_are_lemmatised_without_determiners(saas: Analyzer) -> None:
    analysis = saas.analyze("The dark modes are missing and my calendar views are broken.")
    assert "dark mode" in analysis.noun_phrases
    assert "calendar view" in analysis.noun_phrases
    assert not any(p.startswith(("the ", "my ")) for p in analysis.noun_phrases)


def test_phrases_emerging_excludes_covered_keywords(saas: Analyzer) -> None:
    texts = [
        "The calendar view keeps dropping events, and the invoice is late.",
        "Please fix the calendar view; our invoice total is wrong.",
        "Calendar view broke again. The invoice page is fine.",
        "I love the dark theme.",
        "The dark theme is nice.",
    ]
    analyses = saas.analyze_many(texts)
    found = emerging_phrases(texts, analyses, saas.covered_terms, min_count=2)
    phrases = {p.phrase: p for p in found}
    assert phrases["calendar view"].count == 3
    assert not any("invoice" in p for p in phrases)  # "invoice" is a billing keyword
    assert phrases["dark theme"].count == 2
    assert phrases["dark theme"].examples == tuple(texts[3:5])
    top = found[0]
    assert top.count == 3 and len(top.examples) == 3


def test_phrases_emerging_respects_min_count() -> None:
    analyses = [
        Analysis.from_dict({"sentiment": {"label": "neutral", "compound": 0.0}, "noun_phrases": ["widget"]})
    ]
    assert emerging_phrases(["w"], analyses, (), min_count=2) == []
    assert [p.phrase for p in emerging_phrases(["w"], analyses, (), min_count=1)] == ["widget"]
