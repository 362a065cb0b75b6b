"""What counts for one link in the impact figures, shared by the raw computation
(:mod:`surveys.roadmap.impact`) and the rollups that keep it (:mod:`surveys.roadmap.rollups`):
which answers are detractors, which are negative for an item, and what a revenue value is worth.
"""

from sqlalchemy import case, select

from surveys.analysis.models import Analysis, ResponseTheme
from surveys.core.values import as_number
from surveys.roadmap.models import RoadmapItemTheme, RoadmapLink

NEGATIVE_CATEGORIES = {"detractor", "dissatisfied", "difficult"}


def negative_flag():
    def item_theme(*extra):
        return (
            select(1)
            .select_from(ResponseTheme)
            .join(RoadmapItemTheme, RoadmapItemTheme.theme_id == ResponseTheme.theme_id)
            .where(
                ResponseTheme.response_id == RoadmapLink.response_id,
                RoadmapItemTheme.item_id == RoadmapLink.item_id,
                *extra,
            )
            .exists()
        )

    return case(
        (item_theme(), case((item_theme(ResponseTheme.sentiment_label == "negative"), 1), else_=0)),
        (Analysis.sentiment_label == "negative", 1),
        else_=0,
    )


def revenue_number(value) -> float:
    """A revenue value as a number; anything else counts 0, never an error: a bool, a nested
    object, a non-numeric string, NaN, or a number beyond ±(2**53 - 1) stored before
    :mod:`surveys.core.values` refused them (a 400-digit integer would overflow a float)."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 40:  # no revenue figure is that long; float() of it would be slow or inf
            return 0.0
        try:
            value = float(text)
        except ValueError:
            return 0.0
    return as_number(value) or 0.0
