"""Roadmap services (surveys/roadmap*.py): automatic mapping after analysis and after item
changes, manual links and exclusions surviving re-mapping, and impact figures checked against an
independent computation over a generated data set."""

import random
from datetime import timedelta

from sqlalchemy import event, select

from nlp import ANALYZER_VERSION
from nlp.keywords import KeywordMatcher
from surveys.analysis import service as analysis
from surveys.analysis.models import Analysis, ResponseTheme, Theme
from surveys.contact.models import Contact
from surveys.core import jobs
from surveys.core.db import db, utcnow
from surveys.response.models import Response
from surveys.roadmap import service
from surveys.roadmap.impact import ImpactFilters, compute_impact, rank
from surveys.roadmap.mapping import map_responses, remap_item
from surveys.roadmap.models import RoadmapItem, RoadmapLink
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace
from surveys.workspace.service import create_workspace
from vocservice.api.serializers import response_body


def _theme_id(name: str) -> str:
    return db.session.execute(
        select(Theme.id).join(Workspace).where(Workspace.slug == "acme", Theme.name == name)
    ).scalar_one()


def _responses(workspace_id: str, comments: list[str | None], *, kind: str = "nps") -> list[str]:
    survey = Survey(workspace_id=workspace_id, name=kind, kind=kind, question="Q?")
    db.session.add(survey)
    db.session.flush()
    rows = [
        Response(
            workspace_id=workspace_id,
            survey_id=survey.id,
            score=3,
            comment=c,
            completed=True,
            source="api",
            meta={},
            attributes={},
            submitted_at=utcnow() - timedelta(minutes=i),
        )
        for i, c in enumerate(comments)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


def _links(item_id: str) -> dict[str, str]:
    return dict(
        db.session.execute(
            select(RoadmapLink.response_id, RoadmapLink.source).where(RoadmapLink.item_id == item_id)
        ).all()
    )


def test_roadmap_keyword_matcher_matches_whole_words_and_inflections():
    matcher = KeywordMatcher(["SSO", "per seat", "c++"])
    assert matcher.find("our sso login fails")
    assert matcher.find("Pricing PER   seat is odd")
    assert matcher.find("we write C++ here")
    assert not matcher.find("a lasso and ssonic")
    assert matcher.find("per seats")  # an inflection counts, like a theme keyword's (issue 13)
    assert not KeywordMatcher(["  ", ""])


def test_roadmap_responses_linked_when_their_analysis_is_stored(app, workspace, db_session):
    ws = db_session.get(Workspace, workspace.workspace.id)
    item = service.create_item(
        db_session,
        workspace=ws,
        data={"title": "Fair pricing", "theme_ids": [_theme_id("pricing")], "keywords": ["okta"]},
    )
    db_session.commit()
    ids = _responses(
        ws.id,
        [
            "Way too expensive for us.",
            "Okta login breaks daily.",
            "Support was lovely.",
            "Lokta is not a word",
            None,
        ],
    )
    assert _links(item.id) == {}  # nothing is mapped before the analysis is stored
    result = analysis.analyze_responses(db_session, response_ids=ids)
    assert (result.done, result.skipped) == (4, 1)  # no comment: done when stored, no job
    assert _links(item.id) == {ids[0]: "auto", ids[1]: "auto"}
    response = db_session.get(Response, ids[1])
    assert response_body(response)["analysis"]["roadmap_items"] == [{"id": item.id, "title": "Fair pricing"}]
    assert response_body(db_session.get(Response, ids[2]))["analysis"]["roadmap_items"] == []


def test_roadmap_remap_keeps_manual_links_and_exclusions(app, workspace, db_session, run_worker):
    ws = db_session.get(Workspace, workspace.workspace.id)
    ids = _responses(
        ws.id,
        [
            "Salesforce drops records.",
            "The salesforce sync is slow.",
            "Sync fails at night.",
            "Nice colours.",
        ],
    )
    item = service.create_item(
        db_session, workspace=ws, data={"title": "Salesforce", "keywords": ["salesforce"]}
    )
    db_session.commit()
    assert item.remap_requested_at is not None
    run_worker()  # analysis of the responses and the item's re-mapping job
    db_session.expire_all()
    assert _links(item.id) == {ids[0]: "auto", ids[1]: "auto"}
    assert db_session.get(RoadmapItem, item.id).remap_requested_at is None

    service.link_response(db_session, workspace=ws, item_id=item.id, response_id=ids[3])
    service.unlink_response(db_session, workspace=ws, item_id=item.id, response_id=ids[0])
    db_session.commit()
    service.update_item(db_session, workspace=ws, item_id=item.id, data={"keywords": ["salesforce", "sync"]})
    db_session.commit()
    assert run_worker() == 1
    db_session.expire_all()
    assert _links(item.id) == {ids[0]: "excluded", ids[1]: "auto", ids[2]: "auto", ids[3]: "manual"}

    # Re-analysis (e.g. after a theme change) re-maps responses without reviving the exclusion.
    map_responses(db_session, workspace_id=ws.id, response_ids=ids)
    service.update_item(db_session, workspace=ws, item_id=item.id, data={"keywords": []})
    remap_item(db_session, item_id=item.id)
    db_session.commit()
    assert _links(item.id) == {ids[0]: "excluded", ids[3]: "manual"}


def test_roadmap_manual_link_is_idempotent_and_upgrades_auto(app, workspace, db_session):
    ws = db_session.get(Workspace, workspace.workspace.id)
    ids = _responses(ws.id, ["okta again", "unrelated"])
    item = service.create_item(db_session, workspace=ws, data={"title": "SSO", "keywords": ["okta"]})
    remap_item(db_session, item_id=item.id)
    assert service.link_response(db_session, workspace=ws, item_id=item.id, response_id=ids[1])[1] is True
    assert service.link_response(db_session, workspace=ws, item_id=item.id, response_id=ids[1])[1] is False
    link, created = service.link_response(db_session, workspace=ws, item_id=item.id, response_id=ids[0])
    assert (created, link.source) == (False, "manual")  # was auto: now kept by re-mapping
    db_session.commit()
    assert _links(item.id) == {ids[0]: "manual", ids[1]: "manual"}


def _generated(rng: random.Random, ws: Workspace, other: Workspace):
    """A small world: three survey kinds, customers whose ARR snapshot changes over time, and
    links of every source to two items, with theme and overall sentiments set directly."""
    surveys_ = [Survey(workspace_id=ws.id, name=k, kind=k, question="Q?") for k in ("nps", "csat", "ces")]
    contacts = [Contact(workspace_id=ws.id, external_id=f"c{i}", attributes={}) for i in range(25)]
    db.session.add_all([*surveys_, *contacts])
    db.session.flush()
    theme = _theme_id("pricing")
    items = [
        service.create_item(db.session, workspace=ws, data={"title": t, "theme_ids": th})
        for t, th in (("A", [theme]), ("B", []))
    ]
    scale = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    now = utcnow()
    rows = []
    for i in range(240):
        survey = rng.choice(surveys_)
        contact = rng.choice(contacts + [None])  # some anonymous answers
        arr = rng.choice([1000, 2500, 50_000, "12000", "n/a", None, True])
        attributes = {"arr": arr} if arr is not None else {}
        rows.append(
            Response(
                workspace_id=ws.id,
                survey_id=survey.id,
                contact_id=contact.id if contact else None,
                score=rng.randint(*scale[survey.kind]),
                comment="text",
                completed=True,
                source="api",
                meta={},
                attributes=attributes,
                submitted_at=now - timedelta(days=rng.randrange(60), minutes=i),
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    facts = []
    for response in rows:
        overall = rng.choice(["positive", "negative", "neutral", None])
        db.session.add(
            Analysis(
                response_id=response.id,
                analyzer_version=ANALYZER_VERSION,
                taxonomy_version=1,
                sentiment_label=overall,
                themes=[],
            )
        )
        theme_label = rng.choice([None, "negative", "positive"])
        if theme_label:
            db.session.add(
                ResponseTheme(
                    response_id=response.id,
                    theme_id=theme,
                    workspace_id=ws.id,
                    sentiment_label=theme_label,
                    sentiment_compound=0.0,
                )
            )
        for item in items:
            source = rng.choice(["auto", "manual", "excluded", None, None])
            if source:
                db.session.add(RoadmapLink(item_id=item.id, response_id=response.id, source=source))
                facts.append((item, response, source, overall, theme_label if item.title == "A" else None))
    # Another workspace's response linked to nothing of ours must never count.
    stranger = Survey(workspace_id=other.id, name="x", kind="nps", question="Q?")
    db.session.add(stranger)
    db.session.flush()
    db.session.add(
        Response(
            workspace_id=other.id,
            survey_id=stranger.id,
            score=0,
            completed=True,
            source="api",
            meta={},
            attributes={"arr": 10**6},
            submitted_at=now,
        )
    )
    db.session.commit()
    kinds = {s.id: s.kind for s in surveys_}
    return items, facts, kinds


def _expected(facts, kinds, item, keep=lambda r: True) -> dict:
    linked = [
        (r, overall, theme)
        for i, r, source, overall, theme in facts
        if i.id == item.id and source != "excluded" and keep(r)
    ]
    detractor = {"nps": lambda s: s <= 6, "csat": lambda s: s <= 2, "ces": lambda s: s <= 3}
    latest: dict[str, Response] = {}
    for r, _, _ in linked:
        if r.contact_id and (
            r.contact_id not in latest
            or (r.submitted_at, r.id) > (latest[r.contact_id].submitted_at, latest[r.contact_id].id)
        ):
            latest[r.contact_id] = r
    revenue = 0.0
    for r in latest.values():
        value = r.attributes.get("arr")
        if isinstance(value, int) and not isinstance(value, bool):
            revenue += value
        elif isinstance(value, str) and value.strip().isdigit():
            revenue += int(value)
    negative = sum(
        1
        for _, overall, theme in linked
        if (theme == "negative") or (theme is None and overall == "negative")
    )
    return {
        "responses": len(linked),
        "detractors": sum(1 for r, _, _ in linked if detractor[kinds[r.survey_id]](r.score)),
        "customers": len(latest),
        "revenue": revenue,
        "negative_share": round(negative / len(linked), 4) if linked else None,
    }


def test_roadmap_impact_matches_an_independent_computation(app, workspace, db_session):
    ws = db_session.get(Workspace, workspace.workspace.id)
    other = create_workspace(db_session, name="Other", slug="other")
    items, facts, kinds = _generated(random.Random(7), ws, other)
    ids = [i.id for i in items]
    figures = compute_impact(db_session, workspace=ws, item_ids=ids)
    for item in items:
        expected = _expected(facts, kinds, item)
        assert expected["responses"] > 50  # the data set exercises every branch
        assert figures[item.id] == expected, item.title

    survey_id = next(s for s, k in kinds.items() if k == "csat")
    start = utcnow() - timedelta(days=30)
    filtered = compute_impact(
        db_session, workspace=ws, item_ids=ids, filters=ImpactFilters(survey_id=survey_id, start=start)
    )
    for item in items:
        assert filtered[item.id] == _expected(
            facts, kinds, item, keep=lambda r: r.survey_id == survey_id and r.submitted_at >= start
        )

    ws.revenue_attribute = "seats"  # nobody has it: revenue is zero, the rest unchanged
    assert compute_impact(db_session, workspace=ws, item_ids=ids)[ids[0]]["revenue"] == 0
    order = rank(figures, "detractors")
    assert figures[order[0]]["detractors"] >= figures[order[1]]["detractors"]


def test_roadmap_impact_segment_filter(app, workspace, db_session):
    from surveys.segment.service import create_segment

    ws = db_session.get(Workspace, workspace.workspace.id)
    ids = _responses(ws.id, ["okta", "okta", "okta"])
    for response_id, plan in zip(ids, ["enterprise", "starter", "enterprise"], strict=True):
        db_session.get(Response, response_id).attributes = {"plan": plan}
    item = service.create_item(db_session, workspace=ws, data={"title": "SSO", "keywords": ["okta"]})
    remap_item(db_session, item_id=item.id)
    segment = create_segment(
        db_session,
        workspace=ws,
        data={
            "name": "Enterprise",
            "conditions": [{"field": "attributes.plan", "op": "eq", "value": "enterprise"}],
        },
    )
    db_session.commit()
    figures = compute_impact(
        db_session, workspace=ws, item_ids=[item.id], filters=ImpactFilters(segment_id=segment.id)
    )
    assert figures[item.id]["responses"] == 2 and figures[item.id]["detractors"] == 2


def test_roadmap_tick_re_enqueues_a_lost_remap(app, workspace, db_session, run_worker):
    from surveys.tick import run_tick

    ws = db_session.get(Workspace, workspace.workspace.id)
    ids = _responses(ws.id, ["okta!"])
    item = service.create_item(db_session, workspace=ws, data={"title": "SSO", "keywords": ["okta"]})
    jobs.take_deferred(db_session)  # the queue lost the job
    item.remap_requested_at = utcnow() - timedelta(hours=1)
    db_session.commit()
    enqueued = []

    def lose_jobs(session):  # runs before the queue's own listener: the jobs never reach Redis
        enqueued.extend(jobs.take_deferred(session))

    event.listen(db_session, "after_commit", lose_jobs, insert=True)
    try:
        counts = run_tick(db_session, now=utcnow()).counts
    finally:
        event.remove(db_session, "after_commit", lose_jobs)
    assert counts["roadmap_remaps_enqueued"] == 1
    assert (jobs.REMAP_ROADMAP_ITEM, (item.id,)) in enqueued
    # Just re-enqueued: the next tick leaves it alone while the job is queued.
    assert run_tick(db_session).counts["roadmap_remaps_enqueued"] == 0
    from vocservice.jobs import remap_roadmap_item

    assert remap_roadmap_item(item.id, _app=app) == {"added": 1, "removed": 0}
    db_session.expire_all()
    assert _links(item.id) == {ids[0]: "auto"}
    assert db_session.get(RoadmapItem, item.id).remap_requested_at is None
