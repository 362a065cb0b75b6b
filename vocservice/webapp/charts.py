"""Geometry for the dashboard's inline SVG charts, computed here so templates only place
numbers into attributes (no inline styles or scripts, which the CSP forbids anyway).
"""

import math
from dataclasses import dataclass

# Score scales per survey kind: NPS in points, CSAT in percent satisfied, CES a 1..7 mean.
SCALES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}


def fmt(kind: str, value: float | None) -> str:
    if value is None:
        return "–"
    if kind == "ces":
        return f"{value:.2f}"
    if kind == "nps":
        text = f"{value:+.0f}"
        return "0" if text in ("+0", "-0") else text
    return f"{value:.0f}%"


def _nice_domain(kind: str, values: list[float]) -> tuple[float, float, float]:
    """A domain that covers ``values`` on round numbers, and the tick step (at most 6 ticks)."""
    low, high = SCALES[kind]
    if not values:
        values = [low, high]
    steps = (0.25, 0.5, 1.0) if kind == "ces" else (5.0, 10.0, 20.0, 25.0, 50.0)
    for step in steps:
        lo = max(low, math.floor(min(values) / step) * step)
        hi = min(high, math.ceil(max(values) / step) * step)
        if hi == lo:
            hi = min(high, lo + step) if lo + step <= high else hi
            lo = hi - step
        if (hi - lo) / step <= 5:
            return lo, hi, step
    return low, high, (high - low) / 4


@dataclass
class TrendChart:
    width: int
    height: int
    line: str
    band: str
    # (x, y, tooltip, css class): "dot", or "dot muted" for a period with fewer than 30 answers
    # or still partial, whose score says little; those also get a whisker (x, y of lo, y of hi).
    dots: list[tuple[float, float, str, str]]
    whiskers: list[tuple[float, float, float]]
    yticks: list[tuple[float, str]]
    xticks: list[tuple[float, str]]
    left: int
    right: int
    zero: float | None


def trend(points: list[dict], kind: str, *, width: int = 720, height: int = 240) -> TrendChart | None:
    """``points``: ``{"label", "score", "ci95": [lo, hi], "small", "partial"}`` in time order.

    Periods with a small sample or still under way are drawn muted, with their interval as a
    whisker, off the line and the band: the line never ends in a fall that one answer made."""
    points = [p for p in points if p.get("score") is not None]
    if not points:
        return None
    left, right, top, bottom = 44, 12, 12, 28
    values = [p["score"] for p in points]
    values += [v for p in points for v in (p.get("ci95") or ()) if v is not None]
    lo, hi, step = _nice_domain(kind, values)

    def x(i: int) -> float:
        span = width - left - right
        return left + (span * i / (len(points) - 1) if len(points) > 1 else span / 2)

    def y(v: float) -> float:
        v = min(max(v, lo), hi)
        return round(top + (height - top - bottom) * (hi - v) / (hi - lo), 1)

    solid = [i for i, p in enumerate(points) if not (p.get("small") or p.get("partial"))]
    line = " ".join(
        f"{'M' if n == 0 else 'L'}{x(i):.1f},{y(points[i]['score'])}" for n, i in enumerate(solid)
    )
    upper = [(x(i), y((points[i].get("ci95") or [points[i]["score"]] * 2)[1])) for i in solid]
    lower = [(x(i), y((points[i].get("ci95") or [points[i]["score"]] * 2)[0])) for i in solid]
    band = ("M" + " L".join(f"{a:.1f},{b}" for a, b in upper + lower[::-1]) + " Z") if upper else ""
    yticks = [(y(lo + step * k), fmt(kind, lo + step * k)) for k in range(int(round((hi - lo) / step)) + 1)]
    every = max(1, math.ceil(len(points) / 6))
    xticks = [(x(i), p["label"]) for i, p in enumerate(points) if i % every == 0]
    dots, whiskers = [], []
    for i, p in enumerate(points):
        muted = i not in solid
        notes = [f"n={p.get('responses')}"]
        if p.get("small"):
            notes.append("small sample")
        if p.get("partial"):
            notes.append("period not complete")
        text = f"{p['label']}: {fmt(kind, p['score'])} ({', '.join(notes)})"
        dots.append((x(i), y(p["score"]), text, "dot muted" if muted else "dot"))
        if muted and p.get("ci95"):
            whiskers.append((x(i), y(p["ci95"][0]), y(p["ci95"][1])))
    zero = y(0) if kind == "nps" and lo < 0 < hi else None
    return TrendChart(width, height, line, band, dots, whiskers, yticks, xticks, left, width - right, zero)


@dataclass
class Bar:
    label: str
    value: float | None
    text: str
    x: float
    w: float
    lo_x: float | None
    hi_x: float | None
    negative: bool
    responses: int
    small: bool


def bars(groups: list[dict], kind: str, *, width: float = 100.0) -> tuple[list[Bar], float]:
    """Horizontal bars on a ``width``-wide axis; returns them and the x of the zero line."""
    low, high = SCALES[kind]
    origin = 0.0 if kind == "nps" else low

    def x(v: float) -> float:
        return round(width * (min(max(v, low), high) - low) / (high - low), 2)

    out = []
    for g in groups:
        value = g.get("score")
        ci = g.get("ci95") or [None, None]
        if value is None:
            out.append(
                Bar(g["label"], None, "–", x(origin), 0, None, None, False, g.get("responses", 0), True)
            )
            continue
        start, end = sorted((x(origin), x(value)))
        out.append(
            Bar(
                g["label"],
                value,
                fmt(kind, value),
                start,
                max(end - start, 0.4),
                x(ci[0]) if ci[0] is not None else None,
                x(ci[1]) if ci[1] is not None else None,
                value < origin,
                g.get("responses", 0),
                bool(g.get("small")),
            )
        )
    return out, x(origin)
