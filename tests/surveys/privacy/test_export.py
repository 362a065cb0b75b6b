"""Export: one JSON document with everything held about a person, streamed in pieces read in
batches, so a person with 10,000 answers costs a batch's memory, not the document's."""

import json
import tracemalloc
from datetime import timedelta

from sqlalchemy import insert

from surveys.analysis.models import Analysis
from surveys.contact.models import Contact
from surveys.core.db import db, new_id, utcnow
from surveys.privacy.models import PrivacyAudit
from surveys.response.models import Response
from tests.support.helpers import create_survey
from tests.support.privacy import (
    ANN_EMAIL,
    ANN_ID,
    answer_through_api,
    answer_through_form,
    person,
    setup_survey,
)

MANY = 10_000


def _export(client, workspace, **query):
    return client.get("/api/v1/privacy/export", query_string=query, headers=workspace.headers, buffered=False)


def test_export_holds_contact_events_invitations_answers_analyses_and_messages(
    app, client, workspace, receiver, run_worker, db_session
):
    h = workspace.headers
    survey, _ = setup_survey(client, h)
    client.post(
        "/api/v1/webhook-endpoints", json={"url": receiver.url, "events": ["response.created"]}, headers=h
    )
    ann = person(ANN_ID, ANN_EMAIL)
    invitation_id = answer_through_form(client, h, ann, 2, "Slow checkout and rude support")
    answer_through_api(client, h, survey["id"], person("someone-else", "else@example.org"), 9, "Fine")
    run_worker()
    reply = _export(client, workspace, email=" ANN.person@example.com")
    assert reply.status_code == 200 and reply.mimetype == "application/json"
    document = json.loads(b"".join(reply.response))
    [contact] = document["contacts"]
    assert (contact["external_id"], contact["email"]) == (ANN_ID, ANN_EMAIL)
    assert [e["name"] for e in document["events"]] == ["order.delivered"]
    assert [i["id"] for i in document["invitations"]] == [invitation_id]
    assert all("token" not in i for i in document["invitations"])
    [answer] = document["responses"]
    assert answer["comment"] == "Slow checkout and rude support" and answer["event_snapshot"]
    [analysis] = answer["analyses"]
    assert any(hit["evidence"] for hit in analysis["themes"])
    [message] = document["webhook_messages"]
    assert message["payload"]["data"]["response"]["id"] == answer["id"]
    assert message["deliveries"][0]["status"] == "succeeded"
    assert document["subject"] == {"kind": "email"}
    # Nobody of that name: an empty document, not an error.
    empty = json.loads(b"".join(_export(client, workspace, external_id="nobody").response))
    assert empty["contacts"] == empty["responses"] == []
    assert db_session.query(PrivacyAudit).filter_by(action="export").count() == 2


def _person_with_many_answers(app, workspace_id: str, survey_id: str) -> None:
    with app.app_context():
        contact = Contact(workspace_id=workspace_id, external_id=ANN_ID, email=ANN_EMAIL, attributes={})
        db.session.add(contact)
        db.session.flush()
        now = utcnow()
        rows = [
            {
                "id": new_id("rsp"),
                "workspace_id": workspace_id,
                "survey_id": survey_id,
                "contact_id": contact.id,
                "score": i % 11,
                "comment": f"Answer number {i}: the reports are slow again and billing is unclear.",
                "completed": True,
                "source": "api",
                "metadata": {},
                "attributes": {"plan": "pro"},
                "submitted_at": now - timedelta(minutes=i),
                "created_at": now,
                "updated_at": now,
                "analysis_status": "done",
                "analysis_attempts": 0,
            }
            for i in range(MANY)
        ]
        db.session.execute(insert(Response.__table__), rows)
        db.session.execute(
            insert(Analysis.__table__),
            [
                {
                    "id": new_id("an"),
                    "response_id": row["id"],
                    "analyzer_version": "t",
                    "taxonomy_version": 1,
                    "themes": [
                        {"name": "performance", "evidence": [{"text": "slow", "start": 30, "end": 34}]}
                    ],
                    "noun_phrases": ["the reports"],
                    "created_at": now,
                }
                for row in rows
            ],
        )
        db.session.commit()
        db.session.remove()


def test_export_of_ten_thousand_answers_streams_in_batches_with_flat_memory(app, client, workspace):
    survey = create_survey(client, workspace.headers)
    _person_with_many_answers(app, workspace.workspace.id, survey["id"])
    reply = _export(client, workspace, external_id=ANN_ID)
    assert reply.status_code == 200 and reply.is_streamed
    tracemalloc.start()
    sizes, body, transient = [], [], 0
    pieces = iter(reply.response)
    while True:
        current, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        chunk = next(pieces, None)
        if chunk is None:
            break
        # What producing this one piece allocated beyond what was already held.
        transient = max(transient, tracemalloc.get_traced_memory()[1] - current)
        sizes.append(len(chunk))
        body.append(chunk)
    tracemalloc.stop()
    total = sum(sizes)
    document = json.loads(b"".join(c if isinstance(c, bytes) else c.encode() for c in body))
    assert len(document["responses"]) == MANY
    assert document["responses"][-1]["analyses"][0]["themes"][0]["evidence"]
    # Pieces of at most one batch: many of them, none near the whole document.
    assert len(sizes) >= MANY // 500
    assert max(sizes) * 10 < total
    # Producing one piece costs a batch's memory, not the document's.
    assert transient * 3 < total, (transient, total)
