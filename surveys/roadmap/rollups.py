"""Roadmap impact kept in rollups, in step with the answers and the links, so ranking items never
joins every link to its answer.

Three tables (``surveys.roadmap.models``):

- ``roadmap_link_facts``: one row per counted link (``auto``/``manual`` to a completed answer)
  carrying what :func:`surveys.roadmap.impact.compute_impact` needs of the answer: survey,
  ``submitted_at``, customer, detractor, negative (for the item's themes) and revenue;
- ``roadmap_item_customers``: per item and customer, the revenue of the customer's latest linked
  answer (latest by ``submitted_at``, then id, as ``compute_impact`` orders them);
- ``roadmap_impacts``: per item, all time and every survey: responses, detractors, negatives,
  customers and revenue.

Upkeep (:func:`refresh`, exact, in the caller's transaction): the facts of the (item, answer)
pairs in scope are recomputed from the links and answers, the changed ones replace the stored
ones, their differences go to ``roadmap_impacts`` as deltas, and the customers they touch get
their latest answer recomputed (an index lookup per customer). It runs

- after every flush that changed, deleted or (un)linked answers through the ORM
  (:func:`collect` / :func:`apply_collected`, installed by ``surveys.wiring``): score,
  completion, survey, time, customer, attribute snapshot, a deleted answer, a manual link;
- at the end of :func:`surveys.roadmap.mapping.map_responses` (after each analysis, re-analysis
  and tag correction: the negative flag follows the answer's theme sentiment) and of
  :func:`surveys.roadmap.mapping.remap_item` (after an item's themes or keywords changed).

One writer per workspace at a time (a PostgreSQL advisory lock held to commit), so two
transactions never compute a customer's latest answer from each other's half.

Bulk SQL that bypasses the ORM (COPY loads, a raw ``DELETE``), or a changed
``revenue_attribute``, is followed by :func:`rebuild` (``vocservice rollups rebuild``). While the
mark :data:`PENDING` exists (set by migration 0010 when links were already stored) readers use the
exact computation instead.

Reading: :func:`totals` (no filter) reads ``roadmap_impacts``; :func:`filtered` (a survey and/or
a time window) aggregates the facts of that window (index on survey and time); for one survey
without a sort, from the index alone: each fact carries ``latest`` (the newest of its item,
survey and customer, kept by :func:`_refresh_customers` with the customers), so the customers of
a window and their revenue are the flagged facts in it, plus, for customers whose latest answer
lies after the window's end, their newest fact in it (none when the window ends after the
survey's newest fact, as on the dashboard); a saved segment
needs the answers' attribute snapshots, so ``compute_impact`` serves it from raw rows.
"""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import (
    Float,
    Integer,
    Numeric,
    and_,
    cast,
    delete,
    func,
    inspect,
    literal,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, aliased

from nlp import ANALYZER_VERSION
from surveys.analysis.models import Analysis
from surveys.core.db import chunks, is_postgres, upsert_insert
from surveys.metrics.models import RollupMark
from surveys.response.models import Response
from surveys.roadmap.figures import NEGATIVE_CATEGORIES, negative_flag, revenue_number
from surveys.roadmap.models import (
    LINKED,
    RoadmapImpact,
    RoadmapItem,
    RoadmapItemCustomer,
    RoadmapLink,
    RoadmapLinkFact,
)
from surveys.survey.models import Survey
from surveys.survey.scales import category
from surveys.workspace.models import Workspace

PENDING = "roadmap_rollups_pending"
CHUNK = 500
# session.info key: answer ids (by workspace) whose roadmap facts a flush may have changed.
DIRTY = "voc_roadmap_dirty"
REBUILD = "voc_roadmap_rebuild"  # workspaces whose revenue attribute changed
_TRACKED = ("workspace_id", "survey_id", "submitted_at", "contact_id", "score", "completed", "attributes")
_FACT = ("survey_id", "submitted_at", "contact_id", "detractor", "negative", "revenue")


def _chunks(values: list):
    return chunks(values, CHUNK)


def _figures(responses: int, detractors: int, negatives: int, customers: int, revenue: float) -> dict:
    total = round(float(revenue or 0.0), 2)
    return {
        "responses": int(responses or 0),
        "detractors": int(detractors or 0),
        "customers": int(customers or 0),
        "revenue": int(total) if total.is_integer() else total,
        "negative_share": round(int(negatives or 0) / responses, 4) if responses else None,
    }


# ---- facts -------------------------------------------------------------------------------------


def _desired(conn, *, workspace_id: str, revenue_attribute: str, where: list) -> dict[tuple, dict]:
    """The facts the links in scope should have, computed as ``compute_impact`` counts them."""
    query = (
        select(
            RoadmapLink.item_id,
            RoadmapLink.response_id,
            Response.survey_id,
            Response.submitted_at,
            Response.contact_id,
            Survey.kind,
            Response.score,
            negative_flag().label("negative"),
            Response.attributes[revenue_attribute or "arr"].label("value"),
        )
        .select_from(RoadmapLink)
        .join(Response, Response.id == RoadmapLink.response_id)
        .join(Survey, Survey.id == Response.survey_id)
        .outerjoin(
            Analysis, and_(Analysis.response_id == Response.id, Analysis.analyzer_version == ANALYZER_VERSION)
        )
        .where(
            RoadmapLink.source.in_(LINKED),
            Response.workspace_id == workspace_id,
            Response.completed.is_(True),
            *where,
        )
    )
    facts = {}
    for row in conn.execute(query):
        facts[(row.item_id, row.response_id)] = {
            "survey_id": row.survey_id,
            "submitted_at": row.submitted_at,
            "contact_id": row.contact_id,
            "detractor": category(row.kind, row.score) in NEGATIVE_CATEGORIES,
            "negative": bool(row.negative),
            "revenue": revenue_number(row.value) if row.contact_id is not None else 0.0,
        }
    return facts


def _stored(conn, where: list) -> dict[tuple, dict]:
    columns = [getattr(RoadmapLinkFact, name) for name in _FACT]
    query = select(RoadmapLinkFact.item_id, RoadmapLinkFact.response_id, *columns).where(*where)
    return {(row[0], row[1]): dict(zip(_FACT, row[2:], strict=True)) for row in conn.execute(query)}


def _lock(session: Session, workspace_id: str) -> None:
    if is_postgres(session):
        session.connection().execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"vocservice.roadmap_rollups:{workspace_id}"},
        )


