"""Daily rollups: score counts per survey, day, touchpoint and dimension, kept in step with the
responses in the same transaction, so reading metrics never scans millions of raw rows.

Upkeep: flush listeners (installed on the app's session by ``surveys.wiring``) turn every
insert, completion, change or ORM deletion of a response into +1/-1 deltas that are upserted
(``ON CONFLICT ... DO UPDATE SET n = n + excluded.n``) with the flush, so a rollup never shows an
uncommitted answer nor misses a committed one. Answers stored set-based (API batches, CSV
imports) bypass the ORM and are counted by :func:`count_inserted` in their own transaction. Other
bulk SQL that bypasses the ORM (COPY loads, cascading deletes) is followed by
``vocservice rollups rebuild``.
Beyond the built-in ``ROLLUP_ATTRIBUTES``, a workspace keeps the dimensions listed in
``rollup_dims``: each saved segment (``segment.<id>``: the answers its conditions keep, value "";
:mod:`surveys.metrics.dims` builds it when the segment is saved) and any attribute added with
:func:`surveys.metrics.dims.add_attribute`. Their deltas come from the same listeners: a segment's
conditions are evaluated in Python (:func:`surveys.core.conditions.conditions_match`, the meaning
the segment's SQL has). Writers of answers hold a shared advisory lock on the workspace's
dimensions to commit, and building a dimension takes it exclusively, so an answer is counted
either by the build or by its own deltas, never by both or neither.
Reading: :func:`rollup_buckets` and :func:`raw_buckets` give the same ``Bucket`` shape, so the
callers can use rollups for whole days and raw rows for the partial days at the edges.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    Date,
    case,
    cast,
    delete,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    select,
)
from sqlalchemy.orm import Session, scoped_session

from surveys.core.conditions import conditions_match
from surveys.core.db import is_postgres, upsert_insert, utcnow
from surveys.metrics.models import SCORE_COLUMNS, DailyRollup, RollupDim
from surveys.response.models import Response
from surveys.segment.models import Segment
from surveys.segment.service import segment_clause
from surveys.survey.models import Survey

# Snapshot attributes rolled up as dimensions; grouping by any other attribute reads raw rows.
ROLLUP_ATTRIBUTES = ("plan", "region")
TOTAL = ""
SEGMENT = "segment."  # dims "segment.<id>": the answers a saved segment keeps
# session.info key: (survey, day) pairs whose theme rollups a flush made stale.
THEME_DAYS = "voc_theme_rollup_days"
DIMS_CACHE = "voc_rollup_dims"  # session.info: (transaction, {workspace: dims}) read by built_dims


@dataclass
class Bucket:
    """Completed, scored answers: how many per score value (0..10) and how many commented."""

    counts: list[int] = field(default_factory=lambda: [0] * 11)
    commented: int = 0

    @property
    def n(self) -> int:
        return sum(self.counts)

    def add(self, other: "Bucket", sign: int = 1) -> None:
        for index, count in enumerate(other.counts):
            self.counts[index] += sign * count
        self.commented += sign * other.commented


def dim_text(value) -> str:
    """An attribute value as text, the way PostgreSQL's ``->>`` spells it; "" when absent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def day_expr(session: Session, column=Response.submitted_at):
    if is_postgres(session):
        # A literal, not a bound parameter: PostgreSQL matches GROUP BY expressions textually.
        return cast(func.timezone(literal_column("'UTC'"), column), Date)
    return func.date(column)


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def split_range(start: datetime | None, end: datetime | None):
    """Whole UTC days ``[d0, d1)`` for rollups (None = open) and partial-day ranges for raw."""
    first = (
        None
        if start is None
        else (start.astimezone(UTC) + timedelta(days=1) - timedelta(microseconds=1)).date()
    )
    last = None if end is None else end.astimezone(UTC).date()
    if first is not None and last is not None and first >= last:
        return None, [(start, end)]  # less than one whole day: raw rows only
    raw = []
    if start is not None and start < day_start(first):
        raw.append((start, day_start(first)))
    if end is not None and day_start(last) < end:
        raw.append((day_start(last), end))
    return (first, last), raw


