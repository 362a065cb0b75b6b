"""Outbound webhooks through the API and a real RQ worker, delivered to a real receiver on
127.0.0.1: endpoints, the event catalogue, Standard Webhooks signatures, the delivery log,
replay, test pings, secret rotation and the Slack format."""

import pytest
from standardwebhooks.webhooks import Webhook

from surveys.webhook.models import WebhookDelivery, WebhookMessage
from tests.support.helpers import create_survey, table_count

ALL = [
    "response.created",
    "response.completed",
    "response.detractor",
    "response.analyzed",
    "invitation.sent",
    "invitation.failed",
    "roadmap_item.status_changed",
]


def _endpoint(client, workspace, url, **body):
    answer = client.post(
        "/api/v1/webhook-endpoints", json={"url": url, "events": ALL, **body}, headers=workspace.headers
    )
    assert answer.status_code == 201, answer.json
    return answer.json


def _answer(client, workspace, survey_id, score=3, comment="Support never called me back.", **extra):
    body = {
        "survey_id": survey_id,
        "score": score,
        "comment": comment,
        "contact": {"external_id": "c-1", "email": "c1@example.com", "attributes": {"plan": "pro"}},
        **extra,
    }
    answer = client.post("/api/v1/responses", json=body, headers=workspace.headers)
    assert answer.status_code == 201, answer.json
    return answer.json


def _verify(secret: str, item: dict) -> dict:
    return Webhook(secret).verify(item["body"], item["headers"])


def test_endpoint_crud_shows_the_secret_once(client, workspace, receiver):
    created = _endpoint(client, workspace, receiver.url, description="CRM")
    assert created["secret"].startswith("whsec_")
    assert created["enabled"] is True and created["format"] == "standard"
    shown = client.get(f"/api/v1/webhook-endpoints/{created['id']}", headers=workspace.headers).json
    assert "secret" not in shown and shown["description"] == "CRM"
    listed = client.get("/api/v1/webhook-endpoints", headers=workspace.headers).json
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert all("secret" not in item for item in listed["items"])

    patched = client.patch(
        f"/api/v1/webhook-endpoints/{created['id']}",
        json={"events": ["response.detractor", "response.detractor"], "enabled": False},
        headers=workspace.headers,
    )
    assert patched.status_code == 200 and patched.json["events"] == ["response.detractor"]
    assert patched.json["enabled"] is False
    assert (
        client.delete(f"/api/v1/webhook-endpoints/{created['id']}", headers=workspace.headers).status_code
        == 204
    )
    assert (
        client.get(f"/api/v1/webhook-endpoints/{created['id']}", headers=workspace.headers).status_code == 404
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://x.test/", "events": ["response.exploded"]}, "events"),
        ({"url": "http://x.test/", "events": []}, "events"),
        ({"url": "ftp://x.test/", "events": ["response.created"]}, "url"),
        ({"url": "http://x.test/", "events": ["response.created"], "format": "teams"}, "format"),
        ({"events": ["response.created"]}, "url"),
    ],
)
def test_bad_endpoints_are_refused_with_the_field_named(client, workspace, app, body, field):
    app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"] = True
    answer = client.post("/api/v1/webhook-endpoints", json=body, headers=workspace.headers)
    assert answer.status_code == 422, answer.json
    assert answer.content_type == "application/problem+json"
    assert field in answer.json["errors"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://[64:ff9b::7f00:1]/",
        "http://10.0.0.8/",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_urls_inside_our_network_are_refused(client, workspace, url):
    answer = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": url, "events": ["response.created"]},
        headers=workspace.headers,
    )
    assert answer.status_code == 422, answer.json
    assert "url" in answer.json["errors"]


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://[::ffff:169.254.1.1]/"]
)
def test_metadata_addresses_stay_refused_with_the_private_opt_in(client, workspace, app, url):
    app.config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"] = True
    answer = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": url, "events": ["response.created"]},
        headers=workspace.headers,
    )
    assert answer.status_code == 422, answer.json


def test_only_admins_manage_endpoints_and_never_another_workspaces(client, workspace, receiver, app_ctx):
    created = _endpoint(client, workspace, receiver.url)
    for role in ("analyst", "ingest"):
        assert client.get("/api/v1/webhook-endpoints", headers=workspace.key_headers(role)).status_code == 403
    from surveys.core.db import db
    from surveys.workspace.service import create_api_key, create_workspace

    other = create_workspace(db.session, name="Other", slug="other")
    key = create_api_key(db.session, workspace=other, role="admin")[1]
    db.session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(f"/api/v1/webhook-endpoints/{created['id']}", headers=headers).status_code == 404
    assert client.get("/api/v1/webhook-endpoints", headers=headers).json["items"] == []


