"""Geometry of the roadmap outcome's interval chart: each group's change after shipping as a dot
with its 95% interval, on one axis centred on zero (no change), so a PM sees at a glance whether
the linked customers' interval clears zero while the comparison group's straddles it."""

import math
from dataclasses import dataclass

# Drawn in a 600-wide box: labels on the left, the axis from PLOT_LEFT to PLOT_RIGHT.
WIDTH = 600
PLOT_LEFT, PLOT_RIGHT = 130.0, 590.0
ROW = 28


@dataclass(frozen=True)
class Interval:
    label: str
    low: float
    high: float
    dot: float
    significant: bool
    text: str


@dataclass(frozen=True)
class IntervalChart:
    zero: float
    bound: float
    rows: list[Interval]
    height: int
    left: float = PLOT_LEFT
    right: float = PLOT_RIGHT


def intervals(groups: list[tuple[str, dict]]) -> IntervalChart | None:
    """``groups``: (label, change) pairs as :func:`surveys.roadmap.outcome.outcome` gives them;
    those without an interval are left out. None when none has one."""
    usable = [(label, c) for label, c in groups if c.get("ci95") and c.get("difference") is not None]
    if not usable:
        return None
    extent = max(max(abs(c["ci95"][0]), abs(c["ci95"][1])) for _label, c in usable) or 1.0
    magnitude = 10 ** math.floor(math.log10(extent))
    bound = math.ceil(extent / magnitude) * magnitude

    middle, half = (PLOT_LEFT + PLOT_RIGHT) / 2, (PLOT_RIGHT - PLOT_LEFT) / 2

    def x(value: float) -> float:
        return round(middle + value / bound * half, 2)

    rows = [
        Interval(
            label=label,
            low=x(c["ci95"][0]),
            high=x(c["ci95"][1]),
            dot=x(c["difference"]),
            significant=bool(c["significant"]),
            text=(
                f"{label}: {c['difference']:+.1f} "
                f"(95% CI {c['ci95'][0]:+.1f} to {c['ci95'][1]:+.1f}), {c['verdict']}"
            ),
        )
        for label, c in usable
    ]
    return IntervalChart(zero=x(0.0), bound=bound, rows=rows, height=12 + ROW * len(rows))
