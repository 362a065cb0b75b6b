"""Tests for nlp.taxonomy: built-ins, JSON files, dict rows and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.taxonomy import Taxonomy, builtin_names, load_taxonomy


def test_taxonomy_builtins_have_the_contract_theme_names() -> None:
    assert set(builtin_names()) >= {"saas", "restaurant", "app-reviews"}
    assert load_taxonomy("restaurant").theme_names == ("food", "service", "price", "ambience")
    assert load_taxonomy("app-reviews").theme_names == (
        "bug",
        "feature",
        "performance",
        "usability",
        "energy",
        "security",
    )
    saas = load_taxonomy()
    assert saas.name == "saas" and {"pricing", "billing", "support"} <= set(saas.theme_names)
    assert all(theme.keywords for theme in saas.themes)


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