def _revenue_attribute(conn, workspace_id: str) -> str:
    value = conn.execute(select(Workspace.revenue_attribute).where(Workspace.id == workspace_id)).scalar()
    return value or "arr"


def refresh(
    session: Session, *, workspace_id: str, response_ids: Iterable[str] = (), item_id: str | None = None
) -> int:
    """Bring the rollups of these answers (every item) or of this item (every answer) in step
    with the links and answers; returns how many facts changed."""
    conn = session.connection()
    response_ids = sorted(set(response_ids))
    if item_id is not None:
        scopes = [([RoadmapLinkFact.item_id == item_id], [RoadmapLink.item_id == item_id])]
    else:
        scopes = [
            ([RoadmapLinkFact.response_id.in_(chunk)], [RoadmapLink.response_id.in_(chunk)])
            for chunk in _chunks(response_ids)
        ]
    if not scopes:
        return 0
    locked = False
    changed_total = 0
    attribute = None
    for fact_where, link_where in scopes:
        if not locked:
            # Nothing linked and nothing stored: no lock, no work (most answers).
            anything = (
                conn.execute(select(literal(1)).where(*fact_where).limit(1)).first()
                or conn.execute(
                    select(literal(1)).select_from(RoadmapLink).where(*link_where).limit(1)
                ).first()
            )
            if not anything:
                continue
            _lock(session, workspace_id)
            locked = True
            attribute = _revenue_attribute(conn, workspace_id)
        old = _stored(conn, [RoadmapLinkFact.workspace_id == workspace_id, *fact_where])
        new = _desired(conn, workspace_id=workspace_id, revenue_attribute=attribute, where=link_where)
        changed_total += _apply(session, workspace_id, old, new)
    return changed_total


