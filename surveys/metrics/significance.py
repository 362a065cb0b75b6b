"""Is a change in a score real? One test per score kind, on two periods' rolled-up counts.

- NPS: the difference of two NPS values is the difference of two means of a variable scored
  +1 (promoter), 0 (passive), -1 (detractor); each NPS has variance
  ``(p_pro + p_det - (p_pro - p_det)^2) / n``, the two periods are independent, so the
  difference has the sum of the variances and a z test applies (normal beyond 30 answers each).
- CSAT: a two-proportion z test (pooled proportion for the test, unpooled for the interval).
- CES: Welch's t test on the two means (unequal variances), from the counts per score value.

Every comparison states the test, the difference, its 95% interval and the p-value, and refuses
to call a change when either period has fewer answers than ``min_sample`` (``enough`` is false and
``reason`` says why), so a chart or an alert never cries wolf on a handful of answers.
"""

import math
from dataclasses import asdict, dataclass

from surveys.metrics.rollups import Bucket

MIN_SAMPLE = 30


def _stats():
    """scipy.stats, imported on first use: importing it costs every process (web, worker, CLI)
    about half a second of start-up, and most never compare two periods."""
    from scipy import stats

    return stats


TESTS = {
    "nps": "z test on the difference of two NPS values",
    "csat": "two-proportion z test",
    "ces": "Welch's t test",
}
_TOP = {"nps": (9, 10), "csat": (4, 5), "ces": (5, 7)}
_BOTTOM = {"nps": (0, 6), "csat": (1, 2), "ces": (1, 3)}


@dataclass(frozen=True)
class Comparison:
    kind: str
    test: str
    current: float | None
    previous: float | None
    difference: float | None
    ci95: tuple[float, float] | None
    p_value: float | None
    n_current: int
    n_previous: int
    alpha: float
    min_sample: int
    enough: bool
    significant: bool
    reason: str | None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["ci95"] = list(self.ci95) if self.ci95 else None
        return data


def _share(bucket: Bucket, bounds: tuple[int, int]) -> int:
    return sum(bucket.counts[bounds[0] : bounds[1] + 1])


def _moments(bucket: Bucket) -> tuple[float, float]:
    """Mean and sample variance of the scores counted in ``bucket`` (n >= 2 for the variance)."""
    n = bucket.n
    mean = sum(value * count for value, count in enumerate(bucket.counts)) / n
    if n < 2:
        return mean, 0.0
    squares = sum((value - mean) ** 2 * count for value, count in enumerate(bucket.counts))
    return mean, squares / (n - 1)


def _normal(difference: float, se: float) -> tuple[tuple[float, float], float]:
    z95 = _stats().norm.ppf(0.975)
    if se == 0:
        return (difference, difference), (1.0 if difference == 0 else 0.0)
    p_value = 2 * _stats().norm.sf(abs(difference) / se)
    return (difference - z95 * se, difference + z95 * se), float(p_value)


def _nps(current: Bucket, previous: Bucket):
    def figures(bucket: Bucket) -> tuple[float, float]:
        p_pro = _share(bucket, _TOP["nps"]) / bucket.n
        p_det = _share(bucket, _BOTTOM["nps"]) / bucket.n
        variance = max(p_pro + p_det - (p_pro - p_det) ** 2, 0.0) / bucket.n
        return 100 * (p_pro - p_det), variance

    now, var_now = figures(current)
    before, var_before = figures(previous)
    (low, high), p_value = _normal(now - before, 100 * math.sqrt(var_now + var_before))
    return now, before, (low, high), p_value


def _csat(current: Bucket, previous: Bucket):
    n1, n2 = current.n, previous.n
    x1, x2 = _share(current, _TOP["csat"]), _share(previous, _TOP["csat"])
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se_test = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    difference = p1 - p2
    if se_test == 0:
        p_value = 1.0 if difference == 0 else 0.0
    else:
        p_value = float(2 * _stats().norm.sf(abs(difference) / se_test))
    (low, high), _ = _normal(difference, math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2))
    return 100 * p1, 100 * p2, (100 * low, 100 * high), p_value


def _ces(current: Bucket, previous: Bucket):
    (m1, v1), (m2, v2) = _moments(current), _moments(previous)
    n1, n2 = current.n, previous.n
    difference = m1 - m2
    a, b = v1 / n1, v2 / n2
    se = math.sqrt(a + b)
    if se == 0:
        return m1, m2, (difference, difference), (1.0 if difference == 0 else 0.0)
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))  # Welch-Satterthwaite
    t = difference / se
    p_value = float(2 * _stats().t.sf(abs(t), df))
    half = float(_stats().t.ppf(0.975, df)) * se
    return m1, m2, (difference - half, difference + half), p_value


_COMPUTE = {"nps": _nps, "csat": _csat, "ces": _ces}


def compare(
    kind: str,
    current: Bucket,
    previous: Bucket,
    *,
    alpha: float = 0.05,
    min_sample: int = MIN_SAMPLE,
) -> Comparison:
    """Compare ``current`` with ``previous`` (two independent periods' answers) for ``kind``.

    ``significant`` is true only when both periods hold ``min_sample`` answers and the p-value is
    below ``alpha``; with fewer, the figures are still given (when they can be computed) and
    ``reason`` says what is missing.
    """
    if kind not in _COMPUTE:
        raise ValueError(f"unknown score kind {kind!r}")
    n1, n2 = current.n, previous.n
    reason = None
    if min(n1, n2) < min_sample:
        smaller = "this period" if n1 <= n2 else "the previous period"
        reason = f"too few answers to conclude: {smaller} has {min(n1, n2)}, each needs at least {min_sample}"
    current_score = previous_score = difference = p_value = None
    interval = None
    computable = n1 >= 1 and n2 >= 1 and (kind != "ces" or (n1 >= 2 and n2 >= 2))
    if computable:
        current_score, previous_score, interval, p_value = _COMPUTE[kind](current, previous)
        difference = current_score - previous_score
    else:
        current_score, previous_score = _score(kind, current), _score(kind, previous)
    enough = reason is None
    return Comparison(
        kind=kind,
        test=TESTS[kind],
        current=_round(current_score),
        previous=_round(previous_score),
        difference=_round(difference),
        ci95=(round(interval[0], 2), round(interval[1], 2)) if interval else None,
        p_value=None if p_value is None else round(p_value, 6),
        n_current=n1,
        n_previous=n2,
        alpha=alpha,
        min_sample=min_sample,
        enough=enough,
        significant=bool(enough and p_value is not None and p_value < alpha),
        reason=reason,
    )


def _score(kind: str, bucket: Bucket) -> float | None:
    if not bucket.n:
        return None
    if kind == "ces":
        return _moments(bucket)[0]
    top, bottom = _share(bucket, _TOP[kind]), _share(bucket, _BOTTOM[kind])
    return 100 * (top - bottom) / bucket.n if kind == "nps" else 100 * top / bucket.n


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
