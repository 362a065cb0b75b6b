"""POST /api/v1/responses/batch: per-item results for mixed good, bad and repeated items, rollups
equal to a rebuild from the rows, analysis only for answers with a comment, Idempotency-Key replay
and the contact attribute cap refusing only that contact's items."""

from sqlalchemy import select

from surveys.analysis.models import Analysis
from surveys.contact.models import Contact
from surveys.metrics.models import SCORE_COLUMNS, DailyRollup
from surveys.metrics.rollups import rebuild
from surveys.response.models import Response
from tests.support.analysis import nlp_jobs
from tests.support.helpers import create_survey, table_count, tick

URL = "/api/v1/responses/batch"


def _post(client, headers, items, **extra_headers):
    return client.post(URL, json={"responses": items}, headers={**headers, **extra_headers})


def _daily(session) -> dict:
    session.expire_all()
    return {
        (r.survey_id, r.day, r.touchpoint_key, r.dim, r.value): (
            r.responses,
            r.commented,
            *[getattr(r, c) for c in SCORE_COLUMNS],
        )
        for r in session.execute(select(DailyRollup)).scalars()
        if r.responses or r.commented
    }


def test_responses_batch_mixed_items_get_their_own_results(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    ok = {"survey_id": survey["id"], "score": 9}
    before = client.post("/api/v1/responses", json={**ok, "id": "r-0"}, headers=workspace.headers)
    assert before.status_code == 201
    items = [
        {**ok, "id": "r-1", "comment": "fast", "contact": {"external_id": "c-1"}},
        {**ok, "score": 11},  # out of range for NPS: refused by the domain
        {**ok, "survey_id": "sv_nope"},
        {"survey_id": survey["id"]},  # no score: refused by the schema
        {**ok, "id": "r-1", "score": 2},  # repeated in this batch: the first one's id
        {**ok, "id": "r-0"},  # stored before: that id
        {**ok, "contact": {"name": "nobody"}},  # names no one
        ok,  # no sender id: always new
        "not an object",
    ]
    reply = _post(client, workspace.key_headers("ingest"), items)
    assert reply.status_code == 200, reply.json
    results = reply.json["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["status"] for r in results] == [201, 422, 404, 422, 200, 200, 422, 201, 422]
    assert (reply.json["accepted"], reply.json["rejected"]) == (4, 5)
    assert results[4]["id"] == results[0]["id"] and results[5]["id"] == before.json["id"]
    assert "score" in results[1]["errors"] and results[1]["detail"]
    assert results[2]["errors"] == {"survey_id": ["unknown survey"]}
    assert "score" in results[3]["errors"]
    assert "contact" in results[6]["errors"]
    db_session.expire_all()
    stored = {r.id: r for r in db_session.execute(select(Response)).unique().scalars()}
    assert set(stored) == {before.json["id"], results[0]["id"], results[7]["id"]}
    first = stored[results[0]["id"]]
    assert (first.score, first.comment, first.external_id, first.source) == (9, "fast", "r-1", "api")
    assert first.contact.external_id == "c-1"
    assert table_count(db_session, Contact) == 1
    # The stored answer reads back through the API like any other.
    one = client.get(f"/api/v1/responses/{first.id}", headers=workspace.headers).json
    assert one["contact"] == {"external_id": "c-1"} and one["analysis"]["status"] == "pending"


def test_responses_batch_rollups_equal_a_rebuild(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    other = create_survey(client, workspace.headers, kind="csat", name="CSAT")
    single = {"survey_id": survey["id"], "score": 4, "contact": {"external_id": "c-1"}}
    assert client.post("/api/v1/responses", json=single, headers=workspace.headers).status_code == 201
    items = []
    for n in range(60):
        plan = ["free", "pro", "enterprise", 42, True][n % 5]
        attributes = {"plan": plan, "region": f"r{n % 3}"} if n % 7 else {}
        item = {
            "survey_id": survey["id"] if n % 4 else other["id"],
            "score": n % 11 if n % 4 else 1 + n % 5,
            "submitted_at": f"2026-10-0{1 + n % 4}T{(n * 5) % 24:02d}:30:00+05:00",
            "contact": {"external_id": f"c-{n % 9}", "attributes": attributes},
        }
        if n % 3 == 0:
            item["comment"] = f"comment {n}"
        if n % 6 == 0:
            item["id"] = f"r-{n % 12}"  # some ids repeat inside the batch
        items.append(item)
    items.append({**items[0], "score": 99})  # refused: never counted
    reply = _post(client, workspace.headers, items)
    assert reply.status_code == 200 and reply.json["accepted"] == 60, reply.json
    again = _post(client, workspace.headers, items[:12])  # two known sender ids, ten id-less
    statuses = {("id" in item, r["status"]) for item, r in zip(items, again.json["results"], strict=False)}
    assert statuses == {(True, 200), (False, 201)}
    incremental = _daily(db_session)
    rebuild(db_session)
    db_session.commit()
    assert incremental == _daily(db_session) and incremental
    stored = db_session.execute(select(Response.survey_id)).scalars().all()
    assert len(stored) == 1 + 60 - 8 + 10  # 8 repeats of two sender ids in the batch
    assert sum(v[0] for k, v in incremental.items() if k[3] == "") == len(stored)
    metrics = client.get(f"/api/v1/metrics?survey_id={survey['id']}", headers=workspace.headers).json
    assert metrics["overall"]["responses"] == stored.count(survey["id"])


def test_responses_batch_snapshots_follow_each_items_contact(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    items = [
        {"survey_id": survey["id"], "score": s, "contact": {"external_id": "c-1", **contact}}
        for s, contact in [
            (1, {"attributes": {"plan": "free"}, "locale": "de"}),
            (2, {"attributes": {"region": "eu"}}),
            (3, {"attributes": {"plan": "pro"}, "locale": "fr"}),
        ]
    ]
    reply = _post(client, workspace.headers, items)
    ids = [r["id"] for r in reply.json["results"]]
    db_session.expire_all()
    rows = {r.id: r for r in db_session.execute(select(Response)).unique().scalars()}
    assert [(rows[i].attributes, rows[i].locale) for i in ids] == [
        ({"plan": "free"}, "de"),
        ({"plan": "free", "region": "eu"}, "de"),
        ({"plan": "pro", "region": "eu"}, "fr"),
    ]
    contact = db_session.execute(select(Contact)).scalar_one()
    assert (contact.attributes, contact.locale) == ({"plan": "pro", "region": "eu"}, "fr")
    assert {rows[i].contact_id for i in ids} == {contact.id}


def test_responses_batch_analyses_only_commented_answers(app, client, workspace, db_session, run_worker):
    survey = create_survey(client, workspace.headers)
    items = [{"survey_id": survey["id"], "score": n, "comment": f"slow reports {n}"} for n in range(3)]
    items += [{"survey_id": survey["id"], "score": n} for n in range(4)]
    items += [{"survey_id": survey["id"], "score": 5, "comment": "  \r\n "}]  # nothing to read
    reply = _post(client, workspace.headers, items)
    ids = [r["id"] for r in reply.json["results"]]
    commented, silent = ids[:3], ids[3:]
    [job] = nlp_jobs()  # one job for the batch; it finds the pending (commented) answers itself
    assert job.func_name == "vocservice.jobs.analyze_pending"
    db_session.expire_all()
    status = dict(db_session.execute(select(Response.id, Response.analysis_status)).all())
    assert {status[i] for i in commented} == {"pending"} and {status[i] for i in silent} == {"done"}
    assert tick(app)["analyses_enqueued"] == 0  # the sweeper finds nothing missing either
    assert run_worker() == 1
    db_session.expire_all()
    status = dict(db_session.execute(select(Response.id, Response.analysis_status)).all())
    assert {status[i] for i in ids} == {"done"}
    analysed = set(db_session.execute(select(Analysis.response_id)).scalars())
    assert analysed == set(commented)
    body = client.get(f"/api/v1/responses/{silent[0]}", headers=workspace.headers).json
    assert body["analysis"] == {
        "status": "done",
        "sentiment": None,
        "intent": None,
        "cues": [],
        "language": None,
        "themes": [],
        "roadmap_items": [],
    }


def test_responses_batch_idempotency_key_replays_the_first_answer(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    items = [
        {"survey_id": survey["id"], "score": 7, "comment": "ok"},
        {"survey_id": survey["id"], "score": 12},
    ]
    key = {"Idempotency-Key": "batch-1"}
    first = _post(client, workspace.headers, items, **key)
    second = _post(client, workspace.headers, items, **key)
    assert first.status_code == second.status_code == 200
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json == first.json and [r["status"] for r in first.json["results"]] == [201, 422]
    assert table_count(db_session, Response) == 1
    changed = _post(client, workspace.headers, items[:1], **key)
    assert changed.status_code == 422 and "Idempotency-Key" in changed.json["errors"]
    assert table_count(db_session, Response) == 1 and len(nlp_jobs()) == 1


def test_responses_batch_attribute_cap_refuses_only_that_contacts_items(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    full = {f"k{n}": n for n in range(95)}
    seed = {"survey_id": survey["id"], "score": 5, "contact": {"external_id": "big", "attributes": full}}
    assert client.post("/api/v1/responses", json=seed, headers=workspace.headers).status_code == 201
    more = {f"x{n}": n for n in range(10)}
    items = [
        {"survey_id": survey["id"], "score": 9, "contact": {"external_id": "small"}},
        {"survey_id": survey["id"], "score": 1, "contact": {"external_id": "big", "attributes": more}},
        {"survey_id": survey["id"], "score": 2, "contact": {"external_id": "big"}},
        {"survey_id": survey["id"], "score": 3, "contact": {"external_id": "other", "attributes": {"a": 1}}},
    ]
    reply = _post(client, workspace.headers, items)
    assert [r["status"] for r in reply.json["results"]] == [201, 422, 422, 201], reply.json
    assert "contact.attributes" in reply.json["results"][1]["errors"]
    db_session.expire_all()
    big = db_session.execute(select(Contact).where(Contact.external_id == "big")).scalar_one()
    assert big.attributes == full  # nothing of the refused items was kept
    scores = sorted(db_session.execute(select(Response.score)).scalars())
    assert scores == [3, 5, 9]
    assert (reply.json["accepted"], reply.json["rejected"]) == (2, 2)
