"""How common a word is in everyday English: the background emerging phrases are ranked against.

The list (``nlp/data/english_frequency.tsv.gz``, built by ``bench/make_english_frequency.py``
from wordfreq's English data, CC BY-SA 4.0) gives the 40,000 most frequent words with their
Zipf frequency, log10 of occurrences per billion words. A word not on the list is rarer than
every word on it and gets the list's floor.

A phrase is at most as frequent as its rarest word, so :func:`phrase_probability` takes that
word's probability: an upper bound on the phrase's own frequency, which makes the lift computed
from it (observed rate / background rate) a lower bound, never an exaggeration.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "english_frequency.tsv.gz"
PER_BILLION = 1e9


@cache
def zipf_table() -> tuple[dict[str, float], float]:
    """word -> Zipf frequency, and the floor for a word not on the list (the list's lowest)."""
    table: dict[str, float] = {}
    with gzip.open(DATA, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            word, _, zipf = line.rstrip("\n").partition("\t")
            table[word] = float(zipf)
    return table, min(table.values())


# Lemmas whose everyday form is another word: spaCy reads "data" as the lemma "datum".
_SURFACE = {"datum": "data", "medium": "media", "criterion": "criteria", "phenomenon": "phenomena"}


def zipf(word: str) -> float:
    """The Zipf frequency of ``word``'s most frequent form we can name (itself, its plural in -s
    or -es, or its usual surface form), so a lemma never looks rarer than the word people write."""
    table, floor = zipf_table()
    word = word.lower()
    forms = (word, f"{word}s", f"{word}es", _SURFACE.get(word, word))
    return max(table.get(form, floor) for form in forms)


def phrase_probability(phrase: str) -> float:
    """Probability per running word of English of the phrase's rarest word (see module doc)."""
    words = phrase.split()
    if not words:
        raise ValueError("empty phrase")
    return 10 ** min(zipf(w) for w in words) / PER_BILLION
