"""Tests for nlp.learning: negative contexts from removed themes, proposed phrases for added
ones, and a taxonomy that carries them."""

from __future__ import annotations

import pytest

from nlp.analyzer import Analyzer
from nlp.learning import (
    apply_rules,
    common_phrases,
    covered_words,
    exclusion_context,
    exclusion_holds,
    in_context,
    is_excluded,
    keyword_candidates,
    keyword_holds,
    mentions,
    propose_keyword,
    stems,
    trigger_context,
    word_stats,
)
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


def test_learning_common_phrases_need_enough_comments() -> None:
    comments = [("place",), ("place", "price"), ("place",), ("pad thai",)]
    common = common_phrases(comments, max_share=0.5, min_comments=4)
    assert common == {"place"}
    assert common_phrases(comments, max_share=0.5) == frozenset()  # too few comments to tell
    assert keyword_candidates(("place", "pad thai", "price"), covered_words(["price"]), common) == [
        "pad",
        "thai",
    ]


def test_learning_keyword_learned_as_a_lemma_finds_its_inflections() -> None:
    taxonomy = apply_rules(load_taxonomy("restaurant"), {"service": ["valet"]}, {})
    analyzer = Analyzer(taxonomy)
    hit = analyzer.analyze("The valets came by twice.").theme("service")
    assert hit is not None and [e.text for e in hit.evidence] == ["valets"]  # quoted words
    assert Analyzer(load_taxonomy("restaurant")).analyze("The valets came by twice.").theme("service") is None


def test_learning_pair_context_applies_to_a_new_comment_with_the_pair_only() -> None:
    taught = "The app is fast and easy."
    start = taught.index("fast")
    assert trigger_context(taught, start, start + 4) == "fast"
    pair = exclusion_context(taught, start, start + 4)
    assert pair == "app fast easy"
    new = "Really fast, the app."  # the same words around the trigger, another comment, other order
    assert is_excluded(new, new.index("fast"), new.index("fast") + 4, ["app fast"])
    unrelated = "Battery drains fast when syncing."
    assert not is_excluded(unrelated, unrelated.index("fast"), unrelated.index("fast") + 4, ["app fast"])
    # A context must share a word with the mention itself, not only sit beside it.
    text = "The app is fast but the sync is slow."
    assert not is_excluded(text, text.index("slow"), text.index("slow") + 4, ["app fast"])
    assert in_context(new, [(new.index("fast"), new.index("fast") + 4)], "fast")
    assert mentions(new, "app fast") and not mentions(unrelated, "app fast")
    analyzer = Analyzer(apply_rules(load_taxonomy("app-reviews"), {}, {"performance": ["fast"]}))
    assert analyzer.analyze("So fast now!").theme("performance") is None
    assert analyzer.analyze("So slow now!").theme("performance") is not None


@pytest.mark.parametrize(
    ("removed", "kept", "matched", "holds"),
    [
        (2, 0, 3, True),  # taught twice, a fair share of what it changes, never kept
        (1, 0, 0, False),  # taught once
        (2, 1, 3, False),  # the analysts kept the theme with it in an answer they corrected
        (2, 0, 12, False),  # 2 of 14 answers: most answers it would change were not corrected
        (14, 1, 20, True),  # kept once against 14 removals
    ],
)
def test_learning_exclusion_holds(removed: int, kept: int, matched: int, holds: bool) -> None:
    assert exclusion_holds(removed, kept, matched, learn_after=2) is holds


def test_learning_proposes_the_lemma_most_specific_to_the_theme() -> None:
    covered = covered_words(["service", "waiters"])
    assert "waiter" in covered and "service" in covered
    phrases = ("great place", "rude waiter", "cheerful busboy")
    candidates = keyword_candidates(phrases, covered, common={"place"})
    assert candidates == ["great", "rude", "cheerful", "busboy"]
    corpus = [
        ({"busboy"}, {"service"}),
        ({"busboy", "great"}, {"service"}),
        ({"great"}, {"food"}),
        ({"great"}, {"food"}),
        ({"rude"}, {"food"}),
        ({"cheerful"}, set()),
    ]
    assert propose_keyword(candidates, "service", corpus) == "busboy"
    assert propose_keyword([], "service", corpus) is None
    assert word_stats("busboy", "service", corpus) == (2, 2)
    assert not keyword_holds(2, 2, 2, learn_after=2)  # too few answers with the word to judge
    assert keyword_holds(2, 2, 3, learn_after=2) and not keyword_holds(2, 1, 3, learn_after=2)
    assert not keyword_holds(1, 3, 3, learn_after=2)


def test_learning_stems_prefilter_every_inflection() -> None:
    assert stems("battery courier") == ["batter", "courier"]
    assert all(
        stem in word
        for stem, word in zip(stems("battery make serv"), ("batteries", "making", "served"), strict=True)
    )
