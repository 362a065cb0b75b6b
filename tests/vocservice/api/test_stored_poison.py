"""Stored poison: values written before they were checked (by raw SQL here: a 400-digit integer,
"NaN", an object, a boolean where revenue is expected) never turn a workspace's pages into 500s.
Every reader counts them as "not a number"; the writers refuse them with the field path."""

from sqlalchemy import select, text

from surveys.contact.models import Contact
from surveys.core.db import db
from surveys.event.models import Event
from surveys.metrics import rollups as daily_rollups
from surveys.response.models import Response
from surveys.roadmap import rollups
from tests.support.helpers import create_survey, create_touchpoint, event, table_count
from tests.support.webapp import login, make_user

HUGE = "9" * 400
# (contact, score, arr, comment); c-1..c-4 are linked to the item by "slow".
ANSWERS = [
    ("c-1", 2, 50_000, "Reports are slow."),
    ("c-2", 3, 20_000, "The dashboard is slow."),
    ("c-3", 4, 7_000, "Exports are slow."),
    ("c-4", 9, 1_000, "Slow at times but fine."),
    ("c-5", 10, 80_000, "Great support."),
]
# Poison replaces the arr of c-2 (a huge number), c-3 ("NaN") and c-4 (an object) on their
# answers and their contacts; c-5's arr becomes a boolean.
POISON = {"c-2": HUGE, "c-3": '"NaN"', "c-4": '{"amount": 5}', "c-5": "true"}


def _story(app, client, workspace, run_worker) -> dict:
    h = workspace.headers
    survey = create_survey(client, h)
    ids = {}
    for contact, score, arr, comment in ANSWERS:
        reply = client.post(
            "/api/v1/responses",
            headers=h,
            json={
                "survey_id": survey["id"],
                "score": score,
                "comment": comment,
                "contact": {"external_id": contact, "attributes": {"arr": arr, "plan": "pro"}},
            },
        )
        assert reply.status_code == 201, reply.json
        ids[contact] = reply.json["id"]
    item = client.post("/api/v1/roadmap-items", headers=h, json={"title": "Speed", "keywords": ["slow"]}).json
    segment = client.post(
        "/api/v1/segments",
        headers=h,
        json={"name": "Big", "conditions": [{"field": "attributes.arr", "op": "gt", "value": 5000}]},
    ).json
    run_worker()
    with app.app_context():
        for contact, raw in POISON.items():
            params = {"raw": raw, "contact": contact, "ws": workspace.workspace.id}
            db.session.execute(
                text(
                    "UPDATE responses SET attributes = jsonb_set(attributes, '{arr}', CAST(:raw AS jsonb))"
                    " WHERE contact_id = (SELECT id FROM contacts WHERE external_id = :contact"
                    " AND workspace_id = :ws)"
                ),
                params,
            )
            db.session.execute(
                text(
                    "UPDATE contacts SET attributes = jsonb_set(attributes, '{arr}', CAST(:raw AS jsonb))"
                    " WHERE external_id = :contact AND workspace_id = :ws"
                ),
                params,
            )
        # Raw SQL bypassed the ORM: as after any such write, the rollups are rebuilt (what
        # `vocservice rollups rebuild` runs), from the poisoned rows: the roadmap's, and the daily
        # rollups a saved segment keeps.
        rollups.rebuild(db.session)
        daily_rollups.rebuild(db.session)
        db.session.commit()
        db.session.remove()
    return {"survey_id": survey["id"], "item_id": item["id"], "segment_id": segment["id"], "ids": ids}


