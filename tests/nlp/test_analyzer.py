"""Tests for nlp.analyzer: matching, evidence offsets, clause-scoped sentiment, output shape and
the analyser version that output is stored under."""

from __future__ import annotations

import re

import pytest

from nlp.analyzer import ANALYZER_VERSION, Analyzer, defuse, truncate
from nlp.taxonomy import Taxonomy, Theme


def test_analyzer_evidence_offsets_point_into_original_text(restaurant: Analyzer) -> None:
    text = "  The WAITER was rude,\n\tbut the Sushi was delicious! Prices: fair."
    analysis = restaurant.analyze(text)
    assert set(analysis.theme_names) == {"service", "food", "price"}
    for hit in analysis.themes:
        for evidence in hit.evidence:
            assert text[evidence.start : evidence.end] == evidence.text
    assert [e.text for e in analysis.theme("service").evidence] == ["WAITER", "rude"]


def test_analyzer_lemma_matching_finds_inflections(saas: Analyzer) -> None:
    for text in ("We were billed twice.", "The bills are wrong.", "Billing is a mess."):
        hit = saas.analyze(text).theme("billing")
        assert hit is not None, text


def test_analyzer_inflected_keyword_matches_only_as_written() -> None:
    taxonomy = Taxonomy("t", (Theme("seating", ("seating",)),))
    analyzer = Analyzer(taxonomy)
    assert analyzer.analyze("Outdoor seating is lovely").theme_names == ("seating",)
    assert analyzer.analyze("We were seated quickly").theme_names == ()


def test_analyzer_contrast_scopes_theme_sentiment(restaurant: Analyzer) -> None:
    analysis = restaurant.analyze("great food but slow service")
    assert analysis.theme("food").sentiment.label == "positive"
    assert analysis.theme("service").sentiment.label == "negative"


def test_analyzer_although_clause_is_its_own_scope(restaurant: Analyzer) -> None:
    analysis = restaurant.analyze("Although the food was good, the service was terrible.")
    assert analysis.theme("food").sentiment.label == "positive"
    assert analysis.theme("service").sentiment.label == "negative"


def test_analyzer_shared_clause_is_scoped_by_dependency(restaurant: Analyzer) -> None:
    analysis = restaurant.analyze("The pasta was good and the waiter was rude.")
    assert analysis.theme("food").sentiment.label == "positive"
    assert analysis.theme("service").sentiment.label == "negative"


def test_analyzer_parenthetical_however_does_not_split(restaurant: Analyzer) -> None:
    analysis = restaurant.analyze("The service, however, was great.")
    assert analysis.theme("service").sentiment.label == "positive"


def test_analyzer_longest_overlapping_match_wins() -> None:
    taxonomy = Taxonomy("t", (Theme("support", ("service",)), Theme("pricing", ("service charge",))))
    analysis = Analyzer(taxonomy).analyze("The service charge was outrageous.")
    assert analysis.theme_names == ("pricing",)


def test_analyzer_to_dict_has_the_cli_shape(restaurant: Analyzer) -> None:
    data = restaurant.analyze("Lovely decor.").to_dict()
    assert set(data) >= {"sentiment", "themes"}
    assert set(data["sentiment"]) == {"label", "compound"}
    (theme,) = data["themes"]
    # DESIGN.md section 3's keys, extended (never changed) by what the mention wants and why.
    assert set(theme) == {"name", "sentiment", "evidence", "intent", "cues"}
    assert theme["intent"] == "praise" and theme["cues"] == []
    assert theme["name"] == "ambience"
    assert theme["evidence"] == [{"text": "decor", "start": 7, "end": 12}]


def test_analyzer_analyze_many_keeps_order_and_handles_empty(restaurant: Analyzer) -> None:
    texts = ["The pizza was awful.", "", "Friendly staff!", "   "]
    results = restaurant.analyze_many(texts, batch_size=2)
    assert [r.theme_names for r in results] == [("food",), (), ("service",), ()]
    assert results[1].sentiment.label == "neutral"
    assert results[0].sentiment.label == "negative"


def test_analyzer_rejects_non_string(restaurant: Analyzer) -> None:
    with pytest.raises(TypeError):
        restaurant.analyze_many(["ok", None])  # type: ignore[list-item]


def test_analyzer_truncation_keeps_offsets_valid() -> None:
    analyzer = Analyzer("restaurant", max_chars=60)
    text = "The food was good. " * 20
    analysis = analyzer.analyze(text)
    evidence = analysis.theme("food").evidence
    assert all(e.end <= 60 and text[e.start : e.end] == e.text for e in evidence)
    assert len(evidence) == 3


def test_analyzer_truncate_prefers_word_boundary() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("word " * 100, 52)
    assert len(cut) <= 52 and not cut.endswith("wor")