def test_a_detractor_answer_reaches_the_receiver_signed_with_everything_needed(
    client, workspace, receiver, run_worker
):
    endpoint = _endpoint(client, workspace, receiver.url)
    survey = create_survey(client, workspace.headers)
    answer = _answer(client, workspace, survey["id"])
    run_worker()

    by_type = {}
    for item in receiver.received:
        payload = _verify(endpoint["secret"], item)  # raises if the signature is wrong
        assert item["headers"]["webhook-id"] == payload["id"]
        by_type.setdefault(payload["type"], []).append(payload)
    assert {"response.created", "response.completed", "response.detractor", "response.analyzed"} <= set(
        by_type
    )
    detractor = by_type["response.detractor"][0]
    assert detractor["version"] == 1 and detractor["workspace_id"] == workspace.workspace.id
    data = detractor["data"]["response"]
    assert data["id"] == answer["id"] and data["score"] == 3 and data["category"] == "detractor"
    assert data["comment"] == "Support never called me back."
    assert data["contact"]["external_id"] == "c-1" and data["contact"]["email"] == "c1@example.com"
    assert data["attributes"] == {"plan": "pro"}
    analyzed = by_type["response.analyzed"][0]["data"]
    assert analyzed["analysis"]["sentiment"]["label"] in ("negative", "neutral", "positive")
    assert isinstance(analyzed["analysis"]["themes"], list)

    log = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=workspace.headers).json
    assert len(log["items"]) == len(receiver.received)
    assert all(d["status"] == "succeeded" and d["attempts"] == 1 for d in log["items"])
    first = log["items"][0]["attempt_log"][0]
    assert first["status_code"] == 200 and first["response_excerpt"] == "ok" and first["latency_ms"] >= 0


def test_a_promoter_is_no_detractor_and_unsubscribed_types_are_not_sent(
    client, workspace, receiver, run_worker
):
    _endpoint(client, workspace, receiver.url, events=["response.detractor"])
    survey = create_survey(client, workspace.headers)
    _answer(client, workspace, survey["id"], score=10, comment="")
    detractor = _answer(client, workspace, survey["id"], score=0, comment="")
    run_worker()
    payloads = receiver.payloads()
    assert [(p["type"], p["data"]["response"]["id"]) for p in payloads] == [
        ("response.detractor", detractor["id"])
    ]


def test_nothing_is_written_when_nobody_subscribes(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    _answer(client, workspace, survey["id"])
    assert table_count(db_session, WebhookMessage) == 0
    assert table_count(db_session, WebhookDelivery) == 0


def test_batch_answers_are_announced_one_message_each(client, workspace, receiver, run_worker):
    _endpoint(client, workspace, receiver.url, events=["response.created"])
    survey = create_survey(client, workspace.headers)
    items = [{"survey_id": survey["id"], "score": s, "contact": {"external_id": f"b-{s}"}} for s in (1, 5, 9)]
    answer = client.post("/api/v1/responses/batch", json={"responses": items}, headers=workspace.headers)
    assert answer.status_code in (200, 207), answer.json
    run_worker()
    scores = sorted(p["data"]["response"]["score"] for p in receiver.payloads())
    assert scores == [1, 5, 9]
    assert len({p["id"] for p in receiver.payloads()}) == 3


def test_replay_sends_the_same_message_id_again(client, workspace, receiver, run_worker):
    endpoint = _endpoint(client, workspace, receiver.url, events=["response.created"])
    survey = create_survey(client, workspace.headers)
    _answer(client, workspace, survey["id"], comment="")
    run_worker()
    base = f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    delivery = client.get(base, headers=workspace.headers).json["items"][0]
    replayed = client.post(f"{base}/{delivery['id']}/replay", headers=workspace.headers)
    assert replayed.status_code == 202 and replayed.json["message_id"] == delivery["message_id"]
    run_worker()
    ids = [item["headers"]["webhook-id"] for item in receiver.received]
    assert ids == [delivery["message_id"], delivery["message_id"]]
    assert client.post(f"{base}/dlv_nope/replay", headers=workspace.headers).status_code == 404


def test_a_test_ping_is_delivered_and_logged(client, workspace, receiver, run_worker):
    endpoint = _endpoint(client, workspace, receiver.url, events=["roadmap_item.status_changed"])
    sent = client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=workspace.headers)
    assert sent.status_code == 202 and sent.json["event_type"] == "ping" and sent.json["status"] == "pending"
    run_worker()
    payload = _verify(endpoint["secret"], receiver.received[0])
    assert payload["type"] == "ping" and payload["data"]["endpoint_id"] == endpoint["id"]
    shown = client.get(
        f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries/{sent.json['id']}", headers=workspace.headers
    ).json
    assert shown["status"] == "succeeded" and shown["payload"]["type"] == "ping"


def test_deliveries_filter_by_status(client, workspace, receiver, run_worker):
    endpoint = _endpoint(client, workspace, receiver.url)
    receiver.reset(status=500, body=b"boom")
    client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=workspace.headers)
    run_worker()
    base = f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    pending = client.get(f"{base}?status=pending", headers=workspace.headers).json["items"]
    assert len(pending) == 1 and pending[0]["last_status_code"] == 500 and pending[0]["attempts"] == 1
    assert pending[0]["attempt_log"][0]["response_excerpt"] == "boom"
    assert client.get(f"{base}?status=succeeded", headers=workspace.headers).json["items"] == []
    assert client.get(f"{base}?status=lost", headers=workspace.headers).status_code == 422