def _apply(session: Session, workspace_id: str, old: dict, new: dict) -> int:
    conn = session.connection()
    changed = sorted(pair for pair in old.keys() | new.keys() if old.get(pair) != new.get(pair))
    if not changed:
        return 0
    gone = [pair for pair in changed if pair in old]
    for chunk in _chunks(gone):
        conn.execute(
            delete(RoadmapLinkFact.__table__).where(
                tuple_(RoadmapLinkFact.item_id, RoadmapLinkFact.response_id).in_(chunk)
            )
        )
    rows = [
        {"item_id": i, "response_id": r, "workspace_id": workspace_id, **new[(i, r)]}
        for i, r in changed
        if (i, r) in new
    ]
    for chunk in _chunks(rows):
        conn.execute(RoadmapLinkFact.__table__.insert(), chunk)
    deltas: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0, 0.0])
    customers: set[tuple[str, str]] = set()
    for pair in changed:
        for facts, sign in ((old.get(pair), -1), (new.get(pair), +1)):
            if facts is None:
                continue
            delta = deltas[pair[0]]
            delta[0] += sign
            delta[1] += sign * facts["detractor"]
            delta[2] += sign * facts["negative"]
            if facts["contact_id"] is not None:
                customers.add((pair[0], facts["contact_id"]))
    _refresh_customers(session, sorted(customers), deltas)
    _add_totals(session, workspace_id, deltas)
    return len(changed)


def _ranked_by_customer():
    """Each item's link facts per customer, newest answer first (``rank`` 1 is the latest)."""
    rank = (
        func.row_number()
        .over(
            partition_by=(RoadmapLinkFact.item_id, RoadmapLinkFact.contact_id),
            order_by=(RoadmapLinkFact.submitted_at.desc(), RoadmapLinkFact.response_id.desc()),
        )
        .label("rank")
    )
    return select(RoadmapLinkFact.item_id, RoadmapLinkFact.contact_id, RoadmapLinkFact.revenue, rank)


def _latest(conn, pairs: list[tuple[str, str]]) -> dict[tuple, float]:
    ranked = (
        _ranked_by_customer()
        .where(tuple_(RoadmapLinkFact.item_id, RoadmapLinkFact.contact_id).in_(pairs))
        .subquery()
    )
    query = select(ranked.c.item_id, ranked.c.contact_id, ranked.c.revenue).where(ranked.c.rank == 1)
    return {(row[0], row[1]): row[2] for row in conn.execute(query)}


def _refresh_customers(session: Session, pairs: list[tuple[str, str]], deltas: dict) -> None:
    conn = session.connection()
    table = RoadmapItemCustomer.__table__
    for chunk in _chunks(pairs):
        latest = _latest(conn, chunk)
        stored = {
            (row[0], row[1]): row[2]
            for row in conn.execute(
                select(
                    RoadmapItemCustomer.item_id, RoadmapItemCustomer.contact_id, RoadmapItemCustomer.revenue
                ).where(tuple_(RoadmapItemCustomer.item_id, RoadmapItemCustomer.contact_id).in_(chunk))
            )
        }
        gone = [pair for pair in chunk if pair in stored and pair not in latest]
        upserts = []
        for pair in chunk:
            before, after = stored.get(pair), latest.get(pair)
            if before == after:
                continue
            delta = deltas[pair[0]]
            delta[3] += (after is not None) - (before is not None)
            delta[4] += (after or 0.0) - (before or 0.0)
            if after is not None:
                upserts.append({"item_id": pair[0], "contact_id": pair[1], "revenue": after})
        if gone:
            conn.execute(delete(table).where(tuple_(table.c.item_id, table.c.contact_id).in_(gone)))
        if upserts:
            stmt = upsert_insert(session, table)
            stmt = stmt.on_conflict_do_update(
                index_elements=["item_id", "contact_id"], set_={"revenue": stmt.excluded.revenue}
            )
            conn.execute(stmt, upserts)
        _flag_latest(conn, [tuple_(RoadmapLinkFact.item_id, RoadmapLinkFact.contact_id).in_(chunk)])