# What each ANALYZER_VERSION outputs for fixed comments. Stored analyses are keyed by (response,
# analyzer_version) and only the current version's rows are read, so output that changes without
# a version bump would leave stale analyses looking current. When this test fails because the
# output changed on purpose, bump ANALYZER_VERSION and record the new version's output here.
VERSIONED_OUTPUT = {
    "1.1.0": {
        "restaurant": {
            "sentiment": {"label": "negative", "compound": -0.4404},
            "themes": [
                {
                    "name": "food",
                    "sentiment": {"label": "positive", "compound": 0.6249},
                    "evidence": [{"text": "food", "start": 6, "end": 10}],
                },
                {
                    "name": "service",
                    "sentiment": {"label": "negative", "compound": -0.3612},
                    "evidence": [{"text": "service", "start": 20, "end": 27}],
                },
                {
                    "name": "price",
                    "sentiment": {"label": "negative", "compound": -0.2023},
                    "evidence": [{"text": "prices", "start": 37, "end": 43}],
                },
            ],
            "noun_phrases": ["great food", "slow service", "price"],
        },
        "saas": {
            "sentiment": {"label": "positive", "compound": 0.6705},
            "themes": [
                {
                    "name": "billing",
                    "sentiment": {"label": "negative", "compound": -0.2263},
                    "evidence": [{"text": "Billing", "start": 0, "end": 7}],
                },
                {
                    "name": "usability",
                    "sentiment": {"label": "negative", "compound": -0.2263},
                    "evidence": [{"text": "confusing", "start": 11, "end": 20}],
                },
                {
                    "name": "performance",
                    "sentiment": {"label": "positive", "compound": 0.7506},
                    "evidence": [{"text": "quick", "start": 43, "end": 48}],
                },
                {
                    "name": "support",
                    "sentiment": {"label": "positive", "compound": 0.7506},
                    "evidence": [{"text": "support", "start": 31, "end": 38}],
                },
            ],
            "noun_phrases": ["billing", "support"],
        },
    },
    # 1.2.0: factual-complaint cues, intent per comment and mention, "support" no longer praise,
    # the comment's language.
    "1.2.0": {
        "restaurant": {
            "sentiment": {"label": "negative", "compound": -0.4404},
            "themes": [
                {
                    "name": "food",
                    "sentiment": {"label": "positive", "compound": 0.6249},
                    "evidence": [{"text": "food", "start": 6, "end": 10}],
                    "intent": "praise",
                    "cues": [],
                },
                {
                    "name": "service",
                    "sentiment": {"label": "negative", "compound": -0.3612},
                    "evidence": [{"text": "service", "start": 20, "end": 27}],
                    "intent": "complaint",
                    "cues": [],
                },
                {
                    "name": "price",
                    "sentiment": {"label": "negative", "compound": -0.2023},
                    "evidence": [{"text": "prices", "start": 37, "end": 43}],
                    "intent": "complaint",
                    "cues": [],
                },
            ],
            "noun_phrases": ["great food", "slow service", "price"],
            "intent": "complaint",
            "cues": [],
            "language": "en",
        },
        "saas": {
            "sentiment": {"label": "positive", "compound": 0.4215},
            "themes": [
                {
                    "name": "billing",
                    "sentiment": {"label": "negative", "compound": -0.2263},
                    "evidence": [{"text": "Billing", "start": 0, "end": 7}],
                    "intent": "complaint",
                    "cues": [],
                },
                {
                    "name": "usability",
                    "sentiment": {"label": "negative", "compound": -0.2263},
                    "evidence": [{"text": "confusing", "start": 11, "end": 20}],
                    "intent": "complaint",
                    "cues": [],
                },
                {
                    "name": "performance",
                    "sentiment": {"label": "positive", "compound": 0.5719},
                    "evidence": [{"text": "quick", "start": 43, "end": 48}],
                    "intent": "praise",
                    "cues": [],
                },
                {
                    "name": "support",
                    "sentiment": {"label": "positive", "compound": 0.5719},
                    "evidence": [{"text": "support", "start": 31, "end": 38}],
                    "intent": "praise",
                    "cues": [],
                },
            ],
            "noun_phrases": ["billing", "support"],
            "intent": "praise",
            "cues": [],
            "language": "en",
        },
    },
}
# 1.3.0: wider vocabularies, place descriptions, keywords per language; these two comments read
# as they did in 1.2.0 (the changes show on the dev data, tests below and bench/eval_nlp.py).
VERSIONED_OUTPUT["1.3.0"] = VERSIONED_OUTPUT["1.2.0"]
VERSIONED_INPUT = {
    "restaurant": "Great food but slow service, and the prices are steep.",
    "saas": "Billing is confusing, although support was quick to help.",
}


def test_analyzer_version_is_semver_that_fits_its_column() -> None:
    from surveys.analysis.models import Analysis as StoredAnalysis

    assert re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)", ANALYZER_VERSION), ANALYZER_VERSION
    # Stored on every analysis row: a longer version would fail every insert.
    assert len(ANALYZER_VERSION) <= StoredAnalysis.__table__.c.analyzer_version.type.length