def test_rotation_signs_with_both_secrets_during_the_overlap(client, workspace, receiver, run_worker):
    endpoint = _endpoint(client, workspace, receiver.url)
    rotated = client.post(
        f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret",
        json={"overlap_hours": 1},
        headers=workspace.headers,
    )
    assert rotated.status_code == 200 and rotated.json["secret"] != endpoint["secret"]
    assert rotated.headers["Cache-Control"] == "no-store"
    client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test", headers=workspace.headers)
    run_worker()
    item = receiver.received[0]
    assert len(item["headers"]["webhook-signature"].split(" ")) == 2
    _verify(rotated.json["secret"], item)
    _verify(endpoint["secret"], item)


def test_slack_endpoints_get_an_unsigned_slack_message_with_escaped_text(
    client, workspace, receiver, run_worker
):
    _endpoint(client, workspace, receiver.url, events=["response.detractor"], format="slack")
    survey = create_survey(client, workspace.headers)
    answer = _answer(client, workspace, survey["id"], score=2, comment="<!channel> refund me & now")
    run_worker()
    item = receiver.received[0]
    assert "webhook-signature" not in {k.lower() for k in item["headers"]}
    import json

    body = json.loads(item["body"])
    assert body["text"].startswith("vocservice: Detractor")
    section = body["blocks"][1]["text"]["text"]
    assert "&lt;!channel&gt; refund me &amp; now" in section and "<!channel>" not in section
    assert f"response={answer['id']}" in section


def test_the_hosted_form_announces_the_score_then_the_final_answer(
    client, workspace, receiver, run_worker, db_session
):
    from tests.support.helpers import make_invitation

    _endpoint(
        client,
        workspace,
        receiver.url,
        events=["response.created", "response.completed", "response.detractor"],
    )
    invitation = make_invitation(db_session, workspace.workspace.id)
    url = f"/s/{invitation.token}"
    assert client.post(url, data={"score": "4", "comment": "", "lang": "en"}).status_code == 200  # partial
    run_worker()
    assert [(p["type"], p["data"]["response"]["completed"]) for p in receiver.payloads()] == [
        ("response.created", False)
    ]
    done = client.post(url, data={"selected": "4", "comment": "Too slow", "action": "submit"})
    assert done.status_code == 200
    run_worker()
    later = receiver.payloads()[1:]
    assert sorted(p["type"] for p in later) == ["response.completed", "response.detractor"]
    assert all(p["data"]["response"]["comment"] == "Too slow" for p in later)
    assert later[0]["data"]["response"]["invitation_id"] == invitation.id


def test_finalised_partial_answers_are_announced_as_completed(
    client, workspace, receiver, run_worker, db_session, app
):
    from datetime import timedelta

    from surveys.core.db import utcnow
    from tests.support.helpers import make_invitation, tick

    _endpoint(client, workspace, receiver.url, events=["response.completed"])
    invitation = make_invitation(db_session, workspace.workspace.id)
    client.post(f"/s/{invitation.token}", data={"score": "9", "comment": "", "lang": "en"})
    tick(app, now=utcnow() + timedelta(hours=2))  # an hour without activity: finalised
    run_worker()
    assert [(p["type"], p["data"]["response"]["score"]) for p in receiver.payloads()] == [
        ("response.completed", 9)
    ]


def test_roadmap_status_changes_and_invitations_are_announced(
    client, workspace, receiver, run_worker, smtp_server
):
    from tests.support.helpers import create_touchpoint, event

    _endpoint(client, workspace, receiver.url, events=["roadmap_item.status_changed", "invitation.sent"])
    item = client.post("/api/v1/roadmap-items", json={"title": "SSO"}, headers=workspace.headers).json
    client.patch(
        f"/api/v1/roadmap-items/{item['id']}", json={"title": "SSO login"}, headers=workspace.headers
    )
    client.patch(f"/api/v1/roadmap-items/{item['id']}", json={"status": "planned"}, headers=workspace.headers)
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"], channel="email")
    client.post("/api/v1/events", json=event(), headers=workspace.headers)
    run_worker()
    from tests.support.helpers import tick

    tick(client.application)
    run_worker()
    run_worker()
    by_type = {p["type"]: p["data"] for p in receiver.payloads()}
    assert set(by_type) == {"roadmap_item.status_changed", "invitation.sent"}
    assert by_type["roadmap_item.status_changed"]["previous_status"] == "idea"
    assert by_type["roadmap_item.status_changed"]["roadmap_item"]["status"] == "planned"
    assert by_type["invitation.sent"]["invitation"]["contact"]["email"] == "cust-1@example.com"
    assert len(smtp_server.messages) == 1


def test_the_openapi_document_describes_every_event_we_send(client):
    from surveys.webhook.catalogue import EVENT_TYPES

    spec = client.get("/api/openapi.json").json
    assert set(spec["webhooks"]) == {*EVENT_TYPES, "ping"}
    for event_type, item in spec["webhooks"].items():
        ref = item["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        name = ref.rsplit("/", 1)[1]
        component = spec["components"]["schemas"][name]
        assert component["properties"]["type"]["enum"] == [event_type]
        assert "data" in component["properties"]
