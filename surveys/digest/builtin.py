"""The digest sections that exist today: each survey's score and its change, the themes that
moved most (one quote each) and the roadmap items that gained the most feedback.

All of them read rollups (daily rollups, theme rollups, roadmap link facts) except the one quote
per theme, which is a single indexed lookup. Whether a score change is real is decided by
:func:`surveys.metrics.significance.compare`, never here.
"""

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from surveys.analysis.models import ResponseTheme, Theme
from surveys.digest.sections import DigestContext, Entry, Period, Section
from surveys.metrics.models import ThemeRollup
from surveys.metrics.rollups import Bucket
from surveys.metrics.service import buckets
from surveys.metrics.significance import compare
from surveys.response.models import Response
from surveys.roadmap.models import RoadmapItem, RoadmapLinkFact
from surveys.survey.models import Survey

TOP = 3
QUOTE_CHARS = 240
_UNITS = {"nps": "", "csat": "%", "ces": ""}


def _bucket(session: Session, survey_id: str, period: Period) -> Bucket:
    found, _source = buckets(session, survey_id=survey_id, start=period.start_at, end=period.end_at)
    return found.get(None, Bucket())


def _fmt(value: float | None, kind: str) -> str:
    return "–" if value is None else f"{value:.1f}{_UNITS[kind]}"


def _change_text(comparison, kind: str) -> str:
    if comparison.previous is None or comparison.difference is None:
        return "no answers in the previous period to compare with"
    direction = "up" if comparison.difference > 0 else ("down" if comparison.difference < 0 else "unchanged")
    moved = f"{direction} {abs(comparison.difference):.1f}" if direction != "unchanged" else direction
    text = f"{moved} from {_fmt(comparison.previous, kind)}"
    if not comparison.enough:
        return f"{text}; {comparison.reason}"
    interval = f"95% CI {comparison.ci95[0]:+.1f} to {comparison.ci95[1]:+.1f}" if comparison.ci95 else ""
    verdict = "a significant change" if comparison.significant else "not significant (within noise)"
    return f"{text}: {verdict}" + (f", {interval}" if interval else "")


def score_section(session: Session, context: DigestContext) -> Section | None:
    """Each active survey with answers in the period: its score and change against the period
    before, significant or not."""
    surveys = session.execute(
        select(Survey)
        .where(Survey.workspace_id == context.workspace.id, Survey.status == "active")
        .order_by(Survey.name, Survey.id)
    ).scalars()
    entries = []
    for survey in surveys:
        current = _bucket(session, survey.id, context.period)
        if not current.n:
            continue
        previous = _bucket(session, survey.id, context.period.previous)
        comparison = compare(survey.kind, current, previous)
        entries.append(
            Entry(
                text=f"{survey.name}: {survey.kind.upper()} {_fmt(comparison.current, survey.kind)} "
                f"from {current.n} answers",
                detail=_change_text(comparison, survey.kind),
                url=f"{context.base_url}/app?survey={survey.id}",
            )
        )
    if not entries:
        return None
    return Section(key="score", title="Score", order=10, entries=tuple(entries))


def _theme_totals(session: Session, workspace_id: str, period: Period) -> dict:
    rows = session.execute(
        select(ThemeRollup.theme_id, func.sum(ThemeRollup.mentions), func.sum(ThemeRollup.negative))
        .where(
            ThemeRollup.workspace_id == workspace_id,
            ThemeRollup.segment_key == "",
            ThemeRollup.day >= period.start,
            ThemeRollup.day < period.end,
        )
        .group_by(ThemeRollup.theme_id)
    )
    return {theme_id: (int(mentions or 0), int(negative or 0)) for theme_id, mentions, negative in rows}


def _quote(session: Session, workspace_id: str, theme_id: str, period: Period) -> str | None:
    """The newest comment of the period that mentions the theme, shortened."""
    comment = session.execute(
        select(Response.comment)
        .join(ResponseTheme, ResponseTheme.response_id == Response.id)
        .where(
            ResponseTheme.workspace_id == workspace_id,
            ResponseTheme.theme_id == theme_id,
            Response.submitted_at >= period.start_at,
            Response.submitted_at < period.end_at,
            Response.comment.is_not(None),
        )
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(1)
    ).scalar()
    if not comment:
        return None
    comment = " ".join(comment.split())
    return comment if len(comment) <= QUOTE_CHARS else comment[: QUOTE_CHARS - 1].rstrip() + "…"


def themes_section(session: Session, context: DigestContext) -> Section | None:
    """The themes whose mentions changed most against the period before, each with a quote."""
    workspace_id = context.workspace.id
    now = _theme_totals(session, workspace_id, context.period)
    before = _theme_totals(session, workspace_id, context.period.previous)
    moves = []
    for theme_id in set(now) | set(before):
        mentions, negative = now.get(theme_id, (0, 0))
        previous = before.get(theme_id, (0, 0))[0]
        if mentions != previous:
            moves.append((abs(mentions - previous), mentions, theme_id, negative, previous))
    if not moves:
        return None
    moves.sort(key=lambda m: (-m[0], -m[1], m[2]))
    top = moves[:TOP]
    names = dict(session.execute(select(Theme.id, Theme.name).where(Theme.id.in_([m[2] for m in top]))).all())
    entries = []
    for _size, mentions, theme_id, negative, previous in top:
        direction = "up" if mentions > previous else "down"
        negative_text = f", {round(100 * negative / mentions)}% negative" if mentions else ""
        entries.append(
            Entry(
                text=f"{names.get(theme_id, theme_id)}: {mentions} mentions ({direction} from {previous})"
                + negative_text,
                quote=_quote(session, workspace_id, theme_id, context.period) if mentions else None,
                url=f"{context.base_url}/app/feedback?theme={theme_id}",
            )
        )
    return Section(key="themes", title="Themes that moved most", order=20, entries=tuple(entries))


def roadmap_section(session: Session, context: DigestContext) -> Section | None:
    """The roadmap items that gained the most linked feedback in the period."""
    period = context.period
    gained = func.count()
    rows = session.execute(
        select(
            RoadmapItem.id,
            RoadmapItem.title,
            RoadmapItem.status,
            gained,
            func.sum(case((RoadmapLinkFact.detractor, 1), else_=0)),
            func.count(func.distinct(RoadmapLinkFact.contact_id)),
        )
        .join(RoadmapItem, RoadmapItem.id == RoadmapLinkFact.item_id)
        .where(
            RoadmapLinkFact.workspace_id == context.workspace.id,
            RoadmapLinkFact.submitted_at >= period.start_at,
            RoadmapLinkFact.submitted_at < period.end_at,
        )
        .group_by(RoadmapItem.id, RoadmapItem.title, RoadmapItem.status)
        .order_by(gained.desc(), RoadmapItem.id)
        .limit(TOP)
    ).all()
    if not rows:
        return None
    entries = tuple(
        Entry(
            text=f"{title} ({status.replace('_', ' ')}): {count} new answers linked",
            detail=f"{int(detractors or 0)} from detractors"
            + (f", {customers} customers" if customers else ""),
            url=f"{context.base_url}/app/roadmap/{item_id}",
        )
        for item_id, title, status, count, detractors, customers in rows
    )
    return Section(
        key="roadmap", title="Roadmap items that gained the most feedback", order=50, entries=entries
    )
