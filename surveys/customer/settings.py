"""A workspace's health settings: factor weights, band thresholds, the decline rule, the account
attribute and the churn events; defaults until changed, every change checked as a whole."""

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from surveys.core.errors import Invalid
from surveys.customer.factors import FACTORS
from surveys.customer.models import CustomerSettings

DEFAULT_BANDS = {"watch": 40.0, "healthy": 70.0}
BANDS = ("at_risk", "watch", "healthy")


@dataclass(frozen=True)
class HealthSettings:
    weights: dict[str, float]  # every registered factor, by name
    bands: dict[str, float]
    account_attribute: str
    decline_points: int
    decline_days: int
    churn_events: list[str]
    min_churns: int

    def band(self, health: float | None) -> str | None:
        if health is None:
            return None
        if health >= self.bands["healthy"]:
            return "healthy"
        return "watch" if health >= self.bands["watch"] else "at_risk"


def stored(session: Session, workspace_id: str) -> CustomerSettings:
    row = session.get(CustomerSettings, workspace_id)
    if row is None:
        row = CustomerSettings(
            workspace_id=workspace_id,
            account_attribute="company",
            weights={},
            bands={},
            decline_points=15,
            decline_days=30,
            churn_events=[],
            min_churns=10,
        )
    return row


def load(session: Session, workspace_id: str) -> HealthSettings:
    row = stored(session, workspace_id)
    weights = {f.name: float(row.weights.get(f.name, f.weight)) for f in FACTORS}
    return HealthSettings(
        weights=weights,
        bands={**DEFAULT_BANDS, **(row.bands or {})},
        account_attribute=row.account_attribute,
        decline_points=row.decline_points,
        decline_days=row.decline_days,
        churn_events=list(row.churn_events or []),
        min_churns=row.min_churns,
    )


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _check_weights(weights: dict) -> dict[str, float]:
    errors = {}
    for name, value in weights.items():
        number = _number(value)
        if name not in FACTORS:
            errors[name] = [f"unknown factor: one of {', '.join(FACTORS.names())}"]
        elif number is None or number < 0 or number > 1000:
            errors[name] = ["a weight is a number from 0 to 1000"]
    if errors:
        raise Invalid("Some weights are not usable.", errors={"weights": errors})
    return {name: float(value) for name, value in weights.items()}


def _check_bands(bands: dict) -> dict[str, float]:
    merged = {**DEFAULT_BANDS}
    for name, value in bands.items():
        number = _number(value)
        if name not in DEFAULT_BANDS:
            raise Invalid(
                f"Unknown band {name!r}: bands are 'watch' and 'healthy' (their lower bounds).",
                errors={"bands": {name: ["unknown band"]}},
            )
        if number is None or not 0 < number <= 100:
            raise Invalid(
                "A band starts above 0 and at most at 100.", errors={"bands": {name: ["0 < x <= 100"]}}
            )
        merged[name] = number
    if merged["watch"] >= merged["healthy"]:
        raise Invalid(
            "Bands are out of order: 'watch' must start below 'healthy'.",
            errors={"bands": ["watch < healthy"]},
        )
    return {name: merged[name] for name in bands} | ({} if not bands else merged)


def update(session: Session, *, workspace_id: str, data: dict) -> CustomerSettings:
    """Apply ``data`` (already shaped by the schema) after checking it as a whole; nothing is
    stored when any part is refused."""
    row = stored(session, workspace_id)
    if "weights" in data:
        weights = {**(row.weights or {}), **_check_weights(data["weights"])}
        if sum(weights.get(f.name, f.weight) for f in FACTORS) <= 0:
            raise Invalid("At least one factor needs a weight above 0.", errors={"weights": ["all zero"]})
        row.weights = weights
    if "bands" in data:
        row.bands = _check_bands({**(row.bands or {}), **data["bands"]})
    for name in ("account_attribute", "decline_points", "decline_days", "churn_events", "min_churns"):
        if name in data:
            setattr(row, name, data[name])
    session.add(row)
    return row
