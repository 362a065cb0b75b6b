"""Deterministic generated answers for the metrics tests, posted through the public API, and
the plain-Python arithmetic the tests compare the API with (written from the definitions, not
from surveys.metrics)."""

import math
import random
from datetime import UTC, datetime, timedelta

PLANS = ("starter", "pro", "enterprise")
REGIONS = ("na", "emea", "apac")
START = datetime(2026, 5, 1, tzinfo=UTC)
DAYS = 120
Z = 1.959963984540054


def generate(seed: int, count: int, kind: str, survey_id: str) -> list[dict]:
    rng = random.Random(seed)
    low, high = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}[kind]
    rows = []
    for i in range(count):
        attributes = {"region": rng.choice(REGIONS), "seats": rng.randrange(1, 500)}
        if rng.random() > 0.05:  # a few answers come without a plan
            attributes["plan"] = rng.choice(PLANS)
        rows.append(
            {
                "id": f"gen-{kind}-{seed}-{i}",
                "survey_id": survey_id,
                "score": rng.randint(low, high),
                "comment": rng.choice([None, "Fine.", "Slow reports and SSO trouble."]),
                "submitted_at": (START + timedelta(minutes=rng.randrange(DAYS * 1440))).isoformat(),
                "contact": {"external_id": f"c-{kind}-{seed}-{i}", "attributes": attributes},
            }
        )
    return rows


def post_all(client, headers, rows: list[dict]) -> None:
    for start in range(0, len(rows), 500):
        reply = client.post(
            "/api/v1/responses/batch", json={"responses": rows[start : start + 500]}, headers=headers
        )
        assert reply.status_code == 200, reply.json
        assert reply.json["rejected"] == 0, reply.json


def nps(scores: list[int]) -> tuple[float, list[float]]:
    n = len(scores)
    p_pro = sum(1 for s in scores if s >= 9) / n
    p_det = sum(1 for s in scores if s <= 6) / n
    score = 100 * (p_pro - p_det)
    se = 100 * math.sqrt((p_pro + p_det - (p_pro - p_det) ** 2) / n)
    return score, [max(-100, score - Z * se), min(100, score + Z * se)]


def csat(scores: list[int]) -> tuple[float, list[float]]:
    n = len(scores)
    p = sum(1 for s in scores if s >= 4) / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return 100 * p, [100 * (centre - half), 100 * (centre + half)]


def ces(scores: list[int], t: float) -> tuple[float, list[float]]:
    n = len(scores)
    mean = sum(scores) / n
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / (n - 1))
    return mean, [mean - t * sd / math.sqrt(n), mean + t * sd / math.sqrt(n)]


def close(actual, expected, tolerance: float = 0.006) -> bool:
    if isinstance(expected, list | tuple):
        return len(actual) == len(expected) and all(
            close(a, e, tolerance) for a, e in zip(actual, expected, strict=True)
        )
    return abs(actual - expected) <= tolerance
