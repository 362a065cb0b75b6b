"""After an erasure every figure equals a fresh rebuild from the answers that remain: daily
rollups (totals, attribute and segment dimensions), theme rollups and roadmap impact rollups."""

from datetime import timedelta

from sqlalchemy import select

from surveys.core.db import db
from surveys.metrics import rollups, theme_rollups
from surveys.metrics.models import SCORE_COLUMNS, DailyRollup, ThemeRollup
from surveys.response.models import Response
from surveys.roadmap import rollups as roadmap_rollups
from surveys.roadmap.models import RoadmapImpact, RoadmapItemCustomer, RoadmapLinkFact
from tests.support import metrics_data as data
from tests.support.helpers import create_survey
from tests.support.privacy import ANN_EMAIL, ANN_ID, person


def _rows(session, model, key, columns, keep=lambda row: True):
    session.expire_all()
    found = {}
    for row in session.execute(select(model)).scalars():
        if keep(row):
            values = tuple(
                round(v, 4) if isinstance(v, float) else v for v in (getattr(row, c) for c in columns)
            )
            found[tuple(getattr(row, k) for k in key)] = values
    return found


def _figures(session) -> dict:
    return {
        "daily": _rows(
            session,
            DailyRollup,
            ("survey_id", "day", "touchpoint_key", "dim", "value"),
            ("responses", "commented", *SCORE_COLUMNS),
            keep=lambda r: r.responses or r.commented,
        ),
        "themes": _rows(
            session,
            ThemeRollup,
            ("survey_id", "day", "segment_key", "theme_id"),
            ("mentions", "positive", "neutral", "negative", "compound_sum", *SCORE_COLUMNS),
            keep=lambda r: r.mentions,
        ),
        "facts": _rows(
            session,
            RoadmapLinkFact,
            ("item_id", "response_id"),
            ("contact_id", "detractor", "negative", "revenue", "latest"),
        ),
        "customers": _rows(session, RoadmapItemCustomer, ("item_id", "contact_id"), ("revenue",)),
        "impacts": _rows(
            session,
            RoadmapImpact,
            ("item_id",),
            ("responses", "detractors", "negatives", "customers", "revenue"),
            keep=lambda r: r.responses,
        ),
    }


def _rebuilt(session, workspace_id: str) -> dict:
    rollups.rebuild(session)
    theme_rollups.rebuild_themes(session)
    roadmap_rollups.rebuild(session, workspace_id=workspace_id)
    session.commit()
    return _figures(session)


def test_erasure_leaves_every_rollup_equal_to_a_rebuild(app, client, workspace, run_worker, db_session):
    h = workspace.headers
    survey = create_survey(client, h)
    others = data.generate(5, 160, "nps", survey["id"])
    ann = person(ANN_ID, ANN_EMAIL, plan="pro", arr=50_000)
    ann_rows = [
        {
            "id": f"ann-{i}",
            "survey_id": survey["id"],
            "score": i % 11,
            "comment": ["Slow reports and SSO trouble.", "Billing is confusing", None][i % 3],
            "submitted_at": (data.START + timedelta(days=i * 2, hours=3)).isoformat(),
            "contact": ann,
        }
        for i in range(14)
    ]
    data.post_all(client, h, others + ann_rows)
    segment = client.post(
        "/api/v1/segments",
        headers=h,
        json={"name": "Pro", "conditions": [{"field": "attributes.plan", "op": "eq", "value": "pro"}]},
    )
    assert segment.status_code == 201
    item = client.post("/api/v1/roadmap-items", headers=h, json={"title": "Speed", "keywords": ["slow"]})
    assert item.status_code == 201
    run_worker()  # analyses, theme rollups, roadmap links
    with app.app_context():
        theme_rollups.sync(db.session)
        db.session.commit()
    before = _figures(db_session)
    assert before["themes"] and before["facts"] and before["impacts"]
    assert before["customers"]

    reply = client.post("/api/v1/privacy/erasure", json={"email": ANN_EMAIL}, headers=h)
    assert reply.status_code == 202
    run_worker()
    kept = _figures(db_session)
    assert kept != before
    # Her 14 answers left the overall count; the figures are those of the answers that remain.
    overall = lambda figures: sum(v[0] for k, v in figures["daily"].items() if k[3] == "")  # noqa: E731
    assert overall(before) - overall(kept) == 14
    remaining = db_session.scalar(select(Response.id).where(Response.external_id.like("ann-%")))
    assert remaining is None
    assert kept == _rebuilt(db_session, workspace.workspace.id)
