"""Theme rollups: per survey, UTC day and theme, how many completed answers mention the theme,
their theme sentiment, what the mentions want (intent counts) and their score counts, derived
from ``response_themes``.

Theme rows are written in bulk by the analysis worker, so instead of per-row deltas these
rollups are recomputed per (survey, day) that saw new analyses: ``rollup_marks`` keeps the newest
analysis time already folded in. Readers call :func:`is_fresh` and read raw rows while anything
newer is waiting; the tick (and ``vocservice rollups rebuild``) folds it in. The tick looks back
a further ``OVERLAP`` so an analysis that committed late, under an older time, is not missed.

Each saved segment listed in ``rollup_dims`` has its own rows (``segment_key`` its id) over the
answers its conditions keep, recomputed with the totals of the same days, so a segment's theme
insights (the dashboard's headline) read rollups too.
"""

from datetime import datetime, timedelta

from sqlalchemy import case, delete, exists, func, insert, literal, select, text, tuple_
from sqlalchemy.orm import Session

from surveys.analysis.models import Analysis, ResponseTheme
from surveys.core.db import is_postgres, utcnow
from surveys.metrics.models import INTENT_COLUMNS, SCORE_COLUMNS, RollupDim, RollupMark, ThemeRollup
from surveys.metrics.rollups import SEGMENT, THEME_DAYS, as_date, counted, day_expr
from surveys.response.models import Response
from surveys.segment.models import Segment
from surveys.segment.service import segment_clause
from surveys.survey.models import Survey

MARK = "theme_rollups"
OVERLAP = timedelta(minutes=15)
MAX_DAYS_PER_SYNC = 2000
_COLUMNS = [
    "workspace_id",
    "survey_id",
    "day",
    "theme_id",
    "mentions",
    "positive",
    "neutral",
    "negative",
    "compound_sum",
    *INTENT_COLUMNS.values(),
    *SCORE_COLUMNS,
    "segment_key",
]


def _lock(session: Session) -> None:
    # One writer of theme rollups at a time, so two recomputations of a day cannot interleave.
    if is_postgres(session):
        session.connection().execute(
            text("SELECT pg_advisory_xact_lock(hashtext('vocservice.theme_rollups'))")
        )


def _aggregate(session: Session, segment: tuple[str, list] | None = None):
    """The theme rollup rows of all answers, or of one segment's ((id, conditions)), and the
    day expression to filter them by."""
    day = day_expr(session)
    label = ResponseTheme.sentiment_label
    return counted(
        select(
            Response.workspace_id,
            Response.survey_id,
            day,
            ResponseTheme.theme_id,
            func.count(),
            *[
                func.coalesce(func.sum(case((label == name, 1), else_=0)), 0)
                for name in ("positive", "neutral", "negative")
            ],
            func.coalesce(func.sum(ResponseTheme.sentiment_compound), 0.0),
            *[
                func.coalesce(func.sum(case((ResponseTheme.intent == intent, 1), else_=0)), 0)
                for intent in INTENT_COLUMNS
            ],
            *[func.coalesce(func.sum(case((Response.score == v, 1), else_=0)), 0) for v in range(11)],
            literal(segment[0] if segment else ""),
        )
        .join(ResponseTheme, ResponseTheme.response_id == Response.id)
        .where(*([segment_clause(session, segment[1])] if segment else []))
    ).group_by(Response.workspace_id, Response.survey_id, day, ResponseTheme.theme_id), day


def _segments(conn, *, survey_ids=None, workspace_id=None) -> list[tuple[str, str, list]]:
    """(workspace, segment id, conditions) of the segments listed in ``rollup_dims`` for the
    workspaces of these surveys (or of one workspace; all when neither is given)."""
    query = select(Segment.workspace_id, Segment.id, Segment.conditions).join(
        RollupDim,
        (RollupDim.workspace_id == Segment.workspace_id) & (RollupDim.dim == literal(SEGMENT) + Segment.id),
    )
    if survey_ids is not None:
        query = query.where(
            Segment.workspace_id.in_(select(Survey.workspace_id).where(Survey.id.in_(sorted(survey_ids))))
        )
    if workspace_id is not None:
        query = query.where(Segment.workspace_id == workspace_id)
    return [tuple(row) for row in conn.execute(query.order_by(Segment.id))]


