"""``GET /api/v1/roadmap-items?sort=`` pages over the rollups: every item exactly once, in the
order an independent computation gives (Python over the rows this test made), figures included;
filtered lists (a survey and window) agree with the same computation."""

import random
from datetime import timedelta
from urllib.parse import quote

from surveys.contact.models import Contact
from surveys.core.db import db, utcnow
from surveys.response.models import Response
from surveys.roadmap.models import RoadmapItem, RoadmapLink
from surveys.survey.models import Survey

URL = "/api/v1/roadmap-items"


def _world(app, workspace_id: str, rng: random.Random):
    """Items with links to answers of varied scores, customers and ARR; some items unlinked."""
    with app.app_context():
        surveys = [Survey(workspace_id=workspace_id, name=k, kind=k, question="Q?") for k in ("nps", "csat")]
        contacts = [Contact(workspace_id=workspace_id, external_id=f"c{i}", attributes={}) for i in range(15)]
        items = [RoadmapItem(workspace_id=workspace_id, title=f"Item {i}", status="idea") for i in range(13)]
        db.session.add_all([*surveys, *contacts, *items])
        db.session.flush()
        now = utcnow()
        rows, links = [], []
        for i in range(160):
            survey = rng.choice(surveys)
            contact = rng.choice([*contacts, None])
            response = Response(
                workspace_id=workspace_id,
                survey_id=survey.id,
                contact_id=contact.id if contact else None,
                score=rng.randint(0, 10) if survey.kind == "nps" else rng.randint(1, 5),
                comment="text",
                completed=True,
                source="api",
                meta={},
                attributes={"arr": rng.choice([0, 500, 1200, 40_000])},
                submitted_at=now - timedelta(days=rng.randrange(40), minutes=i),
            )
            rows.append(response)
        db.session.add_all(rows)
        db.session.flush()
        for item in items[:10]:  # three items stay without feedback: they tie at zero
            for response in rng.sample(rows, rng.randint(1, 30)):
                db.session.add(RoadmapLink(item_id=item.id, response_id=response.id, source="manual"))
                links.append((item.id, response))
        db.session.commit()
        kinds = {s.id: s.kind for s in surveys}
        facts = [
            (
                item_id,
                r.id,
                r.survey_id,
                kinds[r.survey_id],
                r.score,
                r.contact_id,
                r.attributes["arr"],
                r.submitted_at,
            )
            for item_id, r in links
        ]
        ids = [item.id for item in items]
        survey_id = surveys[0].id
        db.session.remove()
    return ids, facts, survey_id


def _independent(ids, facts, keep=lambda f: True) -> dict[str, dict]:
    figures = {}
    for item_id in ids:
        mine = [f for f in facts if f[0] == item_id and keep(f)]
        latest = {}
        for f in mine:
            if f[5] and (f[5] not in latest or (f[7], f[1]) > (latest[f[5]][7], latest[f[5]][1])):
                latest[f[5]] = f
        detractors = sum(1 for f in mine if (f[4] <= 6 if f[3] == "nps" else f[4] <= 2))
        figures[item_id] = {
            "responses": len(mine),
            "detractors": detractors,
            "customers": len(latest),
            "revenue": sum(f[6] for f in latest.values()),
        }
    top_d = max(f["detractors"] for f in figures.values()) or 1
    top_r = max(f["revenue"] for f in figures.values()) or 1
    for f in figures.values():
        f["blend"] = 0.5 * f["detractors"] / top_d + 0.5 * f["revenue"] / top_r
    return figures


def _pages(client, headers, query: str, limit: int) -> list[dict]:
    found, cursor, pages = [], None, 0
    while True:
        reply = client.get(
            f"{URL}?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else ""), headers=headers
        )
        assert reply.status_code == 200, reply.json
        assert len(reply.json["items"]) <= limit
        found += reply.json["items"]
        pages += 1
        cursor = reply.json["next_cursor"]
        if cursor is None:
            return found
        assert pages < 20


def test_roadmap_sort_impact_pages_every_item_once_in_independent_order(app, client, workspace):
    ids, facts, survey_id = _world(app, workspace.workspace.id, random.Random(5))
    expected = _independent(ids, facts)
    for sort, key in (("impact", "blend"), ("revenue", "revenue"), ("detractors", "detractors")):
        listed = _pages(client, workspace.headers, f"sort={sort}", 4)
        order = [item["id"] for item in listed]
        assert sorted(order) == sorted(ids) and len(order) == len(set(order)), sort
        assert order == sorted(sorted(ids, reverse=True), key=lambda i: -expected[i][key]), sort
        for item in listed:
            for name in ("responses", "detractors", "customers", "revenue"):
                assert item["impact"][name] == expected[item["id"]][name], (sort, name)
        if sort == "impact":
            assert [i["impact"]["score"] for i in listed] == [round(expected[i][key], 4) for i in order]

    # A survey and window: served from the link facts, the same independent figures.
    start = utcnow() - timedelta(days=15)
    windowed = _independent(ids, facts, keep=lambda f: f[2] == survey_id and f[7] >= start)
    listed = _pages(
        client, workspace.headers, f"sort=impact&survey_id={survey_id}&from={quote(start.isoformat())}", 5
    )
    order = [item["id"] for item in listed]
    assert order == sorted(sorted(ids, reverse=True), key=lambda i: -windowed[i]["blend"])
    for item in listed:
        assert item["impact"]["customers"] == windowed[item["id"]]["customers"]
        assert item["impact"]["revenue"] == windowed[item["id"]]["revenue"]

    # One item's view agrees with the list.
    one = client.get(f"{URL}/{order[0]}", headers=workspace.headers).json
    assert one["impact"]["responses"] == expected[order[0]]["responses"]
