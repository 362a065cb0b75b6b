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
# Intents (see nlp.intent); stored analyses made before intents existed read back as OTHER.
PRAISE = "praise"
COMPLAINT = "complaint"
REQUEST = "request"
QUESTION = "question"
OTHER = "other"
INTENTS = (PRAISE, COMPLAINT, REQUEST, QUESTION, OTHER)


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
class Cue:
    """Why a sentiment leans as it does when no sentiment word says so: the kind of structure
    found (``failure``, ``wait``, ``money``, ``not_received``, ``unmet_expectation``, ...; see
    :mod:`nlp.complaints` and :mod:`nlp.sentiment`) and the quoted words, as character offsets."""

    kind: str
    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cue:
        return cls(str(data["kind"]), str(data["text"]), int(data["start"]), int(data["end"]))


@dataclass(frozen=True)
class ThemeHit:
    """One theme found in a comment, with the sentiment of the clauses that mention it, what the
    mention wants (``intent``: praise|complaint|request|question|other) and the cues behind a
    sentiment no word states."""

    name: str
    sentiment: Sentiment
    evidence: tuple[Evidence, ...]
    intent: str = OTHER
    cues: tuple[Cue, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sentiment": self.sentiment.to_dict(),
            "evidence": [e.to_dict() for e in self.evidence],
            "intent": self.intent,
            "cues": [c.to_dict() for c in self.cues],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ThemeHit:
        return cls(
            str(data["name"]),
            Sentiment.from_dict(data["sentiment"]),
            tuple(Evidence.from_dict(e) for e in data.get("evidence", ())),
            str(data.get("intent") or OTHER),
            tuple(Cue.from_dict(c) for c in data.get("cues", ())),
        )


@dataclass(frozen=True)
class Analysis:
    """Everything the analyser says about one comment."""

    sentiment: Sentiment
    themes: tuple[ThemeHit, ...]
    noun_phrases: tuple[str, ...] = ()
    intent: str = OTHER
    cues: tuple[Cue, ...] = ()
    # ISO 639-1 code (nlp.language); only English ("en", or "und" without letters) gets sentiment.
    language: str = "en"

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
            "intent": self.intent,
            "cues": [c.to_dict() for c in self.cues],
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Analysis:
        return cls(
            Sentiment.from_dict(data["sentiment"]),
            tuple(ThemeHit.from_dict(t) for t in data.get("themes", ())),
            tuple(str(p) for p in data.get("noun_phrases", ())),
            str(data.get("intent") or OTHER),
            tuple(Cue.from_dict(c) for c in data.get("cues", ())),
            str(data.get("language") or "en"),
        )