# ---- upkeep ------------------------------------------------------------------------------

_TRACKED = (
    "workspace_id",
    "survey_id",
    "submitted_at",
    "touchpoint_id",
    "score",
    "comment",
    "completed",
    "attributes",
)


def _values(obj: Response, *, old: bool) -> dict:
    state = inspect(obj)
    values = {}
    for name in _TRACKED:
        value = getattr(obj, name)
        if old:
            history = state.attrs[name].history
            if history.deleted:
                value = history.deleted[0]
        values[name] = value
    if values["survey_id"] is None and obj.survey is not None:
        values["survey_id"] = obj.survey.id
    return values


def segment_dim(segment_id: str) -> str:
    return f"{SEGMENT}{segment_id}"


def _lock_dims(session: Session, workspace_ids, *, exclusive: bool = False) -> None:
    """Writers of answers share the lock of their workspaces' dimensions; building one takes it
    alone (to commit, both)."""
    if not is_postgres(session):
        return  # SQLite: one writer at a time anyway
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    for workspace_id in sorted(set(workspace_ids)):
        session.connection().execute(
            select(getattr(func, function)(func.hashtext(f"vocservice.rollup_dims:{workspace_id}")))
        )


def extra_dims(session: Session, workspace_ids) -> dict[str, list[tuple[str, list | None]]]:
    """Per workspace, the ``rollup_dims`` it keeps: (dim, a segment's conditions or None)."""
    ids = sorted({w for w in workspace_ids if w})
    if not ids:
        return {}
    _lock_dims(session, ids)
    found: dict[str, list] = {}
    rows = session.connection().execute(
        select(RollupDim.workspace_id, RollupDim.dim, Segment.conditions)
        .outerjoin(Segment, RollupDim.dim == literal(SEGMENT) + Segment.id)
        .where(RollupDim.workspace_id.in_(ids))
        .order_by(RollupDim.workspace_id, RollupDim.dim)
    )
    for workspace_id, dim, conditions in rows:
        if dim.startswith(SEGMENT) and conditions is None:
            continue  # a segment deleted in this very transaction
        found.setdefault(workspace_id, []).append((dim, conditions))
    return found


def _deltas(values: dict, sign: int, extra: dict | None = None) -> list[tuple]:
    if not values["completed"] or values["score"] is None or values["survey_id"] is None:
        return []
    day = values["submitted_at"].astimezone(UTC).date()
    base = (values["workspace_id"], values["survey_id"], day, values["touchpoint_id"] or "")
    # A snapshot stored by raw SQL may be no object at all: then, as for ``->>`` in rebuild, "".
    attributes = values["attributes"] if isinstance(values["attributes"], dict) else {}
    dims = [(TOTAL, "")] + [
        (f"attributes.{name}", dim_text(attributes.get(name))) for name in ROLLUP_ATTRIBUTES
    ]
    for dim, conditions in (extra or {}).get(values["workspace_id"], ()):
        if conditions is None:  # an attribute
            dims.append((dim, dim_text(attributes.get(dim.split(".", 1)[1]))))
        elif conditions_match(conditions, {"attributes": attributes}):
            dims.append((dim, ""))
    commented = 1 if values["comment"] else 0
    return [(*base, dim, value, values["score"], sign, sign * commented) for dim, value in dims]