def _flag_latest(conn, where: list) -> None:
    """Set ``latest`` on the facts in scope: true on the newest of each (item, survey, customer),
    by time then answer id (as ``compute_impact`` orders a customer's answers)."""
    facts = RoadmapLinkFact.__table__
    rank = func.row_number().over(
        partition_by=(facts.c.item_id, facts.c.survey_id, facts.c.contact_id),
        order_by=(facts.c.submitted_at.desc(), facts.c.response_id.desc()),
    )
    ranked = (
        select(facts.c.item_id, facts.c.response_id, rank.label("rank"))
        .where(*where, facts.c.contact_id.is_not(None))
        .subquery()
    )
    first = ranked.c.rank == 1
    conn.execute(
        update(facts)
        .where(
            facts.c.item_id == ranked.c.item_id,
            facts.c.response_id == ranked.c.response_id,
            facts.c.latest != first,
        )
        .values(latest=first)
    )


def _add_totals(session: Session, workspace_id: str, deltas: dict) -> None:
    rows = [
        {
            "item_id": item_id,
            "workspace_id": workspace_id,
            "responses": d[0],
            "detractors": d[1],
            "negatives": d[2],
            "customers": d[3],
            "revenue": d[4],
        }
        for item_id, d in sorted(deltas.items())
        if any(d)
    ]
    if not rows:
        return
    # Only items still there: a deleted item's rollups went with it.
    present = set(
        session.connection()
        .execute(select(RoadmapItem.id).where(RoadmapItem.id.in_([r["item_id"] for r in rows])))
        .scalars()
    )
    rows = [row for row in rows if row["item_id"] in present]
    if not rows:
        return
    table = RoadmapImpact.__table__
    stmt = upsert_insert(session, table)
    added = ("responses", "detractors", "negatives", "customers", "revenue")
    stmt = stmt.on_conflict_do_update(
        index_elements=["item_id"], set_={name: table.c[name] + stmt.excluded[name] for name in added}
    )
    session.connection().execute(stmt, rows)


# ---- upkeep on flush ---------------------------------------------------------------------------


def collect(session: Session, flush_context, instances) -> None:
    """``before_flush``: answers changed or deleted, and links made or changed through the ORM."""
    dirty: dict[str, set[str]] = session.info.get(DIRTY) or {}
    for obj in session.dirty:
        if isinstance(obj, Workspace) and inspect(obj).attrs.revenue_attribute.history.has_changes():
            # Every fact's revenue changes: the workspace is rebuilt after the flush.
            session.info.setdefault(REBUILD, set()).add(obj.id)
        if isinstance(obj, Response) and session.is_modified(obj):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in _TRACKED):
                dirty.setdefault(obj.workspace_id, set()).add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, Response):
            dirty.setdefault(obj.workspace_id, set()).add(obj.id)
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, RoadmapLink) and obj.item_id and obj.response_id:
            workspace_id = (
                session.connection()
                .execute(select(RoadmapItem.workspace_id).where(RoadmapItem.id == obj.item_id))
                .scalar()
            )
            if workspace_id:
                dirty.setdefault(workspace_id, set()).add(obj.response_id)
    if dirty:
        session.info[DIRTY] = dirty


def apply_collected(session: Session, flush_context) -> None:
    """``after_flush``: refresh the roadmap rollups of those answers in the same transaction."""
    dirty = session.info.pop(DIRTY, None)
    for workspace_id in sorted(session.info.pop(REBUILD, None) or ()):
        rebuild(session, workspace_id=workspace_id)
        (dirty or {}).pop(workspace_id, None)
    for workspace_id, response_ids in sorted((dirty or {}).items()):
        refresh(session, workspace_id=workspace_id, response_ids=response_ids)


def drop_collected(session: Session) -> None:
    session.info.pop(DIRTY, None)
    session.info.pop(REBUILD, None)


