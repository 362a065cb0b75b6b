"""Built-in taxonomies as plain data, keyed by the name ``load_taxonomy`` accepts.

Each value is a list of theme mappings (``name``, ``keywords``, ``description``, ``parent``) in the
same shape as a taxonomy JSON file, so workspaces can start from a copy and edit it. Keywords are
matched case-insensitively on the surface form and on lemmas, so list base forms ("bill" also
finds "billed" and "bills"); multi-word phrases are fine. The main themes also carry
``keywords_by_language`` (French, German and Spanish, from :mod:`nlp.taxonomies.languages`) for
comments in those languages.

:data:`PLACE_DESCRIPTIONS` adds, per built-in taxonomy, themes found from grammar rather than
keywords: ``{theme: {"nouns": [...], "adjectives": [...]}}``, where one of the adjectives said of
one of the nouns ("the place is cute", "a cosy little restaurant") signals the theme.
"""

from __future__ import annotations

from typing import Any

from nlp.taxonomies.app_reviews import THEMES as APP_REVIEWS
from nlp.taxonomies.languages import KEYWORDS_BY_LANGUAGE
from nlp.taxonomies.restaurant import PLACE_DESCRIPTIONS as RESTAURANT_PLACE
from nlp.taxonomies.restaurant import THEMES as RESTAURANT
from nlp.taxonomies.saas import THEMES as SAAS


def _with_languages(name: str, themes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_theme = KEYWORDS_BY_LANGUAGE.get(name, {})
    return [
        {**theme, "keywords_by_language": by_theme[theme["name"]]} if theme["name"] in by_theme else theme
        for theme in themes
    ]


BUILTIN: dict[str, list[dict[str, Any]]] = {
    "saas": _with_languages("saas", SAAS),
    "restaurant": _with_languages("restaurant", RESTAURANT),
    "app-reviews": _with_languages("app-reviews", APP_REVIEWS),
}

PLACE_DESCRIPTIONS: dict[str, dict[str, dict[str, list[str]]]] = {"restaurant": RESTAURANT_PLACE}
