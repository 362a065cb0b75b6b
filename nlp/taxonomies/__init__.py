"""Built-in taxonomies as plain data, keyed by the name ``load_taxonomy`` accepts.

Each value is a list of theme mappings (``name``, ``keywords``, ``description``, ``parent``) in the
same shape as a taxonomy JSON file, so workspaces can start from a copy and edit it. Keywords are
matched case-insensitively on the surface form and on lemmas, so list base forms ("bill" also
finds "billed" and "bills"); multi-word phrases are fine.

:data:`PLACE_DESCRIPTIONS` adds, per built-in taxonomy, themes found from grammar rather than
keywords: ``{theme: {"nouns": [...], "adjectives": [...]}}``, where one of the adjectives said of
one of the nouns ("the place is cute", "a cosy little restaurant") signals the theme.
"""

from __future__ import annotations

from typing import Any

from nlp.taxonomies.app_reviews import THEMES as APP_REVIEWS
from nlp.taxonomies.restaurant import PLACE_DESCRIPTIONS as RESTAURANT_PLACE
from nlp.taxonomies.restaurant import THEMES as RESTAURANT
from nlp.taxonomies.saas import THEMES as SAAS

BUILTIN: dict[str, list[dict[str, Any]]] = {
    "saas": SAAS,
    "restaurant": RESTAURANT,
    "app-reviews": APP_REVIEWS,
}

PLACE_DESCRIPTIONS: dict[str, dict[str, dict[str, list[str]]]] = {"restaurant": RESTAURANT_PLACE}
