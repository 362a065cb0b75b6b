"""The immutable results of analysing one comment, and their JSON shape.

:class:`Analysis` holds the overall :class:`Sentiment`, one :class:`ThemeHit` per matched theme
(with its own clause-scoped sentiment and the quoted :class:`Evidence`, as character offsets into
the original text) and the comment's recurring-phrase candidates. ``to_dict`` produces exactly the
shape of DESIGN.md section 3 (plus ``noun_phrases``); ``from_dict`` reverses it so stored analyses
can be read back, e.g. for emerging-phrase discovery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

POSITIVE = "positive"
NEUTRAL = "neutral"
NEGATIVE = "negative"
LABELS = (POSITIVE, NEUTRAL, NEGATIVE)


@dataclass(frozen=True)
class Sentiment:
    """A label (positive|neutral|negative) and VADER's compound score in [-1, 1]."""

    label: str
    compound: float

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "compound": self.compound}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Sentiment:
        return cls(str(data["label"]), float(data["compound"]))


@dataclass(frozen=True)
class Evidence:
    """The quoted words: ``text == original[start:end]`` (character offsets)."""

    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(str(data["text"]), int(data["start"]), int(data["end"]))


@dataclass(frozen=True)
class ThemeHit:
    """One theme found in a comment, with the sentiment of the clauses that mention it."""

    name: str
    sentiment: Sentiment
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sentiment": self.sentiment.to_dict(),
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ThemeHit:
        return cls(
            str(data["name"]),
            Sentiment.from_dict(data["sentiment"]),
            tuple(Evidence.from_dict(e) for e in data.get("evidence", ())),
        )


@dataclass(frozen=True)
class Analysis:
    """Everything the analyser says about one comment."""

    sentiment: Sentiment
    themes: tuple[ThemeHit, ...]
    noun_phrases: tuple[str, ...] = ()

    @property
    def theme_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.themes)

    def theme(self, name: str) -> ThemeHit | None:
        return next((t for t in self.themes if t.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentiment": self.sentiment.to_dict(),
            "themes": [t.to_dict() for t in self.themes],
            "noun_phrases": list(self.noun_phrases),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Analysis:
        return cls(
            Sentiment.from_dict(data["sentiment"]),
            tuple(ThemeHit.from_dict(t) for t in data.get("themes", ())),
            tuple(str(p) for p in data.get("noun_phrases", ())),
        )
