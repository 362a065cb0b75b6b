"""Pure text analysis for vocservice: themes, per-theme sentiment and emerging phrases.

No Flask, database or Redis here: text in, frozen dataclasses out. Typical use::

    from nlp import Analyzer, warm_up
    warm_up()                                   # once per process, before forking
    analysis = Analyzer("saas").analyze("Billing is confusing but support was great")
    analysis.to_dict()                          # the DESIGN.md section 3 JSON shape

Heavy modules (spaCy, VADER) load lazily, so importing this package is cheap.
"""

from __future__ import annotations

from nlp.analyzer import ANALYZER_VERSION, Analyzer
from nlp.phrases import EmergingPhrase, emerging_phrases
from nlp.pipeline import get_nlp, get_vader, warm_up
from nlp.results import Analysis, Evidence, Sentiment, ThemeHit
from nlp.taxonomy import Taxonomy, Theme, builtin_names, load_taxonomy

__all__ = [
    "ANALYZER_VERSION",
    "Analysis",
    "Analyzer",
    "EmergingPhrase",
    "Evidence",
    "Sentiment",
    "Taxonomy",
    "Theme",
    "ThemeHit",
    "builtin_names",
    "emerging_phrases",
    "get_nlp",
    "get_vader",
    "load_taxonomy",
    "warm_up",
]
