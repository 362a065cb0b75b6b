"""Health factors: a registry of named readings, each turning what is known about a set of
contacts into a value from 0 (bad) to 100 (good) and a note that explains it.

A factor reads many contacts at once (set-based) through :class:`Context`, which also memoises
the queries several factors share. A contact a factor knows nothing about is simply absent from
its readings: the factor is then left out of that contact's score and the other weights are
renormalised, so "no data" never counts as "bad".

A new factor is a function and one line, like the cases factor here::

    FACTORS.register(Factor("cases", "Open or overdue cases", 20, _cases))
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.analysis.models import Analysis, ResponseTheme, Theme
from surveys.case.models import Case
from surveys.invitation.models import Invitation
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.survey.scales import SCALES


@dataclass(frozen=True)
class Reading:
    value: float  # 0..100, higher is healthier
    note: str


@dataclass
class Context:
    """The contacts being scored and the moment they are scored at, with shared query results."""

    session: Session
    workspace_id: str
    contact_ids: list[str]
    now: datetime
    memo: dict = field(default_factory=dict)

    def once(self, key: str, load: Callable[[], object]):
        if key not in self.memo:
            self.memo[key] = load()
        return self.memo[key]

    def answers(self) -> dict[str, list[tuple[datetime, str, int]]]:
        """contact id -> its scored answers of the last year up to ``now``, oldest first:
        (submitted_at, survey kind, score)."""

        def load():
            rows = self.session.execute(
                select(Response.contact_id, Response.submitted_at, Survey.kind, Response.score)
                .join(Survey, Survey.id == Response.survey_id)
                .where(
                    Response.contact_id.in_(self.contact_ids),
                    Response.completed.is_(True),
                    Response.score.is_not(None),
                    Response.submitted_at > self.now - timedelta(days=365),
                    Response.submitted_at <= self.now,
                )
                .order_by(Response.contact_id, Response.submitted_at)
            )
            found: dict[str, list] = defaultdict(list)
            for contact_id, at, kind, score in rows:
                found[contact_id].append((at, kind, score))
            return found

        return self.once("answers", load)

    def last_answers(self) -> dict[str, datetime]:
        """contact id -> the time of its last answer up to ``now`` (scored or not)."""

        def load():
            found = {}
            missing = [c for c in self.contact_ids if c not in self.answers()]
            if missing:
                found = dict(
                    self.session.execute(
                        select(Response.contact_id, func.max(Response.submitted_at))
                        .where(
                            Response.contact_id.in_(missing),
                            Response.completed.is_(True),
                            Response.submitted_at <= self.now,
                        )
                        .group_by(Response.contact_id)
                    ).all()
                )
            for contact_id, rows in self.answers().items():
                found[contact_id] = rows[-1][0]
            return found

        return self.once("last_answers", load)


@dataclass(frozen=True)
class Factor:
    name: str
    label: str
    weight: float  # the default weight
    read: Callable[[Context], dict[str, Reading]]


class Registry:
    def __init__(self) -> None:
        self._factors: dict[str, Factor] = {}

    def register(self, factor: Factor) -> Factor:
        self._factors[factor.name] = factor
        return factor

    def __iter__(self):
        return iter(list(self._factors.values()))

    def __contains__(self, name: str) -> bool:
        return name in self._factors

    def get(self, name: str) -> Factor | None:
        return self._factors.get(name)

    def names(self) -> list[str]:
        return list(self._factors)


FACTORS = Registry()


def normalised(kind: str, score: int) -> float:
    """A score on its scale as 0..100 (NPS 0-10, CSAT 1-5, CES 1-7: higher is better)."""
    low, high = SCALES[kind]
    return max(0.0, min(100.0, (score - low) * 100.0 / (high - low)))


def _latest_score(ctx: Context) -> dict[str, Reading]:
    found = {}
    for contact_id, rows in ctx.answers().items():
        _, kind, score = rows[-1]
        found[contact_id] = Reading(normalised(kind, score), f"last {kind.upper()} {score}")
    return found


def _score_trend(ctx: Context) -> dict[str, Reading]:
    """The latest score against the mean of the earlier ones in the last 180 days (same scale)."""
    found = {}
    since = ctx.now - timedelta(days=180)
    for contact_id, rows in ctx.answers().items():
        at, kind, score = rows[-1]
        earlier = [normalised(k, s) for a, k, s in rows[:-1] if a > since]
        if not earlier:
            continue
        before = sum(earlier) / len(earlier)
        change = normalised(kind, score) - before
        value = max(0.0, min(100.0, 50.0 + change))
        low, high = SCALES[kind]
        before_score = low + before * (high - low) / 100
        verb = "fell" if change < 0 else "rose" if change > 0 else "held"
        found[contact_id] = Reading(
            value, f"{kind.upper()} {verb} to {score} from {before_score:.1f} on average in 180 days"
        )
    return found


def _comment_sentiment(ctx: Context) -> dict[str, Reading]:
    """Mean sentiment of the comments of the last 90 days, named by the theme spoken of most
    negatively in the last 60."""
    since = ctx.now - timedelta(days=90)
    # Every stored analysis of the answer counts (one per analyser version: almost always one).
    rows = ctx.session.execute(
        select(Response.contact_id, func.avg(Analysis.sentiment_compound), func.count())
        .join(Analysis, Analysis.response_id == Response.id)
        .where(
            Response.contact_id.in_(ctx.contact_ids),
            Response.comment.is_not(None),
            Response.submitted_at > since,
            Response.submitted_at <= ctx.now,
            Analysis.sentiment_compound.is_not(None),
        )
        .group_by(Response.contact_id)
    ).all()
    negative = ctx.session.execute(
        select(Response.contact_id, Theme.name, func.count())
        .join(ResponseTheme, ResponseTheme.response_id == Response.id)
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(
            Response.contact_id.in_(ctx.contact_ids),
            Response.submitted_at > ctx.now - timedelta(days=60),
            Response.submitted_at <= ctx.now,
            ResponseTheme.sentiment_label == "negative",
        )
        .group_by(Response.contact_id, Theme.name)
    ).all()
    worst: dict[str, tuple[int, str]] = {}
    for contact_id, name, count in negative:
        if contact_id not in worst or (count, name) > worst[contact_id]:
            worst[contact_id] = (count, name)
    found = {}
    for contact_id, mean, count in rows:
        mean = float(mean)
        if contact_id in worst:
            times, name = worst[contact_id]
            spoken = "once" if times == 1 else "twice" if times == 2 else f"{times} times"
            note = f"negative about {name} {spoken} in 60 days"
        else:
            tone = "positive" if mean >= 0.05 else "negative" if mean <= -0.05 else "neutral"
            note = f"comments {tone} ({count} in 90 days)"
        found[contact_id] = Reading(max(0.0, min(100.0, 50.0 + 50.0 * mean)), note)
    return found


# Days since the last answer -> value: steps, so a score does not drift a little every day.
RECENCY_STEPS = ((30, 100.0), (90, 75.0), (180, 45.0), (365, 20.0))


def _recency(ctx: Context) -> dict[str, Reading]:
    found = {}
    for contact_id, last in ctx.last_answers().items():
        days = max(0, (ctx.now - last).days)
        value = next((v for limit, v in RECENCY_STEPS if days <= limit), 0.0)
        found[contact_id] = Reading(value, f"last answer {days} days ago")
    return found


_DELIVERED = ("sent", "responded", "expired")


def _response_rate(ctx: Context) -> dict[str, Reading]:
    """Answered invitations among those delivered in the last year."""
    answered = func.count().filter(Invitation.status == "responded")
    rows = ctx.session.execute(
        select(Invitation.contact_id, func.count(), answered)
        .where(
            Invitation.contact_id.in_(ctx.contact_ids),
            Invitation.status.in_(_DELIVERED),
            Invitation.scheduled_for > ctx.now - timedelta(days=365),
            Invitation.scheduled_for <= ctx.now,
        )
        .group_by(Invitation.contact_id)
    ).all()
    return {
        contact_id: Reading(100.0 * done / sent, f"answered {done} of {sent} invitations in a year")
        for contact_id, sent, done in rows
        if sent
    }


def _cases(ctx: Context) -> dict[str, Reading]:
    """Follow-up cases opened in the last year: any past its SLA reads 0, any still unresolved
    (open or contacted) 25, all dealt with 100. A customer without a case has no reading (left
    out, not counted as good): an unresolved case is a risk, never a reason to look healthier."""
    unresolved = Case.status.in_(("open", "contacted"))
    overdue = (Case.status == "open") & (Case.due_at <= ctx.now)
    rows = ctx.session.execute(
        select(Case.contact_id, func.count(), func.count().filter(unresolved), func.count().filter(overdue))
        .where(
            Case.contact_id.in_(ctx.contact_ids),
            Case.created_at > ctx.now - timedelta(days=365),
            Case.created_at <= ctx.now,
        )
        .group_by(Case.contact_id)
    ).all()
    found = {}
    for contact_id, total, pending, late in rows:
        if not pending:
            note = f"{total} case{'s' if total != 1 else ''} in a year, all dealt with"
        else:
            note = f"{pending} open case{'s' if pending != 1 else ''}" + (f", {late} overdue" if late else "")
        found[contact_id] = Reading(0.0 if late else 25.0 if pending else 100.0, note)
    return found


for _factor in (
    Factor("latest_score", "Latest score", 40, _latest_score),
    Factor("score_trend", "Score trend", 15, _score_trend),
    Factor("comment_sentiment", "Comment sentiment", 20, _comment_sentiment),
    Factor("recency", "Recency of the last answer", 15, _recency),
    Factor("response_rate", "Response rate", 10, _response_rate),
    Factor("cases", "Open or overdue cases", 20, _cases),
):
    FACTORS.register(_factor)