# ---- rebuild -----------------------------------------------------------------------------------


def rebuild(session: Session, *, workspace_id: str | None = None) -> int:
    """Recompute the roadmap rollups from the links and answers (all workspaces or one); returns
    the number of facts stored. Also what tests compare the kept rollups against."""
    items = select(RoadmapItem.id)
    if workspace_id:
        items = items.where(RoadmapItem.workspace_id == workspace_id)
    conn = session.connection()
    workspaces = sorted(
        set(
            conn.execute(
                select(RoadmapItem.workspace_id).where(
                    *([RoadmapItem.workspace_id == workspace_id] if workspace_id else [])
                )
            ).scalars()
        )
    )
    for ws in workspaces:  # before reading anything: a refresh committing meanwhile waits
        _lock(session, ws)
    for model in (RoadmapLinkFact, RoadmapItemCustomer, RoadmapImpact):
        conn.execute(delete(model.__table__).where(model.__table__.c.item_id.in_(items)))
    stored = 0
    for ws in workspaces:
        new = _desired(
            conn,
            workspace_id=ws,
            revenue_attribute=_revenue_attribute(conn, ws),
            where=[RoadmapLink.item_id.in_(select(RoadmapItem.id).where(RoadmapItem.workspace_id == ws))],
        )
        rows = [
            {"item_id": i, "response_id": r, "workspace_id": ws, **f} for (i, r), f in sorted(new.items())
        ]
        for chunk in chunks(rows, 5000):
            conn.execute(RoadmapLinkFact.__table__.insert(), chunk)
        stored += len(rows)
        _rebuild_totals(session, ws)
    if workspace_id is None:
        conn.execute(delete(RollupMark.__table__).where(RollupMark.__table__.c.name == PENDING))
    return stored


def _rebuild_totals(session: Session, workspace_id: str) -> None:
    conn = session.connection()
    _flag_latest(conn, [RoadmapLinkFact.workspace_id == workspace_id])
    ranked = (
        _ranked_by_customer()
        .where(RoadmapLinkFact.workspace_id == workspace_id, RoadmapLinkFact.contact_id.is_not(None))
        .subquery()
    )
    conn.execute(
        RoadmapItemCustomer.__table__.insert().from_select(
            ["item_id", "contact_id", "revenue"],
            select(ranked.c.item_id, ranked.c.contact_id, ranked.c.revenue).where(ranked.c.rank == 1),
        )
    )
    counts = {
        row[0]: row[1:]
        for row in conn.execute(
            select(
                RoadmapLinkFact.item_id,
                func.count(),
                func.sum(cast(RoadmapLinkFact.detractor, Integer)),
                func.sum(cast(RoadmapLinkFact.negative, Integer)),
            )
            .where(RoadmapLinkFact.workspace_id == workspace_id)
            .group_by(RoadmapLinkFact.item_id)
        )
    }
    people = {
        row[0]: row[1:]
        for row in conn.execute(
            select(RoadmapItemCustomer.item_id, func.count(), func.sum(RoadmapItemCustomer.revenue))
            .join(RoadmapItem, RoadmapItem.id == RoadmapItemCustomer.item_id)
            .where(RoadmapItem.workspace_id == workspace_id)
            .group_by(RoadmapItemCustomer.item_id)
        )
    }
    rows = []
    for item_id in conn.execute(
        select(RoadmapItem.id).where(RoadmapItem.workspace_id == workspace_id)
    ).scalars():
        n, detractors, negatives = counts.get(item_id, (0, 0, 0))
        customers, revenue = people.get(item_id, (0, 0.0))
        rows.append(
            {
                "item_id": item_id,
                "workspace_id": workspace_id,
                "responses": int(n),
                "detractors": int(detractors or 0),
                "negatives": int(negatives or 0),
                "customers": int(customers),
                "revenue": float(revenue or 0.0),
            }
        )
    for chunk in _chunks(rows):
        conn.execute(RoadmapImpact.__table__.insert(), chunk)


# ---- reading -----------------------------------------------------------------------------------


