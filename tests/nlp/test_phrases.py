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


def _analyses(phrase_lists: list[list[str]]) -> list[Analysis]:
    return [
        Analysis.from_dict({"sentiment": {"label": "neutral", "compound": 0.0}, "noun_phrases": phrases})
        for phrases in phrase_lists
    ]


def _zipf_from_file(word: str) -> float:
    import gzip

    from nlp.background import DATA

    with gzip.open(DATA, "rt") as lines:
        for line in lines:
            if line.startswith(word + "\t"):
                return float(line.split("\t")[1])
    raise AssertionError(word)


def test_emerging_ranks_distinctive_phrases_above_everyday_words_and_states_the_lift() -> None:
    from scipy import stats

    # "hour" in ten comments, "widget" in four: by count "hour" led; against everyday English,
    # where "hour" is about 80 times as common as "widget", the widget leads.
    phrase_lists = [["hour"]] * 10 + [["widget"]] * 4 + [["team", "hour"]] * 3
    texts = ["one two three four five six seven eight nine ten"] * len(phrase_lists)  # 170 words
    found = emerging_phrases(texts, _analyses(phrase_lists), (), min_count=3)
    assert [p.phrase for p in found] == ["widget", "hour", "team"]
    widget = found[0]
    # Independently: the lower one-sided 90% Poisson bound of 4 leaves 10% above 4...
    low = widget.lift * 170 * 10 ** _zipf_from_file("widget") / 1e9
    assert abs(stats.poisson.sf(3, low) - 0.10) < 1e-6
    # ...and the background rate is the word's Zipf frequency per billion words.
    assert widget.to_dict()["lift"] == round(widget.lift, 1) and widget.lift > found[1].lift


def test_emerging_groups_variants_under_the_better_ranked_phrase() -> None:
    phrase_lists = [["weather widget"]] * 4 + [["widget"]] * 6 + [["widget", "home screen"]] * 3
    found = emerging_phrases(["a b c"] * len(phrase_lists), _analyses(phrase_lists), (), min_count=3)
    by_phrase = {p.phrase: p for p in found}
    assert set(by_phrase) == {"widget", "home screen"}
    assert by_phrase["widget"].variants == (("weather widget", 4),)
    assert by_phrase["widget"].to_dict()["variants"] == [{"phrase": "weather widget", "count": 4}]
    assert by_phrase["widget"].count == 9