def collect_deltas(session: Session, flush_context, instances) -> None:
    """``before_flush``: turn inserted, changed and deleted answers into rollup deltas."""
    added = [_values(obj, old=False) for obj in session.new if isinstance(obj, Response)]
    changed = []
    for obj in session.dirty:
        if isinstance(obj, Response) and session.is_modified(obj):
            old, new = _values(obj, old=True), _values(obj, old=False)
            if old != new:
                changed.append((old, new))
    gone = [_values(obj, old=True) for obj in session.deleted if isinstance(obj, Response)]
    if not (added or changed or gone):
        return
    extra = extra_dims(
        session,
        [v["workspace_id"] for v in added + gone] + [v["workspace_id"] for pair in changed for v in pair],
    )
    deltas: list[tuple] = [d for values in added for d in _deltas(values, +1, extra)]
    theme_days: set[tuple] = set()
    for old, new in changed:
        removed, put = _deltas(old, -1, extra), _deltas(new, +1, extra)
        deltas += removed + put
        # A counted answer that changed may carry themes: its days' theme rollups too.
        theme_days |= {(d[1], d[2]) for d in removed + put} if removed else set()
    for values in gone:
        removed = _deltas(values, -1, extra)
        deltas += removed
        theme_days |= {(d[1], d[2]) for d in removed}
    if deltas:
        session.info.setdefault("rollup_deltas", []).extend(deltas)
    if theme_days:
        # Folded in after the flush by surveys.metrics.theme_rollups.refresh_collected.
        session.info.setdefault(THEME_DAYS, set()).update(theme_days)


def apply_collected(session: Session, flush_context) -> None:
    """``after_flush``: upsert the deltas in the same transaction as the answers."""
    deltas = session.info.pop("rollup_deltas", None)
    if deltas:
        apply_deltas(session, deltas)


def count_inserted(session: Session, *, rows: list[dict]) -> None:
    """Add answers inserted by bulk SQL (no ORM flush saw them) to the rollups, now, in the
    caller's transaction: the same deltas the flush listeners take, so a rebuild finds the same.
    ``rows`` are the inserted rows as dicts keyed by column name (``meta`` aside)."""
    extra = extra_dims(session, [row["workspace_id"] for row in rows])
    deltas = [delta for row in rows for delta in _deltas(row, +1, extra)]
    if deltas:
        apply_deltas(session, deltas)


def drop_collected(session: Session) -> None:
    """``after_rollback``: the answers were not stored, so neither are their deltas."""
    session.info.pop("rollup_deltas", None)
    session.info.pop(THEME_DAYS, None)


def apply_deltas(session: Session, deltas: list[tuple]) -> None:
    rows: dict[tuple, dict] = {}
    for workspace_id, survey_id, day, touchpoint, dim, value, score, sign, commented in deltas:
        key = (survey_id, day, dim, value, touchpoint, workspace_id)
        row = rows.setdefault(
            key,
            {
                "workspace_id": workspace_id,
                "survey_id": survey_id,
                "day": day,
                "touchpoint_key": touchpoint,
                "dim": dim,
                "value": value,
                "responses": 0,
                "commented": 0,
                **{name: 0 for name in SCORE_COLUMNS},
            },
        )
        row["responses"] += sign
        row["commented"] += commented
        row[f"s{score}"] += sign
    # A fixed order, so two transactions touching the same rows lock them in the same order.
    ordered = [rows[key] for key in sorted(rows, key=lambda k: (k[0], k[1], k[2], k[3], k[4]))]
    ordered = [
        row
        for row in ordered  # a score moved within one key keeps responses at 0
        if any(row[name] for name in ("responses", "commented", *SCORE_COLUMNS))
    ]
    if not ordered:
        return
    stmt = upsert_insert(session, DailyRollup)
    added = ("responses", "commented", *SCORE_COLUMNS)
    stmt = stmt.on_conflict_do_update(
        index_elements=["survey_id", "day", "dim", "value", "touchpoint_key", "workspace_id"],
        set_={name: getattr(DailyRollup, name) + stmt.excluded[name] for name in added},
    )
    session.connection().execute(stmt, ordered)


# ---- rebuild -----------------------------------------------------------------------------


def _score_sums(score_column):
    return [func.coalesce(func.sum(case((score_column == value, 1), else_=0)), 0) for value in range(11)]


def counted(query):
    """Only finished answers with a score count (a partial widget tap does not)."""
    return query.where(Response.completed.is_(True), Response.score.is_not(None))


_COLUMNS = [
    "workspace_id",
    "survey_id",
    "day",
    "touchpoint_key",
    "dim",
    "value",
    "responses",
    "commented",
    *SCORE_COLUMNS,
]


