"""A parsed comment's token attributes as plain lists, read once per doc.

The rules of :mod:`nlp.sentiment`, :mod:`nlp.intent` and :mod:`nlp.phrases` look at the same few
attributes of every token several times (once per scope, per sentence, per theme), and each
``doc[i]`` or ``token.lemma_`` builds a spaCy ``Token`` and looks a string up again: that was
most of the analyser's own time. :func:`table` reads the attributes of all tokens in one
``Doc.to_array`` call and keeps them on the doc, so a rule can index lists of strings instead and
build a ``Token`` only where a rule's anchor word is found. The strings are exactly what the
``Token`` properties return (``lower_``, ``lemma_``, ``pos_``, ``tag_``, ``dep_``, ``is_space``,
``is_stop``, ``is_alpha``, and ``len(token.text)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc

_KEY = "voc.token_table"
# Hash -> string, shared by all docs: a dict look-up is cheaper than the string store's. Bounded
# like a cache (spaCy's own vocabulary grows with every unseen word as well).
_STRINGS: dict[int, str] = {}
_MAX_STRINGS = 200_000
_ATTRS: list[int] = []  # filled on first use: importing spaCy costs every process start-up


class TokenTable:
    """Per-token attributes of one doc, by token index."""

    __slots__ = (
        "text",
        "lower",
        "lemma",
        "lemma_lower",
        "pos",
        "tag",
        "dep",
        "is_space",
        "is_stop",
        "is_alpha",
        "length",
    )

    def __init__(self, doc: Doc, text: str | None = None) -> None:
        if not _ATTRS:
            from spacy.attrs import DEP, IS_ALPHA, IS_SPACE, IS_STOP, LEMMA, LENGTH, LOWER, POS, TAG

            _ATTRS.extend([LOWER, LEMMA, POS, TAG, DEP, IS_SPACE, IS_STOP, IS_ALPHA, LENGTH])
        strings = doc.vocab.strings
        # Doc.text joins every token's text on each read; the caller may pass the string it
        # parsed, which is the same (spaCy's tokenizer keeps every character).
        self.text = doc.text if text is None else text
        if len(_STRINGS) > _MAX_STRINGS:
            _STRINGS.clear()
        columns = doc.to_array(_ATTRS).T.tolist() if len(doc) else [[] for _ in _ATTRS]
        decoded = []
        for column in columns[:5]:
            out = list(map(_STRINGS.get, column))
            if None in out:  # a word (or lemma, tag, label) not seen before
                for at, key in enumerate(column):
                    if out[at] is None:
                        out[at] = _STRINGS[key] = strings[key]
            decoded.append(out)
        self.lower, self.lemma, self.pos, self.tag, self.dep = decoded
        self.lemma_lower = [lemma.lower() for lemma in self.lemma]
        self.is_space, self.is_stop, self.is_alpha = (list(map(bool, column)) for column in columns[5:8])
        self.length = columns[8]


def table(doc: Doc, text: str | None = None) -> TokenTable:
    """The doc's :class:`TokenTable`, read on first use and kept on the doc; ``text``, if given,
    is the string ``doc`` was parsed from."""
    found = doc.user_data.get(_KEY)
    if found is None:
        found = doc.user_data[_KEY] = TokenTable(doc, text)
    return found
