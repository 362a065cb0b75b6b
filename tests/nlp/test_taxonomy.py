"""Tests for nlp.taxonomy: built-ins, JSON files, dict rows and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.analyzer import Analyzer
from nlp.taxonomy import Taxonomy, builtin_names, load_taxonomy


def test_taxonomy_builtins_have_the_contract_theme_names() -> None:
    assert set(builtin_names()) >= {"saas", "restaurant", "app-reviews"}
    # DESIGN.md's theme names, then "overall" for generic praise or blame (issue 13).
    assert load_taxonomy("restaurant").theme_names == ("food", "service", "price", "ambience", "overall")
    assert load_taxonomy("app-reviews").theme_names == (
        "bug",
        "feature",
        "performance",
        "usability",
        "energy",
        "security",
        "overall",
    )
    saas = load_taxonomy()
    assert saas.name == "saas" and {"pricing", "billing", "support"} <= set(saas.theme_names)
    assert all(theme.keywords for theme in saas.themes)
    assert "overall" in saas.theme_names


@pytest.mark.parametrize(
    ("taxonomy", "text"),
    [
        ("saas", "Great features, love the app."),
        ("app-reviews", "love the app"),
        ("restaurant", "Lovely place, we will be back."),
    ],
)
def test_taxonomy_generic_praise_finds_a_theme(taxonomy: str, text: str) -> None:
    hit = Analyzer(taxonomy).analyze(text).theme("overall")
    assert hit is not None and hit.sentiment.label == "positive"


def test_taxonomy_mixed_comment_gets_its_positive_side_too() -> None:
    analysis = Analyzer("saas").analyze("Love the app, but billing is a mess.")
    assert analysis.theme("overall").sentiment.label == "positive"
    assert analysis.theme("billing").sentiment.label == "negative"


def test_taxonomy_load_reads_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(
        json.dumps(
            {
                "name": "mine",
                "themes": [{"name": "speed", "keywords": ["slow", " fast  lane "], "parent": None}],
            }
        )
    )
    taxonomy = load_taxonomy(str(path))
    assert taxonomy.name == "mine"
    assert taxonomy.themes[0].keywords == ("slow", "fast lane")


def test_taxonomy_load_unknown_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown taxonomy 'nope'.*saas"):
        load_taxonomy("nope")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a"]', "'themes' list"),
        ('{"themes": [{"keywords": ["x"]}]}', "'name' must be a non-empty string"),
        ('{"themes": [{"name": "a", "keywords": "x"}]}', "list of strings"),
        ('{"themes": [{"name": "a", "keywords": [1]}]}', "is not a string"),
        ('{"themes": [{"name": "a"}, {"name": "a"}]}', "duplicate theme name"),
    ],
)
def test_taxonomy_load_bad_file_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_taxonomy(path)


def test_taxonomy_load_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        load_taxonomy(tmp_path / "missing.json")


def test_taxonomy_from_dicts_builds_from_rows() -> None:
    rows = [
        {"name": "Billing", "keywords": ["invoice"], "description": "d", "parent": None},
        {"name": "Refunds", "keywords": ["refund"], "parent": "Billing"},
    ]
    taxonomy = Taxonomy.from_dicts("workspace", rows)
    assert taxonomy.theme_names == ("Billing", "Refunds")
    assert taxonomy.themes[1].parent == "Billing"
    assert Taxonomy.from_dicts("copy", taxonomy.to_dict()["themes"]).themes == taxonomy.themes


def test_taxonomy_generic_theme_words_do_not_hide_emerging_phrases() -> None:
    analyzer = Analyzer("saas")
    assert "app" not in analyzer.covered_terms and "invoice" in analyzer.covered_terms
