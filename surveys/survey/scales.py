"""The answer scales of each survey kind (NPS 0-10, CSAT 1-5, CES 1-7): validating a score and
naming its category (promoter, passive, detractor; satisfied, neutral, dissatisfied; easy,
neutral, difficult).
"""

from surveys.core.errors import Invalid

SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def validate_score(kind: str, score: object) -> int:
    """Return ``score`` if it is an integer on the kind's scale, else raise Invalid."""
    low, high = SCALES[kind]
    # bool is an int subclass; True must not sneak in as 1.
    if not isinstance(score, int) or isinstance(score, bool):
        raise Invalid("The score must be a whole number.", errors={"score": ["not an integer"]})
    if not low <= score <= high:
        raise Invalid(
            f"A {kind.upper()} score is between {low} and {high}.",
            errors={"score": [f"must be between {low} and {high}"]},
        )
    return score


def category(kind: str, score: int | None) -> str | None:
    if score is None:
        return None
    if kind == "nps":
        return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    if kind == "csat":
        return "satisfied" if score >= 4 else "neutral" if score == 3 else "dissatisfied"
    if kind == "ces":
        return "easy" if score >= 5 else "neutral" if score == 4 else "difficult"
    return None


# The unhappy end of each scale: NPS 0-6, CSAT 1-2, CES 1-3 (hard to get done).
DETRACTOR_LEVEL = frozenset({"detractor", "dissatisfied", "difficult"})


def is_detractor_level(kind: str, score: int | None) -> bool:
    return category(kind, score) in DETRACTOR_LEVEL
