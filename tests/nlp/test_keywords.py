"""Tests for nlp.keywords: roadmap keywords that forgive inflection and word order."""

from __future__ import annotations

import pytest

from nlp.keywords import KeywordMatcher


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("export", "Exporting takes forever"),
        ("export", "the exports are empty"),
        ("exports", "I cannot export"),
        ("reply", "nobody replied"),
        ("manage", "managing seats is hard"),
        ("ship", "it never shipped"),
        ("csv export", "Exporting to CSV times out"),
        ("csv export", "a CSV file export"),
        ("SSO", "our sso fails"),
        ("c++", "we use C++"),
    ],
)
def test_keywords_match_inflections_and_any_order(keyword: str, text: str) -> None:
    assert KeywordMatcher([keyword]).find(text), (keyword, text)


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("export", "exporter tools"),  # a different word, not an inflection
        ("sso", "a lasso"),  # whole words only
        ("csv export", "CSV is fine. Export is slow."),  # different sentences
        ("csv export", "csv files are what we use every day to export"),  # too far apart
    ],
)
def test_keywords_do_not_match_other_words_or_distant_ones(keyword: str, text: str) -> None:
    assert not KeywordMatcher([keyword]).find(text), (keyword, text)


def test_keywords_evidence_points_into_the_text() -> None:
    text = "Well. Exporting to CSV takes forever."
    [found] = KeywordMatcher(["csv export"]).find(text)
    assert found.keyword == "csv export"
    assert sorted(found.words, key=lambda w: w[1]) == [("Exporting", 6, 15), ("CSV", 19, 22)]
    assert all(text[start:end] == word for word, start, end in found.words)


def test_keywords_stems_are_contained_in_every_match() -> None:
    matcher = KeywordMatcher(["Replies", "manage seats", "csv export"])
    assert matcher.stems() == ["csv", "manag", "repl"]
    for text in ("nobody replied", "Managing seats", "exporting CSV"):
        assert any(stem in text.lower() for stem in matcher.stems())
    assert not KeywordMatcher([" ", ""])