def ready(session: Session) -> bool:
    """False while links stored before the rollups existed wait for ``rollups rebuild``."""
    return session.get(RollupMark, PENDING) is None


def totals(session: Session, *, item_ids: list[str]) -> dict[str, dict]:
    """All-time figures per item id (zero when nothing is linked), from ``roadmap_impacts``."""
    result = {item_id: _figures(0, 0, 0, 0, 0.0) for item_id in item_ids}
    for chunk in _chunks(list(item_ids)):
        for row in session.execute(
            select(
                RoadmapImpact.item_id,
                RoadmapImpact.responses,
                RoadmapImpact.detractors,
                RoadmapImpact.negatives,
                RoadmapImpact.customers,
                RoadmapImpact.revenue,
            ).where(RoadmapImpact.item_id.in_(chunk))
        ):
            result[row[0]] = _figures(*row[1:])
    return result


def _survey_window(session: Session, *, workspace_id: str, filters) -> dict[str, tuple]:
    """Per item (n, detractors, negatives, customers, revenue) over one survey's window, with no
    sort: a customer's latest answer in the window is the fact flagged ``latest`` there, unless
    their latest answer of the survey lies after the window's end (then it is looked up among
    their facts in the window; none when the window ends after the survey's newest fact)."""
    facts = RoadmapLinkFact
    where = [facts.workspace_id == workspace_id, facts.survey_id == filters.survey_id]
    if filters.start:
        where.append(facts.submitted_at >= filters.start)
    if filters.end:
        where.append(facts.submitted_at < filters.end)
    found: dict[str, list] = {
        row[0]: list(row[1:])
        for row in session.execute(
            select(
                facts.item_id,
                func.count(),
                func.sum(cast(facts.detractor, Integer)),
                func.sum(cast(facts.negative, Integer)),
                func.count().filter(facts.latest),
                func.sum(facts.revenue).filter(facts.latest),
            )
            .where(*where)
            .group_by(facts.item_id)
        )
    }
    newest = session.execute(
        select(func.max(facts.submitted_at)).where(facts.survey_id == filters.survey_id)
    ).scalar()
    if filters.end and newest is not None and newest >= filters.end:
        later = aliased(RoadmapLinkFact)
        after_end = (
            select(literal(1))
            .where(
                later.item_id == facts.item_id,
                later.survey_id == facts.survey_id,
                later.contact_id == facts.contact_id,
                later.latest,
                later.submitted_at >= filters.end,
            )
            .exists()
        )
        rank = (
            func.row_number()
            .over(
                partition_by=(facts.item_id, facts.contact_id),
                order_by=(facts.submitted_at.desc(), facts.response_id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(facts.item_id, facts.revenue, rank)
            .where(*where, facts.contact_id.is_not(None), facts.latest.is_(False), after_end)
            .subquery()
        )
        for item_id, revenue in session.execute(
            select(ranked.c.item_id, ranked.c.revenue).where(ranked.c.rank == 1)
        ):
            figures = found[item_id]  # the fact itself counted it among the item's answers
            figures[3] += 1
            figures[4] = (figures[4] or 0.0) + revenue
    return {item_id: tuple(figures) for item_id, figures in found.items()}


def filtered(session: Session, *, workspace_id: str, item_ids: list[str], filters) -> dict[str, dict]:
    """Figures per item over one survey and/or time window (no segment), from the facts."""
    if filters.survey_id:
        figures = _survey_window(session, workspace_id=workspace_id, filters=filters)
    else:
        figures = _any_survey_window(session, workspace_id=workspace_id, item_ids=item_ids, filters=filters)
    result = {}
    for item_id in item_ids:
        n, detractors, negatives, customers, revenue = figures.get(item_id, (0, 0, 0, 0, 0.0))
        result[item_id] = _figures(int(n), int(detractors or 0), int(negatives or 0), customers, revenue)
    return result


def _any_survey_window(session: Session, *, workspace_id: str, item_ids: list[str], filters) -> dict:
    """Per item (n, detractors, negatives, customers, revenue) over a time window of every
    survey: each fact ranked within its (item, customer) in one scan."""
    where = [RoadmapLinkFact.workspace_id == workspace_id]
    if filters.start:
        where.append(RoadmapLinkFact.submitted_at >= filters.start)
    if filters.end:
        where.append(RoadmapLinkFact.submitted_at < filters.end)
    # One scan of the window: each row ranked within its (item, customer), so the counts and
    # each customer's latest revenue come out of the same pass.
    rank = (
        func.row_number()
        .over(
            partition_by=(RoadmapLinkFact.item_id, RoadmapLinkFact.contact_id),
            order_by=(RoadmapLinkFact.submitted_at.desc(), RoadmapLinkFact.response_id.desc()),
        )
        .label("rank")
    )
    window = (
        select(
            RoadmapLinkFact.item_id,
            RoadmapLinkFact.contact_id,
            cast(RoadmapLinkFact.detractor, Integer).label("detractor"),
            cast(RoadmapLinkFact.negative, Integer).label("negative"),
            RoadmapLinkFact.revenue,
            rank,
        )
        .where(*where)
        .subquery()
    )
    latest = and_(window.c.rank == 1, window.c.contact_id.is_not(None))
    wanted = set(item_ids)
    return {
        row[0]: row[1:]
        for row in session.execute(
            select(
                window.c.item_id,
                func.count(),
                func.sum(window.c.detractor),
                func.sum(window.c.negative),
                func.count().filter(latest),
                func.sum(window.c.revenue).filter(latest),
            ).group_by(window.c.item_id)
        )
        if row[0] in wanted
    }


def ranked_ids(
    session: Session, *, workspace_id: str, sort: str, status: str | None, offset: int, limit: int | None
) -> tuple[list[str], int, tuple[float, float]]:
    """One page of item ids best first by ``sort`` over ``roadmap_impacts`` (the same order as
    :func:`surveys.roadmap.impact.rank`), how many items are ranked, and the top detractors and
    revenue the ``score`` is relative to. The ordering runs in the database over one totals row
    per item; nothing joins links or answers."""
    impact = RoadmapImpact
    responses = func.coalesce(impact.responses, 0)
    detractors = func.coalesce(impact.detractors, 0)
    # Revenue as shown (2 decimals), so equal figures tie and fall back to the id order.
    revenue = cast(func.round(cast(func.coalesce(impact.revenue, 0.0), Numeric), 2), Float)
    if sort == "impact":
        top_detractors = func.coalesce(func.nullif(func.max(detractors).over(), 0), 1)
        top_revenue = func.coalesce(func.nullif(func.max(revenue).over(), 0), 1)
        key = (literal(0.5) * cast(detractors, Float)) / cast(top_detractors, Float) + (
            literal(0.5) * revenue
        ) / cast(top_revenue, Float)
    elif sort == "negative_share":
        share = cast(impact.negatives, Numeric) / cast(func.nullif(responses, 0), Numeric)
        key = func.coalesce(cast(func.round(share, 4), Float), 0.0)
    elif sort == "revenue":
        key = revenue
    else:
        key = func.coalesce(getattr(impact, sort), 0)
    inner = (
        select(RoadmapItem.id.label("id"), key.label("key"))
        .select_from(RoadmapItem)
        .outerjoin(impact, impact.item_id == RoadmapItem.id)
        .where(RoadmapItem.workspace_id == workspace_id, *([RoadmapItem.status == status] if status else []))
        .subquery()
    )
    query = select(inner.c.id).order_by(inner.c.key.desc(), inner.c.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    ids = list(session.execute(query).scalars())
    total, top_detractors, top_revenue = session.execute(
        select(func.count(), func.max(detractors), func.max(revenue))
        .select_from(RoadmapItem)
        .outerjoin(impact, impact.item_id == RoadmapItem.id)
        .where(RoadmapItem.workspace_id == workspace_id, *([RoadmapItem.status == status] if status else []))
    ).one()
    return ids, total, (top_detractors or 0, top_revenue or 0)
