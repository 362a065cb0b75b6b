"""Webhook endpoints in the web app: the same validation as the API, the secret shown once, the
delivery log with filters and attempts, replay, test, rotation and deletion; customer text in
the log is escaped."""

import re

import pytest

from surveys.core.db import db
from surveys.webhook.models import WebhookEndpoint
from tests.support.helpers import table_count
from tests.support.webapp import login, make_user


@pytest.fixture
def admin(client, app, workspace):
    make_user(app, workspace.workspace.id)
    return login(client)


def _create(client, token, url, events=("response.detractor",), fmt="standard"):
    return client.post(
        "/app/settings/webhooks",
        data={"csrf_token": token, "url": url, "events": list(events), "format": fmt},
    )


def test_empty_state_says_what_to_do(client, admin):
    page = client.get("/app/settings/webhooks")
    assert page.status_code == 200 and "No endpoints yet" in page.text


def test_creating_shows_the_secret_once_and_the_list_never(client, admin, receiver, app):
    page = _create(client, admin, receiver.url)
    assert page.status_code == 201
    secret = re.search(r'value="(whsec_[^"]+)"', page.text).group(1)
    listing = client.get("/app/settings/webhooks").text
    assert secret not in listing and receiver.url in listing
    with app.app_context():
        assert db.session.query(WebhookEndpoint).one().secret == secret
        db.session.remove()


def test_bad_input_is_shown_on_the_form_and_nothing_is_stored(client, admin, app, db_session):
    page = _create(client, admin, "http://169.254.169.254/", events=())
    assert page.status_code == 422
    assert 'id="err-new-events"' in page.text and "Length must be between 1 and" in page.text
    page = _create(client, admin, "http://169.254.169.254/")
    assert page.status_code == 422 and "link-local" in page.text
    assert table_count(db_session, WebhookEndpoint) == 0


def test_the_endpoint_page_logs_deliveries_replays_and_filters(client, admin, receiver, run_worker, app):
    _create(client, admin, receiver.url)
    with app.app_context():
        endpoint_id = db.session.query(WebhookEndpoint).one().id
        db.session.remove()
    base = f"/app/settings/webhooks/{endpoint_id}"
    assert "Nothing delivered yet" in client.get(base).text
    receiver.reset(status=500, body=b"<script>alert(1)</script>")
    assert client.post(f"{base}/test", data={"csrf_token": admin}).status_code == 302
    run_worker()
    page = client.get(base).text
    assert "pending" in page and "HTTP 500 from the receiver" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "No deliveries match" in client.get(f"{base}?status=succeeded").text
    assert client.get(f"{base}?status=exploded").status_code == 400

    receiver.reset(status=200)
    delivery_id = re.search(r"/deliveries/(dlv_[0-9A-Z]+)/replay", page).group(1)
    client.post(f"{base}/deliveries/{delivery_id}/replay", data={"csrf_token": admin})
    run_worker()
    assert "succeeded" in client.get(f"{base}?status=succeeded").text
    ids = {item["headers"]["webhook-id"] for item in receiver.received}
    assert len(receiver.received) == 2 and len(ids) == 1


def test_editing_rotating_and_deleting(client, admin, receiver, app, db_session):
    _create(client, admin, receiver.url)
    with app.app_context():
        endpoint_id = db.session.query(WebhookEndpoint).one().id
        db.session.remove()
    base = f"/app/settings/webhooks/{endpoint_id}"
    saved = client.post(
        base,
        data={
            "csrf_token": admin,
            "url": receiver.url,
            "events": ["response.created", "invitation.failed"],
            "format": "slack",
            "description": "Team channel",
        },
    )
    assert saved.status_code == 302
    page = client.get(base).text
    assert "disabled" in page  # "enabled" was left unticked
    bad = client.post(base, data={"csrf_token": admin, "url": "gopher://x", "events": ["response.created"]})
    assert bad.status_code == 422 and "only http and https" in bad.text
    rotated = client.post(f"{base}/rotate", data={"csrf_token": admin, "overlap_hours": "2"})
    assert rotated.status_code == 200 and "whsec_" in rotated.text and "keeps signing too" in rotated.text
    assert (
        client.post(f"{base}/rotate", data={"csrf_token": admin, "overlap_hours": "9999"}).status_code == 422
    )
    assert client.post(f"{base}/delete", data={"csrf_token": admin}).status_code == 302
    assert table_count(db_session, WebhookEndpoint) == 0
    assert client.get(base).status_code == 404


def test_analysts_cannot_see_webhooks(client, app, workspace):
    make_user(app, workspace.workspace.id, email="analyst@acme.test", role="analyst")
    login(client, email="analyst@acme.test")
    assert client.get("/app/settings/webhooks").status_code in (302, 403)


def test_the_answer_link_of_slack_messages_shows_that_answer(client, admin, workspace):
    from tests.support.helpers import create_survey

    survey = create_survey(client, workspace.headers)
    ids = []
    for score in (2, 9):
        reply = client.post(
            "/api/v1/responses",
            json={
                "survey_id": survey["id"],
                "score": score,
                "comment": f"score {score}",
                "contact": {"external_id": "z"},
            },
            headers=workspace.headers,
        )
        ids.append(reply.json["id"])
    page = client.get(f"/app/feedback?response={ids[0]}").text
    assert f'id="r-{ids[0]}"' in page and f'id="r-{ids[1]}"' not in page
    assert "Showing one answer" in page