def test_analyzer_version_changes_when_output_changes(restaurant: Analyzer, saas: Analyzer) -> None:
    assert ANALYZER_VERSION in VERSIONED_OUTPUT, (
        f"record the output of ANALYZER_VERSION {ANALYZER_VERSION} in VERSIONED_OUTPUT"
    )
    analyzers = {"restaurant": restaurant, "saas": saas}
    output = {name: analyzers[name].analyze(text).to_dict() for name, text in VERSIONED_INPUT.items()}
    assert output == VERSIONED_OUTPUT[ANALYZER_VERSION], (
        f"the analyser's output changed but ANALYZER_VERSION is still {ANALYZER_VERSION}: bump it"
    )


def test_analyzer_defuse_preserves_length_and_short_words() -> None:
    text = "ok " + "x" * 100 + " fine"
    cleaned = defuse(text)
    assert len(cleaned) == len(text)
    assert cleaned.startswith("ok " + "x" * 64 + " ") and cleaned.endswith(" fine")


def test_analyzer_evidence_after_defused_run_quotes_original(restaurant: Analyzer) -> None:
    text = "Wow" + "!" * 200 + " the waiter was great"
    hit = restaurant.analyze(text).theme("service")
    (evidence,) = hit.evidence
    assert text[evidence.start : evidence.end] == evidence.text == "waiter"


def _themes(analyzer: Analyzer, text: str) -> dict[str, list[str]]:
    return {h.name: [e.text for e in h.evidence] for h in analyzer.analyze(text).themes}


def test_analyzer_keyword_matches_plurals_spacy_would_not_lemmatise_alone(restaurant: Analyzer) -> None:
    # Alone, spaCy reads "dumpling" as the verb "dumple": the keyword is taken as its own lemma.
    assert _themes(restaurant, "The fried dumplings are GREAT!") == {"food": ["dumplings"]}
    # An inflected keyword still matches only itself: "seating" does not find every "seat".
    assert "ambience" not in _themes(restaurant, "Please seat us now.")


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("The place is cute and cozy.", ["cute", "cozy"]),
        ("It's a small, dark restaurant.", ["small", "dark"]),
        ("The room was cramped.", ["cramped"]),
    ],
)
def test_analyzer_describing_the_place_is_ambience(
    restaurant: Analyzer, text: str, evidence: list[str]
) -> None:
    assert _themes(restaurant, text)["ambience"] == evidence


@pytest.mark.parametrize(
    "text",
    ["A great place, we will be back.", "The food was small and cold.", "Our waiter was cool."],
)
def test_analyzer_praise_or_other_subjects_are_not_ambience(restaurant: Analyzer, text: str) -> None:
    assert "ambience" not in _themes(restaurant, text)


def test_analyzer_keyword_naming_the_kind_of_place_is_not_the_theme(restaurant: Analyzer) -> None:
    assert _themes(restaurant, "We went to a sushi restaurant in midtown.") == {"overall": ["restaurant"]}
    assert _themes(restaurant, "The sushi was fresh.") == {"food": ["sushi", "fresh"]}


@pytest.mark.parametrize(
    ("text", "theme", "evidence"),
    [
        ("It took them 25 minutes to bring our check.", "service", "minutes"),
        ("Tasty, and it didn't break the bank.", "price", "break the bank"),
        ("The decor is tacky but the patio is lovely.", "ambience", "patio"),
        ("I had the best ravioli ever.", "food", "ravioli"),
    ],
)
def test_analyzer_restaurant_vocabulary(restaurant: Analyzer, text: str, theme: str, evidence: str) -> None:
    assert evidence in _themes(restaurant, text)[theme]


@pytest.mark.parametrize(
    "text", ["The dinner was fine.", "Of course we came back.", "Our reservation was at 8."]
)
def test_analyzer_occasions_and_idioms_are_no_theme(restaurant: Analyzer, text: str) -> None:
    assert set(_themes(restaurant, text)) <= {"overall"}


@pytest.mark.parametrize(
    ("text", "themes"),
    [
        ("very difficult to use", {"usability"}),
        ("the pop up ads are annoying", {"usability"}),
        ("very slow to load", {"performance"}),
        ("it would be great if you could add a dark mode", {"feature"}),
        # Praise of ease or speed is generic praise, as in CLAP, not a usability or speed report.
        ("easy to use and fast", {"overall"}),
        # Energy is the app's own power use, not a battery gauge it shows.
        ("fun game but it kills your battery", {"energy", "overall"}),
        ("shows the battery level and the weather", set()),
    ],
)
def test_analyzer_app_review_themes(app_reviews: Analyzer, text: str, themes: set[str]) -> None:
    assert set(_themes(app_reviews, text)) == themes


def test_analyzer_learned_exclude_applies_to_place_descriptions() -> None:
    from nlp.learning import exclusion_context
    from nlp.taxonomies import BUILTIN

    removed = "The tea room was small."
    context = exclusion_context(removed, removed.index("small"), len(removed) - 1)
    themes = [{**t, "excludes": [context]} if t["name"] == "ambience" else t for t in BUILTIN["restaurant"]]
    taught = Analyzer(Taxonomy.from_dicts("restaurant", themes))
    assert "ambience" in _themes(taught, "The dining room was cramped.")
    assert "ambience" not in _themes(taught, removed)