def _insert_dim(
    session: Session, dim: str, *, value=None, where=(), workspace_id=None, survey_id=None
) -> None:
    """Insert the rollup rows of one dimension from the raw rows: per value of ``value`` (an
    expression; None: one row per day and touchpoint, value "") over the answers ``where`` keeps."""
    day = day_expr(session)
    touchpoint = func.coalesce(Response.touchpoint_id, "")
    groups = [Response.workspace_id, Response.survey_id, day, touchpoint]
    query = counted(
        select(
            Response.workspace_id,
            Response.survey_id,
            day,
            touchpoint,
            literal(dim),
            literal("") if value is None else value,
            func.count(),
            func.count(Response.comment),
            *_score_sums(Response.score),
        )
        .where(*where)
        .group_by(*groups, *([] if value is None else [value]))
    )
    if workspace_id:
        query = query.where(Response.workspace_id == workspace_id)
    if survey_id:
        query = query.where(Response.survey_id == survey_id)
    session.execute(insert(DailyRollup).from_select(_COLUMNS, query))


def _attribute_value(name: str):
    return func.coalesce(Response.attributes[name].as_string(), "")


def insert_extra_dim(session: Session, workspace_id: str, dim: str, conditions, survey_id=None) -> None:
    """The rows of one of a workspace's ``rollup_dims`` (a segment's conditions, or None)."""
    if conditions is None:
        _insert_dim(
            session,
            dim,
            value=_attribute_value(dim.split(".", 1)[1]),
            workspace_id=workspace_id,
            survey_id=survey_id,
        )
    else:
        _insert_dim(
            session,
            dim,
            where=(segment_clause(session, conditions),),
            workspace_id=workspace_id,
            survey_id=survey_id,
        )


def register_segments(session: Session, *, workspace_id: str | None = None) -> None:
    """List every saved segment (of one workspace, or all) in ``rollup_dims``, and forget
    dimensions of segments that no longer exist; the caller builds their rows."""
    scope = [Segment.workspace_id == workspace_id] if workspace_id else []
    segments = session.execute(select(Segment.workspace_id, Segment.id).where(*scope)).all()
    _lock_dims(
        session, {ws for ws, _ in segments} | ({workspace_id} if workspace_id else set()), exclusive=True
    )
    known = {(ws, segment_dim(sid)) for ws, sid in segments}
    stored = set(
        session.execute(
            select(RollupDim.workspace_id, RollupDim.dim).where(
                RollupDim.dim.startswith(SEGMENT),
                *([RollupDim.workspace_id == workspace_id] if workspace_id else []),
            )
        ).all()
    )
    for ws, dim in stored - known:
        session.execute(delete(RollupDim).where(RollupDim.workspace_id == ws, RollupDim.dim == dim))
    now = utcnow()
    for ws, dim in sorted(known - stored):
        session.add(RollupDim(workspace_id=ws, dim=dim, built_at=now))
    session.flush()
    forget_dims(session)


def rebuild(session: Session, *, workspace_id: str | None = None, survey_id: str | None = None) -> int:
    """Recompute daily rollups from the raw responses (all, one workspace or one survey): the
    built-in dimensions and the workspaces' ``rollup_dims`` (every saved segment is listed there
    first, when whole workspaces are rebuilt)."""
    if survey_id is None:
        register_segments(session, workspace_id=workspace_id)
    scope = []
    if workspace_id:
        scope.append(DailyRollup.workspace_id == workspace_id)
    if survey_id:
        scope.append(DailyRollup.survey_id == survey_id)
    session.execute(delete(DailyRollup).where(*scope))
    _insert_dim(session, TOTAL, workspace_id=workspace_id, survey_id=survey_id)
    for name in ROLLUP_ATTRIBUTES:
        _insert_dim(
            session,
            f"attributes.{name}",
            value=_attribute_value(name),
            workspace_id=workspace_id,
            survey_id=survey_id,
        )
    dims = select(RollupDim.workspace_id, RollupDim.dim, Segment.conditions).outerjoin(
        Segment, RollupDim.dim == literal(SEGMENT) + Segment.id
    )
    if workspace_id:
        dims = dims.where(RollupDim.workspace_id == workspace_id)
    if survey_id:
        owner = select(Survey.workspace_id).where(Survey.id == survey_id).scalar_subquery()
        dims = dims.where(RollupDim.workspace_id == owner)
    for ws, dim, conditions in session.execute(dims.order_by(RollupDim.workspace_id, RollupDim.dim)).all():
        if dim.startswith(SEGMENT) and conditions is None:
            continue
        insert_extra_dim(session, ws, dim, conditions, survey_id=survey_id)
    return session.execute(select(func.count()).select_from(DailyRollup).where(*scope)).scalar_one()


