"""The significance tests against independent computations on the raw answers.

Each check scores raw answers with numpy/scipy functions that never see our counts (a t test on
the raw arrays, a chi-square test on the 2x2 table, the per-answer +1/0/-1 NPS variable), then
generates periods with a known drop and with pure noise: the drop is found, the noise fires at
about the stated rate.
"""

import numpy as np
import pytest
from scipy import stats

from surveys.metrics.rollups import Bucket
from surveys.metrics.significance import compare


def bucket(scores) -> Bucket:
    result = Bucket()
    for score in scores:
        result.counts[int(score)] += 1
    return result


def nps_variable(scores) -> np.ndarray:
    scores = np.asarray(scores)
    return np.where(scores >= 9, 1.0, np.where(scores <= 6, -1.0, 0.0))


def test_nps_difference_matches_the_per_answer_variable():
    rng = np.random.default_rng(7)
    now = rng.choice(11, size=400, p=[0.05] * 6 + [0.1, 0.1, 0.1, 0.2, 0.2])
    before = rng.choice(11, size=350, p=[0.02] * 6 + [0.08, 0.1, 0.1, 0.25, 0.35])
    x, y = nps_variable(now), nps_variable(before)
    difference = 100 * (x.mean() - y.mean())
    se = 100 * np.sqrt(x.var() / len(x) + y.var() / len(y))  # population variance of each mean
    expected_p = 2 * stats.norm.sf(abs(difference) / se)

    result = compare("nps", bucket(now), bucket(before))

    assert result.difference == pytest.approx(difference, abs=0.01)
    assert result.p_value == pytest.approx(expected_p, rel=1e-3, abs=1e-6)
    assert result.ci95[0] == pytest.approx(difference - 1.959964 * se, abs=0.01)
    assert result.ci95[1] == pytest.approx(difference + 1.959964 * se, abs=0.01)
    assert result.enough and result.test.startswith("z test")


def test_csat_matches_a_chi_square_on_the_two_by_two_table():
    now = [5] * 120 + [4] * 40 + [3] * 20 + [2] * 15 + [1] * 5  # 160 of 200 satisfied
    before = [5] * 150 + [4] * 60 + [3] * 15 + [1] * 15  # 210 of 240 satisfied
    table = np.array([[160, 40], [210, 30]])
    chi2, p_value, _, _ = stats.chi2_contingency(table, correction=False)

    result = compare("csat", bucket(now), bucket(before))

    assert result.current == pytest.approx(80.0)
    assert result.previous == pytest.approx(87.5)
    assert result.difference == pytest.approx(-7.5)
    assert result.p_value == pytest.approx(p_value, rel=1e-4)
    # unpooled Wald interval for the difference, worked by hand
    se = np.sqrt(0.8 * 0.2 / 200 + 0.875 * 0.125 / 240)
    assert result.ci95 == pytest.approx((-7.5 - 196 * se, -7.5 + 196 * se), abs=0.01)


def test_ces_matches_welch_on_the_raw_answers():
    rng = np.random.default_rng(11)
    now = rng.integers(1, 8, size=90)
    before = np.clip(rng.integers(1, 8, size=60) + 1, 1, 7)
    t, p_value = stats.ttest_ind(now, before, equal_var=False)
    interval = stats.ttest_ind(now, before, equal_var=False).confidence_interval(0.95)

    result = compare("ces", bucket(now), bucket(before))

    assert result.difference == pytest.approx(now.mean() - before.mean(), abs=0.01)
    assert result.p_value == pytest.approx(p_value, rel=1e-4)
    assert result.ci95 == pytest.approx((interval.low, interval.high), abs=0.01)


def test_too_few_answers_never_conclude_and_say_why():
    result = compare("nps", bucket([0, 1, 2]), bucket([10] * 200))
    assert result.difference == pytest.approx(-200.0)
    assert result.significant is False and result.enough is False
    assert "this period has 3" in result.reason and "at least 30" in result.reason

    empty = compare("csat", Bucket(), bucket([5] * 40))
    assert empty.current is None and empty.difference is None and empty.p_value is None
    assert empty.previous == 100.0 and not empty.significant


@pytest.mark.parametrize("kind", ["nps", "csat", "ces"])
def test_a_known_drop_fires_and_noise_fires_at_the_stated_rate(kind):
    rng = np.random.default_rng({"nps": 1, "csat": 2, "ces": 3}[kind])
    values = {"nps": np.arange(11), "csat": np.arange(1, 6), "ces": np.arange(1, 8)}[kind]
    good = {
        "nps": [0.03] * 7 + [0.1, 0.14, 0.25, 0.3],
        "csat": [0.05, 0.05, 0.1, 0.35, 0.45],
        "ces": [0.03, 0.05, 0.07, 0.15, 0.25, 0.25, 0.2],
    }[kind]
    bad = {
        "nps": [0.05] * 7 + [0.15, 0.15, 0.15, 0.2],
        "csat": [0.12, 0.1, 0.13, 0.3, 0.35],
        "ces": [0.08, 0.1, 0.12, 0.2, 0.2, 0.17, 0.13],
    }[kind]
    trials, n = 400, 300
    noise = sum(
        compare(
            kind, bucket(rng.choice(values, n, p=good)), bucket(rng.choice(values, n, p=good))
        ).significant
        for _ in range(trials)
    )
    drops = sum(
        compare(kind, bucket(rng.choice(values, n, p=bad)), bucket(rng.choice(values, n, p=good))).significant
        for _ in range(trials)
    )
    # False alarms: 5% expected; binomial(400, 0.05) stays inside 8..34 with probability > 0.999.
    assert 8 <= noise <= 34, noise
    assert drops >= 0.9 * trials, drops


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        compare("csi", Bucket(), Bucket())
