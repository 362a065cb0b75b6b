"""Tests for nlp.learning: negative contexts from removed themes, proposed phrases for added
ones, and a taxonomy that carries them."""

from __future__ import annotations

import pytest

from nlp.analyzer import Analyzer
from nlp.learning import apply_rules, common_phrases, exclusion_context, is_excluded, propose_phrase
from nlp.taxonomy import Taxonomy, Theme, load_taxonomy


def _span(text: str, word: str) -> tuple[int, int]:
    start = text.index(word)
    return start, start + len(word)


def test_learning_context_keeps_the_trigger_and_its_neighbours() -> None:
    text = "The Slack channel is noisy. Slack integration works."
    assert exclusion_context(text, *_span(text, "Slack")) == "slack channel"
    # Nothing beside the trigger in its sentence: no lesson (it would undo the keyword everywhere).
    assert exclusion_context("Slack!", 0, 5) is None


@pytest.mark.parametrize(
    ("text", "word", "excluded"),
    [
        ("Our Slack channels are noisy.", "Slack", True),  # inflection and other words around
        ("Slack integration broke.", "Slack", False),
        ("Slack. Channel.", "Slack", False),  # the context must be in the same sentence
    ],
)
def test_learning_is_excluded(text: str, word: str, excluded: bool) -> None:
    assert is_excluded(text, *_span(text, word), ["slack channel"]) is excluded


def test_learning_analyzer_drops_a_mention_in_a_learned_negative_context() -> None:
    taxonomy = apply_rules(
        load_taxonomy("saas"), {"reporting": ["dashboard"]}, {"integrations": ["slack channel"]}
    )
    analyzer = Analyzer(taxonomy)
    assert analyzer.analyze("Our Slack channel is noisy.").theme("integrations") is None
    assert analyzer.analyze("The Slack integration broke.").theme("integrations") is not None
    assert analyzer.analyze("The dashboard is empty.").theme("reporting") is not None  # learned keyword
    assert "dashboard" in taxonomy.to_dict()["themes"][12]["keywords"]


def test_learning_taxonomy_round_trips_excludes_and_rejects_bad_ones() -> None:
    taxonomy = Taxonomy("t", (Theme("support", ("agent",), excludes=("travel agent",)),))
    again = Taxonomy.from_dicts("t", taxonomy.to_dict()["themes"])
    assert again.themes == taxonomy.themes
    with pytest.raises(ValueError, match="excludes"):
        Taxonomy.from_dicts("t", [{"name": "x", "keywords": [], "excludes": "travel agent"}])


def test_learning_proposes_the_first_specific_uncovered_phrase() -> None:
    phrases = ("place", "pad thai", "price")
    comments = [("place",), ("place", "price"), ("place",), ("pad thai",)]
    common = common_phrases(comments, max_share=0.5, min_comments=4)
    assert common == {"place"}
    assert common_phrases(comments, max_share=0.5) == frozenset()  # too few comments to tell
    assert propose_phrase(phrases, covered_terms={"price"}, common=common) == "pad thai"
    assert propose_phrase(("price",), covered_terms={"price"}) is None
