"""Roadmap impact rollups (surveys/roadmap/rollups.py): kept in step with answers, links,
deletions, corrections and item edits, they equal both a rebuild from scratch and the raw
computation (and an independent one in Python); filtered reads from the link facts too."""

import random
from datetime import timedelta

from sqlalchemy import select

from surveys.analysis.corrections import correct_tag
from surveys.analysis.models import ResponseTheme
from surveys.core.db import utcnow
from surveys.metrics.models import RollupMark
from surveys.response.models import Response
from surveys.response.service import delete_response
from surveys.roadmap import rollups, service
from surveys.roadmap.impact import ImpactFilters, compute_impact, impact
from surveys.roadmap.mapping import remap_item
from surveys.roadmap.models import RoadmapImpact, RoadmapItemCustomer, RoadmapLink, RoadmapLinkFact
from surveys.workspace.models import Workspace
from surveys.workspace.service import create_workspace
from tests.surveys.roadmap.test_service import _expected, _generated, _theme_id


def _tables(session) -> dict:
    """Every rollup row, comparable (revenue to the cent: sums of floats in another order)."""

    def rows(model, key, columns):
        return sorted(
            tuple(round(v, 2) if isinstance(v, float) else v for v in row)
            for row in session.execute(select(*[getattr(model, c) for c in (*key, *columns)]))
        )

    return {
        "facts": rows(
            RoadmapLinkFact,
            ("item_id", "response_id"),
            ("survey_id", "submitted_at", "contact_id", "detractor", "negative", "revenue", "latest"),
        ),
        "customers": rows(RoadmapItemCustomer, ("item_id", "contact_id"), ("revenue",)),
        "totals": [
            row
            for row in rows(
                RoadmapImpact,
                ("item_id",),
                ("responses", "detractors", "negatives", "customers", "revenue"),
            )
            if any(row[1:])  # an item whose links all went keeps a zero row; a rebuild too
        ],
    }


def _check(session, ws: Workspace, ids: list[str]) -> dict:
    """Kept rollups == raw computation (all time and one filtered window) == a rebuild."""
    session.flush()
    raw = compute_impact(session, workspace=ws, item_ids=ids)
    assert rollups.totals(session, item_ids=ids) == raw
    window = ImpactFilters(start=utcnow() - timedelta(days=20), end=utcnow() - timedelta(days=2))
    assert rollups.filtered(session, workspace_id=ws.id, item_ids=ids, filters=window) == compute_impact(
        session, workspace=ws, item_ids=ids, filters=window
    )
    # One survey (the flagged latest facts): windows ending before, at and after the newest
    # answers, so customers whose latest answer lies after the window are looked up too.
    surveys = set(session.execute(select(RoadmapLinkFact.survey_id).distinct()).scalars())
    for survey_id in sorted(surveys):
        for start, end in (
            (utcnow() - timedelta(days=20), utcnow() - timedelta(days=2)),
            (utcnow() - timedelta(days=45), None),
            (None, utcnow() - timedelta(days=10)),
            (None, utcnow() + timedelta(days=1)),
        ):
            window = ImpactFilters(survey_id=survey_id, start=start, end=end)
            fast = rollups.filtered(session, workspace_id=ws.id, item_ids=ids, filters=window)
            assert fast == compute_impact(session, workspace=ws, item_ids=ids, filters=window), window
    kept = _tables(session)
    rollups.rebuild(session, workspace_id=ws.id)
    assert _tables(session) == kept
    return raw


