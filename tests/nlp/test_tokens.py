"""Tests for nlp.tokens: the token table holds exactly what the spaCy Token properties return."""

from __future__ import annotations

from nlp import sentiment
from nlp.pipeline import get_nlp
from nlp.tokens import table

TEXTS = [
    "The waiter never came back, and we waited 40 minutes!!  Would love a Slack integration.",
    "  Can you add dark mode?\n\nPlease fix the bug; it crashes. Café crème, naïve 😀 10/10 ",
    "No one called us. Unable to log in — charged twice?? too loud but the food was to die for",
    "",
]


def test_token_table_matches_token_properties() -> None:
    for doc in get_nlp().pipe(TEXTS):
        tokens = table(doc)
        assert tokens.text == doc.text
        assert tokens.lower == [t.lower_ for t in doc]
        assert tokens.lemma == [t.lemma_ for t in doc]
        assert tokens.lemma_lower == [t.lemma_.lower() for t in doc]
        assert tokens.pos == [t.pos_ for t in doc]
        assert tokens.tag == [t.tag_ for t in doc]
        assert tokens.dep == [t.dep_ for t in doc]
        assert tokens.is_space == [t.is_space for t in doc]
        assert tokens.is_stop == [t.is_stop for t in doc]
        assert tokens.is_alpha == [t.is_alpha for t in doc]
        assert tokens.length == [len(t.text) for t in doc]
        assert table(doc) is tokens  # read once per doc


def test_cues_found_once_per_token_are_those_of_every_scope() -> None:
    """DocScores takes a scope's cues from the per-token ones: the same list, in the same order,
    as the plain pass over the scope's tokens, for the doc, each sentence and each clause."""
    for doc in get_nlp().pipe(TEXTS):
        per_token = sentiment.token_cues(doc)
        assert [c for c in per_token if c is not None] == sentiment.cue_list(doc)
        for sent in doc.sents:
            for start, end in [(sent.start, sent.end), *sentiment.clause_bounds(sent)]:
                expected = sentiment.cue_list(doc[start:end])
                assert [c for c in per_token[start:end] if c is not None] == expected


def test_noun_chunks_from_the_table_are_spacys() -> None:
    """noun_phrases reads chunk bounds with the English iterator's rules on the token table:
    the same chunks as ``doc.noun_chunks``, coordinated ones ("the pasta and the wine") too."""
    from nlp.phrases import _chunk_bounds, _english_chunks

    texts = [*TEXTS, "We loved the pasta, the wine and the small terrace by the river.", "Me and him."]
    found = 0
    for doc in get_nlp().pipe(texts):
        expected = [(chunk.start, chunk.end) for chunk in doc.noun_chunks]
        assert _english_chunks(doc) == expected
        assert _chunk_bounds(doc) == expected
        found += len(expected)
    assert found > 10