def insert_segment(session: Session, workspace_id: str, segment_id: str, conditions: list) -> None:
    """(Re)build one segment's theme rollups from the raw rows."""
    _lock(session)
    session.execute(delete(ThemeRollup).where(ThemeRollup.segment_key == segment_id))
    query, _ = _aggregate(session, (segment_id, conditions))
    session.execute(
        insert(ThemeRollup).from_select(_COLUMNS, query.where(Response.workspace_id == workspace_id))
    )


def _set_mark(session: Session, at: datetime) -> None:
    mark = session.get(RollupMark, MARK)
    if mark is None:
        session.add(RollupMark(name=MARK, at=at, info={}))
    elif at > mark.at:
        mark.at = at
    session.flush()


def _newest_analysis(session: Session) -> datetime | None:
    return session.execute(select(func.max(Analysis.created_at))).scalar_one()


def rebuild_themes(session: Session, *, survey_id: str | None = None) -> int:
    _lock(session)
    newest = _newest_analysis(session)
    session.execute(delete(ThemeRollup).where(*([ThemeRollup.survey_id == survey_id] if survey_id else [])))
    query, _ = _aggregate(session)
    if survey_id:
        query = query.where(Response.survey_id == survey_id)
    session.execute(insert(ThemeRollup).from_select(_COLUMNS, query))
    segments = _segments(session.connection(), survey_ids=[survey_id] if survey_id else None)
    for workspace_id, segment_id, conditions in segments:
        query, _ = _aggregate(session, (segment_id, conditions))
        query = query.where(Response.workspace_id == workspace_id)
        if survey_id:
            query = query.where(Response.survey_id == survey_id)
        session.execute(insert(ThemeRollup).from_select(_COLUMNS, query))
    if survey_id is None:
        _set_mark(session, newest or utcnow())
    return session.execute(select(func.count()).select_from(ThemeRollup)).scalar_one()


def refresh_days(session: Session, keys: set[tuple[str, object]]) -> None:
    """Recompute the theme rollups of these (survey_id, day) pairs from raw rows."""
    if not keys:
        return
    pairs = sorted(keys)
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        # Core statements on the connection: this also runs inside a flush (refresh_if_built).
        session.connection().execute(
            delete(ThemeRollup.__table__).where(tuple_(ThemeRollup.survey_id, ThemeRollup.day).in_(chunk))
        )
        segments = _segments(session.connection(), survey_ids={survey_id for survey_id, _ in chunk})
        if not is_postgres(session):  # SQLite: date() there yields text
            chunk = [(survey_id, d.isoformat()) for survey_id, d in chunk]
        for segment in [None, *segments]:
            query, day = _aggregate(session, segment[1:] if segment else None)
            if segment:
                query = query.where(Response.workspace_id == segment[0])
            session.connection().execute(
                insert(ThemeRollup.__table__).from_select(
                    _COLUMNS, query.where(tuple_(Response.survey_id, day).in_(chunk))
                )
            )


def refresh_if_built(session: Session, keys: set[tuple[str, object]]) -> None:
    """Called on flush for answers changed or deleted through the ORM (their theme rows went
    with them, by cascade): recompute their days, unless no theme rollups exist yet."""
    built = session.connection().execute(select(RollupMark.name).where(RollupMark.name == MARK)).first()
    if built is None:
        return
    _lock(session)
    refresh_days(session, keys)


def refresh_collected(session: Session, flush_context) -> None:
    """``after_flush``: recompute the theme rollups of the days a flush's answers touched."""
    days = session.info.pop(THEME_DAYS, None)
    if days:
        refresh_if_built(session, days)


def sync(session: Session, *, overlap: timedelta = OVERLAP) -> int:
    """Fold analyses made since the mark (minus ``overlap``) into the rollups; days refreshed."""
    _lock(session)
    mark = session.get(RollupMark, MARK)
    if mark is None:
        rebuild_themes(session)
        return -1
    newest = _newest_analysis(session)
    if newest is None:
        return 0
    day = day_expr(session)
    keys = {
        (survey_id, as_date(d))
        for survey_id, d in session.execute(
            select(Response.survey_id, day)
            .join(Analysis, Analysis.response_id == Response.id)
            .where(Analysis.created_at > mark.at - overlap)
            .distinct()
            .limit(MAX_DAYS_PER_SYNC)
        )
    }
    refresh_days(session, keys)
    if len(keys) < MAX_DAYS_PER_SYNC:
        _set_mark(session, newest)
    return len(keys)


def is_fresh(session: Session) -> bool:
    """True when every analysis up to now is folded into the theme rollups."""
    mark = session.get(RollupMark, MARK)
    if mark is None:
        return False
    return not session.execute(select(exists().where(Analysis.created_at > mark.at))).scalar()