def test_roadmap_rollups_match_raw_independent_and_rebuild_through_changes(app, workspace, db_session):
    ws = db_session.get(Workspace, workspace.workspace.id)
    other = create_workspace(db_session, name="Other", slug="other")
    items, facts, kinds = _generated(random.Random(11), ws, other)
    ids = [i.id for i in items]

    # Kept on flush while the links and analyses were stored: equal to the independent figures.
    figures = impact(db_session, workspace=ws, item_ids=ids)
    for item in items:
        assert figures[item.id] == _expected(facts, kinds, item), item.title
    survey_id = next(s for s, k in kinds.items() if k == "nps")
    start = utcnow() - timedelta(days=30)
    window = impact(
        db_session, workspace=ws, item_ids=ids, filters=ImpactFilters(survey_id=survey_id, start=start)
    )
    for item in items:
        keep = lambda r: r.survey_id == survey_id and r.submitted_at >= start  # noqa: E731
        assert window[item.id] == _expected(facts, kinds, item, keep=keep)
    before = _check(db_session, ws, ids)
    assert before[ids[0]]["customers"] > 5 and before[ids[0]]["revenue"] > 0

    linked = [r for i, r, source, _, _ in facts if i.id == ids[0] and source in ("auto", "manual")]
    # A score, a customer's ARR snapshot and an answer's time change through the ORM.
    linked[0].score = 10 if linked[0].score < 5 else 0
    linked[1].attributes = {"arr": 777_777}
    linked[2].submitted_at = utcnow() - timedelta(days=90)
    linked[3].completed = False
    db_session.commit()
    after = _check(db_session, ws, ids)
    assert after != before

    # Deleting answers (one linked to both items if any).
    delete_response(db_session, workspace_id=ws.id, response_id=linked[4].id)
    delete_response(db_session, workspace_id=ws.id, response_id=linked[5].id)
    db_session.commit()
    assert _check(db_session, ws, ids)[ids[0]]["responses"] < after[ids[0]]["responses"]

    # Manual link and unlink.
    unlinked = [
        r
        for r in db_session.execute(select(Response).where(Response.workspace_id == ws.id)).scalars()
        if not db_session.get(RoadmapLink, (ids[1], r.id))
    ]
    service.link_response(db_session, workspace=ws, item_id=ids[1], response_id=unlinked[0].id)
    service.unlink_response(db_session, workspace=ws, item_id=ids[0], response_id=linked[6].id)
    db_session.commit()
    _check(db_session, ws, ids)

    # A tag correction changes the theme sentiment an item counts as negative.
    theme = _theme_id("pricing")
    tagged = db_session.execute(
        select(ResponseTheme.response_id).where(
            ResponseTheme.workspace_id == ws.id, ResponseTheme.theme_id == theme
        )
    ).scalars()
    target = next(r for r in tagged if db_session.get(RoadmapLink, (ids[0], r)))
    correct_tag(
        db_session, workspace_id=ws.id, response_id=target, theme_id=theme, action="remove", user_id=None
    )
    db_session.commit()
    _check(db_session, ws, ids)

    # An item's themes change and it is re-mapped: every auto link and negative flag follows.
    service.update_item(db_session, workspace=ws, item_id=ids[1], data={"theme_ids": [theme]})
    remap_item(db_session, item_id=ids[1])
    db_session.commit()
    _check(db_session, ws, ids)

    # The revenue attribute changes: the workspace is rebuilt on flush.
    ws.revenue_attribute = "seats"
    db_session.commit()
    assert all(f["revenue"] == 0 for f in _check(db_session, ws, ids).values())

    # Deleting an item leaves no rollup row behind.
    service.delete_item(db_session, workspace=ws, item_id=ids[0])
    db_session.commit()
    assert not db_session.execute(select(RoadmapLinkFact).where(RoadmapLinkFact.item_id == ids[0])).first()
    assert not db_session.execute(select(RoadmapImpact).where(RoadmapImpact.item_id == ids[0])).first()


def test_roadmap_rollups_pending_mark_reads_raw_until_rebuilt(app, workspace, db_session):
    ws = db_session.get(Workspace, workspace.workspace.id)
    other = create_workspace(db_session, name="Other", slug="other")
    items, facts, kinds = _generated(random.Random(3), ws, other)
    ids = [i.id for i in items]
    # As after migration 0010 over stored links: the rollups are empty and marked pending.
    for model in (RoadmapLinkFact, RoadmapItemCustomer, RoadmapImpact):
        db_session.execute(model.__table__.delete())
    db_session.add(RollupMark(name=rollups.PENDING, at=utcnow(), info={}))
    db_session.commit()
    assert not rollups.ready(db_session)
    assert impact(db_session, workspace=ws, item_ids=ids) == compute_impact(
        db_session, workspace=ws, item_ids=ids
    )
    rollups.rebuild(db_session)
    db_session.commit()
    assert rollups.ready(db_session)
    assert rollups.totals(db_session, item_ids=ids) == compute_impact(db_session, workspace=ws, item_ids=ids)
    for item in items:
        assert rollups.totals(db_session, item_ids=ids)[item.id] == _expected(facts, kinds, item)