def test_stored_poison_never_breaks_pages_or_figures(app, client, workspace, run_worker):
    story = _story(app, client, workspace, run_worker)
    h = workspace.headers

    ranked = client.get("/api/v1/roadmap-items?sort=impact", headers=h)
    assert ranked.status_code == 200, ranked.json
    impact = ranked.json["items"][0]["impact"]
    # Four linked customers; only c-1's revenue is a number we accept.
    assert (impact["responses"], impact["customers"], impact["revenue"]) == (4, 4, 50_000)
    for sort in ("revenue", "customers"):
        assert client.get(f"/api/v1/roadmap-items?sort={sort}", headers=h).status_code == 200
    one = client.get(f"/api/v1/roadmap-items/{story['item_id']}", headers=h)
    assert one.status_code == 200 and one.json["impact"]["revenue"] == 50_000

    # The segment "arr > 5000": c-1 only (c-2's 400 digits, "NaN", objects, booleans are no numbers).
    metrics = client.get(
        f"/api/v1/metrics?survey_id={story['survey_id']}&segment_id={story['segment_id']}", headers=h
    )
    assert metrics.status_code == 200, metrics.json
    assert metrics.json["overall"]["responses"] == 1
    grouped = client.get(f"/api/v1/metrics?survey_id={story['survey_id']}&group_by=attributes.arr", headers=h)
    assert grouped.status_code == 200 and sum(g["responses"] for g in grouped.json["groups"]) == 5
    listed = client.get(f"/api/v1/responses?segment_id={story['segment_id']}", headers=h)
    assert listed.status_code == 200 and [r["id"] for r in listed.json["items"]] == [story["ids"]["c-1"]]
    insights = client.get(
        f"/api/v1/insights/themes?survey_id={story['survey_id']}&segment_id={story['segment_id']}", headers=h
    )
    assert insights.status_code == 200

    make_user(app, workspace.workspace.id)
    login(client)
    for page in ("/app", "/app/roadmap", f"/app/feedback?segment={story['segment_id']}", "/app/feedback"):
        reply = client.get(page)
        assert reply.status_code == 200, page
    assert "50,000" in client.get("/app/roadmap").text


def test_stored_poison_in_contact_attributes_does_not_block_events(app, client, workspace, run_worker):
    _story(app, client, workspace, run_worker)
    survey = create_survey(client, workspace.headers, name="After delivery")
    create_touchpoint(
        client,
        workspace.headers,
        survey["id"],
        conditions=[{"field": "contact.attributes.arr", "op": "gt", "value": 100}],
    )
    # c-2 holds a 400-digit arr: not a number, so the condition does not hold, and no error.
    body = event(contact="c-2")
    body["contact"]["attributes"] = {"plan": "pro"}
    reply = client.post("/api/v1/events", json=body, headers=workspace.key_headers("ingest"))
    assert reply.status_code == 202, reply.json
    assert [i["reason"] for i in reply.json["invitations"]] == ["conditions_not_met"]


def test_stored_poison_writers_refuse_non_finite_and_huge_numbers(app, client, workspace):
    ingest = workspace.key_headers("ingest")
    survey = create_survey(client, workspace.headers)
    bad_events = [
        ('{"arr": ' + HUGE + "}", "attributes"),
        ('{"arr": 1e400}', "attributes"),
        ('{"arr": NaN}', "attributes"),
        ('{"arr": 9007199254740993}', "attributes"),
        ('{"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}', "attributes"),
    ]
    for attributes, field in bad_events:
        raw = (
            f'{{"id": "e-{len(attributes)}", "name": "order.delivered",'
            f' "contact": {{"external_id": "p-1", "attributes": {attributes}}}}}'
        )
        reply = client.post(
            "/api/v1/events", data=raw, headers={**ingest, "Content-Type": "application/json"}
        )
        assert reply.status_code in (400, 422), (attributes, reply.status_code)
        assert reply.mimetype == "application/problem+json"
        if reply.status_code == 422:
            assert field in str(reply.json["errors"]), reply.json
    reply = client.post(
        "/api/v1/responses",
        headers=ingest,
        json={"survey_id": survey["id"], "score": 5, "metadata": {"weight": 2**60}},
    )
    assert reply.status_code == 422 and "weight" in str(reply.json["errors"]), reply.json
    reply = client.post(
        "/api/v1/touchpoints",
        headers=workspace.headers,
        json={
            "name": "x",
            "event": "e",
            "survey_id": survey["id"],
            "channel": "link",
            "conditions": [{"field": "contact.attributes.arr", "op": "gt", "value": 2**60}],
        },
    )
    assert reply.status_code == 422, reply.json
    with app.app_context():
        assert table_count(db.session, Event) == 0 and table_count(db.session, Contact) == 0
        assert table_count(db.session, Response) == 0
        db.session.remove()