def built_dims(session: Session, *, workspace_id: str) -> set[str]:
    """The dimensions the rollups answer for this workspace beyond the built-in ones; read once
    per transaction (a page asks for them with every figure)."""
    real = session.registry() if isinstance(session, scoped_session) else session
    transaction = real.get_transaction()
    cached = session.info.get(DIMS_CACHE)
    if cached is None or cached[0] is not transaction or transaction is None:
        cached = session.info[DIMS_CACHE] = (transaction, {})
    found = cached[1].get(workspace_id)
    if found is None:
        found = cached[1][workspace_id] = set(
            session.execute(select(RollupDim.dim).where(RollupDim.workspace_id == workspace_id)).scalars()
        )
    return found


def forget_dims(session: Session) -> None:
    """After ``rollup_dims`` changed in this transaction."""
    session.info.pop(DIMS_CACHE, None)


# ---- reading -----------------------------------------------------------------------------


def _bucket(row, offset: int) -> Bucket:
    return Bucket(
        counts=[int(v or 0) for v in row[offset + 1 : offset + 12]], commented=int(row[offset] or 0)
    )


def rollup_buckets(
    session: Session,
    *,
    survey_id: str,
    days: tuple[date | None, date | None],
    dim: str = TOTAL,
    key: str | None = None,
) -> dict:
    """Sums of the rollup rows of ``survey_id`` over ``[days[0], days[1])``, by ``key``:
    ``value`` (the dimension's value), ``touchpoint`` or ``day``; one bucket under None if none."""
    key_column = {
        None: literal(None),
        "value": DailyRollup.value,
        "day": DailyRollup.day,
        "touchpoint": DailyRollup.touchpoint_key,
    }[key]
    query = select(
        key_column,
        func.sum(DailyRollup.commented),
        *[func.sum(getattr(DailyRollup, name)) for name in SCORE_COLUMNS],
    ).where(DailyRollup.survey_id == survey_id, DailyRollup.dim == dim)
    if key is not None:
        query = query.group_by(key_column)
    if days[0] is not None:
        query = query.where(DailyRollup.day >= days[0])
    if days[1] is not None:
        query = query.where(DailyRollup.day < days[1])
    return {row[0]: _bucket(row, 1) for row in session.execute(query)}


def raw_buckets(
    session: Session,
    *,
    survey_id: str,
    start: datetime | None,
    end: datetime | None,
    key_expr=None,
    where=(),
    joins=(),
) -> dict:
    """The same sums straight from the responses, grouped by ``key_expr`` (None: one bucket)."""
    key_column = literal(None) if key_expr is None else key_expr
    query = select(key_column, Response.score, func.count(), func.count(Response.comment))
    for target, on in joins:
        query = query.join(target, on)
    query = counted(query.where(Response.survey_id == survey_id, *where))
    if start is not None:
        query = query.where(Response.submitted_at >= start)
    if end is not None:
        query = query.where(Response.submitted_at < end)
    buckets: dict = defaultdict(Bucket)
    groups = [Response.score] if key_expr is None else [key_expr, Response.score]
    for key, score, count, commented in session.execute(query.group_by(*groups)):
        bucket = buckets[key]
        bucket.counts[score] += count
        bucket.commented += commented
    return dict(buckets)