def test_stored_poison_merged_contact_attributes_are_capped(app, client, workspace):
    ingest = workspace.key_headers("ingest")
    first = event(contact="grower")
    first["contact"]["attributes"] = {f"a{i}": i for i in range(60)}
    assert client.post("/api/v1/events", json=first, headers=ingest).status_code == 202
    second = event(contact="grower")
    second["contact"]["attributes"] = {f"b{i}": i for i in range(60)}
    reply = client.post("/api/v1/events", json=second, headers=ingest)
    assert reply.status_code == 422 and "contact.attributes" in reply.json["errors"], reply.json
    # Nothing of the refused event is stored: no event row, the contact's attributes unchanged.
    with app.app_context():
        assert table_count(db.session, Event) == 1
        stored = db.session.execute(
            select(Contact.attributes).where(Contact.external_id == "grower")
        ).scalar()
        assert stored == {f"a{i}": i for i in range(60)}
        db.session.remove()
    # Updating keys it already has is fine, and so is an event that brings no attributes.
    third = event(contact="grower")
    third["contact"]["attributes"] = {"a1": "changed"}
    assert client.post("/api/v1/events", json=third, headers=ingest).status_code == 202
    fourth = event(contact="grower")
    fourth["contact"].pop("attributes")
    assert client.post("/api/v1/events", json=fourth, headers=ingest).status_code == 202


def test_stored_poison_beyond_pythons_int_limit_still_reads_and_deletes(app, client, workspace, run_worker):
    story = _story(app, client, workspace, run_worker)
    victim = story["ids"]["c-1"]
    with app.app_context():
        db.session.execute(
            text("UPDATE responses SET attributes = CAST(:raw AS jsonb) WHERE id = :id"),
            {"raw": '{"arr": ' + "7" * 5000 + ', "plan": "pro"}', "id": victim},
        )
        rollups.rebuild(db.session)  # after a write behind the ORM, as in _story
        db.session.commit()
        db.session.remove()
    h = workspace.headers
    one = client.get(f"/api/v1/responses/{victim}", headers=h)
    assert one.status_code == 200 and one.json["attributes"]["arr"] == "7" * 5000  # text, not a number
    assert client.get("/api/v1/responses", headers=h).status_code == 200
    ranked = client.get("/api/v1/roadmap-items?sort=impact", headers=h)
    assert ranked.status_code == 200 and ranked.json["items"][0]["impact"]["revenue"] == 0
    assert client.delete(f"/api/v1/responses/{victim}", headers=h).status_code == 204


def test_stored_poison_merged_cap_refuses_that_contacts_items_only(app, client, workspace):
    ingest = workspace.key_headers("ingest")
    grow = [event(contact="batchy"), event(contact="batchy"), event(contact="fine")]
    grow[0]["contact"]["attributes"] = {f"a{i}": i for i in range(60)}
    grow[1]["contact"]["attributes"] = {f"b{i}": i for i in range(60)}
    reply = client.post("/api/v1/events/batch", json={"events": grow}, headers=ingest)
    # The cap is checked on the merged, locked row: every item of that contact is refused (it is
    # only over the cap together), the other contact's item is stored.
    assert reply.status_code == 200, reply.json
    assert [r["status"] for r in reply.json["results"]] == [422, 422, 202]
    assert "batchy" in reply.json["results"][0]["detail"]
    assert "contact.attributes" in reply.json["results"][1]["errors"]
    with app.app_context():
        assert table_count(db.session, Event) == 1 and table_count(db.session, Contact) == 1
        db.session.remove()
