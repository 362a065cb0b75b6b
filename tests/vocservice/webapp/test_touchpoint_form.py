"""The touchpoint form (``/app/touchpoints/new`` and ``/app/touchpoints/<id>``): everything the
API takes, the API's validation with each error next to its input, rows added and removed
without JavaScript, nothing stored on an error, CSRF and admin-only."""

from sqlalchemy import func, select

from surveys.core.db import db
from surveys.survey.models import Touchpoint
from tests.support.webapp import HOSTILE, field_errors, login, make_survey, make_user


def _touchpoints(app) -> list[Touchpoint]:
    with app.app_context():
        rows = db.session.execute(select(Touchpoint).order_by(Touchpoint.name)).unique().scalars().all()
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
    return rows


def _count(app) -> int:
    with app.app_context():
        found = db.session.execute(select(func.count()).select_from(Touchpoint)).scalar_one()
        db.session.remove()
    return found


FULL = {
    "name": "Delivered",
    "event": "order.delivered",
    "channel": "email",
    "delay_value": "2",
    "delay_unit": "hours",
    "sample_percent": "25",
    "recontact_days": "60",
    "expires_after_days": "10",
    "reminder_after_days": "3",
    "cancel_on": "refund.requested, order.cancelled\norder.returned",
    "active": ["0"],  # the hidden "0" alone: the box was unticked
    "conditions-0-field": "contact.attributes.plan",
    "conditions-0-op": "in",
    "conditions-0-type": "list",
    "conditions-0-value": "pro, enterprise",
    "conditions-1-field": "event.properties.total",
    "conditions-1-op": "gte",
    "conditions-1-type": "number",
    "conditions-1-value": "99.5",
    "conditions-2-field": "",  # a blank row is not a condition
    "conditions-2-op": "eq",
    "conditions-2-type": "text",
    "conditions-2-value": "",
    "conditions-3-field": "contact.attributes.beta",
    "conditions-3-op": "eq",
    "conditions-3-type": "boolean",
    "conditions-3-value": "true",
    "conditions-4-field": "contact.email",
    "conditions-4-op": "exists",
    "conditions-4-type": "text",
    "conditions-4-value": "",
}


def test_touchpoint_form_creates_everything_the_api_takes(client, app, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(app, workspace.workspace.id)
    token = login(client)
    page = client.get(f"/app/touchpoints/new?survey={survey_id}")
    assert page.status_code == 200
    assert f'<option value="{survey_id}" selected>' in page.text
    for label in ("Sample rate (%)", "Send one reminder after (days)", "Add condition", "Cancel pending"):
        assert label in page.text
    made = client.post("/app/touchpoints", data={**FULL, "csrf_token": token, "survey_id": survey_id})
    assert made.status_code == 302, field_errors(made.text)
    (touchpoint,) = _touchpoints(app)
    assert touchpoint.delay_seconds == 7200
    assert touchpoint.sample_rate == 0.25
    assert (touchpoint.recontact_days, touchpoint.expires_after_days, touchpoint.reminder_after_days) == (
        60,
        10,
        3,
    )
    assert touchpoint.cancel_on == ["refund.requested", "order.cancelled", "order.returned"]
    assert touchpoint.active is False
    assert touchpoint.conditions == [
        {"field": "contact.attributes.plan", "op": "in", "value": ["pro", "enterprise"]},
        {"field": "event.properties.total", "op": "gte", "value": 99.5},
        {"field": "contact.attributes.beta", "op": "eq", "value": True},
        {"field": "contact.email", "op": "exists", "value": True},
    ]

    # The same touchpoint through the API is stored the same way.
    body = {
        "name": "Delivered (API)",
        "event": "order.delivered",
        "survey_id": survey_id,
        "channel": "email",
        "delay_seconds": 7200,
        "sample_rate": 0.25,
        "recontact_days": 60,
        "expires_after_days": 10,
        "reminder_after_days": 3,
        "cancel_on": touchpoint.cancel_on,
        "active": False,
        "conditions": touchpoint.conditions,
    }
    assert client.post("/api/v1/touchpoints", json=body, headers=workspace.headers).status_code == 201
    ui, api = _touchpoints(app)
    columns = ("delay_seconds", "sample_rate", "recontact_days", "expires_after_days")
    columns += ("reminder_after_days", "cancel_on", "conditions", "active", "channel")
    assert {c: getattr(api, c) for c in columns} == {c: getattr(ui, c) for c in columns}


def test_touchpoint_form_shows_each_error_beside_its_input_and_stores_nothing(client, app, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(app, workspace.workspace.id)
    token = login(client)
    bad = client.post(
        "/app/touchpoints",
        data={
            "csrf_token": token,
            "name": HOSTILE,
            "event": "",
            "survey_id": survey_id,
            "channel": "pigeon",
            "delay_value": "91",
            "delay_unit": "days",
            "sample_percent": "150",
            "recontact_days": "-1",
            "expires_after_days": "0",
            "cancel_on": "x" * 201,
            "conditions-0-field": "plan",  # neither contact. nor event.
            "conditions-0-op": "eq",
            "conditions-0-type": "text",
            "conditions-0-value": "pro",
            "conditions-1-field": "contact.attributes.plan",
            "conditions-1-op": "in",  # 'in' needs a list
            "conditions-1-type": "text",
            "conditions-1-value": "pro",
            "conditions-2-field": "event.properties.total",
            "conditions-2-op": "gt",
            "conditions-2-type": "number",
            "conditions-2-value": "lots",
            "conditions-3-field": "contact.attributes.x",
            "conditions-3-op": "between",
            "conditions-3-type": "text",
            "conditions-3-value": "1",
        },
    )
    assert bad.status_code == 422
    errors = field_errors(bad.text)
    assert errors == {
        "t-event": "Missing data for required field.",
        "t-channel": "Must be one of: email, link, webhook.",
        "t-delay": "Must be between 0 and 90 days.",
        "t-sample_rate": "Must be between 0 and 100 %.",
        "t-recontact_days": "Must be greater than or equal to 0 and less than or equal to 3650.",
        "t-expires_after_days": "Must be greater than or equal to 1 and less than or equal to 365.",
        "t-cancel_on": "Event 1: Length must be between 1 and 200.",
        "c-0-conditions.0.field": "must start with contact. or event.",
        "c-1-conditions.1.value": "'in' needs a list value",
        "c-2-conditions.2.value": "Not a valid number.",
        "c-3-conditions.3.op": "Must be one of: eq, ne, in, gt, gte, lt, lte, exists.",
    }
    # Each message is tied to its input for screen readers, and the inputs keep what was typed.
    assert 'id="fld-t-sample_percent" name="sample_percent" type="number"' in bad.text
    assert 'value="150" aria-invalid="true" aria-describedby="err-t-sample_rate"' in bad.text
    assert 'aria-describedby="err-c-2-conditions.2.value"' in bad.text
    assert 'value="lots"' in bad.text and 'value="event.properties.total"' in bad.text
    assert HOSTILE not in bad.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in bad.text
    assert _count(app) == 0

    # Rules across fields and the service's own checks are the API's too.
    base = {"csrf_token": token, "name": "Tp", "event": "a.b", "survey_id": survey_id}
    late = client.post(
        "/app/touchpoints",
        data={**base, "channel": "email", "expires_after_days": "5", "reminder_after_days": "5"},
    )
    assert field_errors(late.text) == {"t-reminder_after_days": "must be shorter than expires_after_days"}
    private = client.post(
        "/app/touchpoints",
        data={**base, "channel": "webhook", "webhook_url": "http://127.0.0.1:8080/hook"},
    )
    assert private.status_code == 422
    (message,) = field_errors(private.text).values()
    assert "webhook_url" not in message and list(field_errors(private.text)) == ["t-webhook_url"]
    api = client.post(
        "/api/v1/touchpoints",
        json={
            "name": "Tp",
            "event": "a.b",
            "survey_id": survey_id,
            "channel": "webhook",
            "webhook_url": "http://127.0.0.1:8080/hook",
        },
        headers=workspace.headers,
    )
    assert api.status_code == 422 and api.json["errors"]["webhook_url"] == [message]
    missing = client.post("/app/touchpoints", data={**base, "channel": "webhook"})
    assert field_errors(missing.text) == {"t-webhook_url": "required for the webhook channel"}
    foreign = client.post("/app/touchpoints", data={**base, "survey_id": "sv_other", "channel": "link"})
    assert list(field_errors(foreign.text)) == ["t-survey_id"]
    assert _count(app) == 0


def test_touchpoint_form_adds_and_removes_condition_rows_without_saving(client, app, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(app, workspace.workspace.id)
    token = login(client)
    base = {"csrf_token": token, "name": "Kept", "event": "a.b", "survey_id": survey_id, "channel": "link"}
    added = client.post("/app/touchpoints", data={**base, "action": "add_condition"})
    assert added.status_code == 200
    assert 'name="conditions-0-field"' in added.text and 'name="conditions-1-field"' not in added.text
    assert 'value="Kept"' in added.text  # what was typed stays
    rows = {f"conditions-{i}-field": f"contact.attributes.a{i}" for i in range(10)}
    full = client.post("/app/touchpoints", data={**base, **rows, "action": "add_condition"})
    assert 'name="conditions-9-field"' in full.text and 'name="conditions-10-field"' not in full.text
    assert "Add condition" not in full.text and "At most 10 conditions" in full.text
    removed = client.post("/app/touchpoints", data={**base, **rows, "action": "remove_condition:3"})
    assert removed.status_code == 200
    assert "contact.attributes.a3" not in removed.text and 'value="contact.attributes.a9"' in removed.text
    assert 'name="conditions-9-field"' not in removed.text  # renumbered 0..8
    assert _count(app) == 0
    # More rows than any form shows are refused, not parsed.
    flood = {f"conditions-{i}-field": "contact.x" for i in range(101)}
    assert "t-conditions" not in field_errors(client.post("/app/touchpoints", data={**base, **flood}).text)
    assert "At most 100 condition rows" in client.post("/app/touchpoints", data={**base, **flood}).text
    assert _count(app) == 0


def test_touchpoint_form_edits_a_touchpoint_made_through_the_api(client, app, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(app, workspace.workspace.id)
    other_survey = make_survey(
        app, workspace.workspace.id, name="Support CSAT", kind="csat", question="Happy?"
    )
    token = login(client)
    conditions = [
        {"field": "contact.attributes.plan", "op": "in", "value": ["a, b", "c"]},  # a comma inside: JSON
        {"field": "contact.attributes.seats", "op": "in", "value": [5, 10]},
        {"field": "event.properties.vip", "op": "ne", "value": False},
    ]
    made = client.post(
        "/api/v1/touchpoints",
        json={
            "name": "Renewal",
            "event": "renewal.done",
            "survey_id": survey_id,
            "channel": "email",
            "delay_seconds": 90,
            "sample_rate": 0.125,
            "conditions": conditions,
            "cancel_on": ["churned"],
        },
        headers=workspace.headers,
    )
    tp_id = made.json["id"]
    page = client.get(f"/app/touchpoints/{tp_id}")
    assert page.status_code == 200
    assert 'value="90"' in page.text and '<option value="seconds" selected>' in page.text
    assert 'value="12.5"' in page.text and ">churned</textarea>" in page.text
    assert 'value="[&#34;a, b&#34;, &#34;c&#34;]"' in page.text  # shown as JSON, read back the same
    assert 'value="5, 10"' in page.text

    # Saving the untouched form changes nothing.
    fields = {
        "csrf_token": token, "name": "Renewal", "event": "renewal.done", "survey_id": survey_id,
        "channel": "email", "delay_value": "90", "delay_unit": "seconds", "sample_percent": "12.5",
        "expires_after_days": "14", "cancel_on": "churned", "active": ["0", "1"],
        "conditions-0-field": "contact.attributes.plan", "conditions-0-op": "in",
        "conditions-0-type": "json", "conditions-0-value": '["a, b", "c"]',
        "conditions-1-field": "contact.attributes.seats", "conditions-1-op": "in",
        "conditions-1-type": "numbers", "conditions-1-value": "5, 10",
        "conditions-2-field": "event.properties.vip", "conditions-2-op": "ne",
        "conditions-2-type": "boolean", "conditions-2-value": "false",
    }  # fmt: skip
    assert client.post(f"/app/touchpoints/{tp_id}", data=fields).status_code == 302
    (same,) = _touchpoints(app)
    assert same.conditions == conditions and same.delay_seconds == 90 and same.sample_rate == 0.125
    assert same.active is True

    # A bad edit changes nothing at all, not even the valid fields sent with it.
    bad = client.post(
        f"/app/touchpoints/{tp_id}",
        data={**fields, "name": "Renamed", "survey_id": other_survey, "conditions-1-value": "5, many"},
    )
    assert bad.status_code == 422
    assert field_errors(bad.text) == {"c-1-conditions.1.value": "Not a valid number."}
    assert _touchpoints(app)[0].name == "Renewal"
    private = client.post(
        f"/app/touchpoints/{tp_id}",
        data={**fields, "name": "Renamed", "channel": "webhook", "webhook_url": "http://10.0.0.1/x"},
    )
    assert private.status_code == 422 and list(field_errors(private.text)) == ["t-webhook_url"]
    (unchanged,) = _touchpoints(app)
    assert (unchanged.name, unchanged.channel, unchanged.webhook_url) == ("Renewal", "email", None)

    # A good edit: fewer conditions, another survey, no sampling, paused.
    edited = {k: v for k, v in fields.items() if not k.startswith(("conditions-1", "conditions-2"))}
    edited.update({"survey_id": other_survey, "sample_percent": "100", "active": ["0"], "cancel_on": ""})
    assert client.post(f"/app/touchpoints/{tp_id}", data=edited).status_code == 302
    (saved,) = _touchpoints(app)
    assert saved.survey_id == other_survey and saved.sample_rate == 1.0 and saved.active is False
    assert saved.conditions == conditions[:1] and saved.cancel_on == []
    assert client.get("/app/touchpoints/tp_unknown").status_code == 404


def test_touchpoint_form_needs_csrf_and_an_admin(client, app, workspace):
    make_user(app, workspace.workspace.id)
    make_user(app, workspace.workspace.id, role="analyst", email="ana@acme.test")
    survey_id = make_survey(app, workspace.workspace.id)
    data = {"name": "Tp", "event": "a.b", "survey_id": survey_id, "channel": "link"}
    token = login(client)
    assert client.post("/app/touchpoints", data=data).status_code == 400
    assert client.post("/app/touchpoints", data={**data, "csrf_token": "forged"}).status_code == 400
    assert client.post("/app/touchpoints", data={**data, "csrf_token": token}).status_code == 302
    (tp,) = _touchpoints(app)
    assert client.post(f"/app/touchpoints/{tp.id}", data={**data, "name": "Nope"}).status_code == 400

    analyst = app.test_client()
    analyst_token = login(analyst, "ana@acme.test")
    assert analyst.get("/app/touchpoints/new").status_code == 403
    assert analyst.get(f"/app/touchpoints/{tp.id}").status_code == 403
    assert analyst.post("/app/touchpoints", data={**data, "csrf_token": analyst_token}).status_code == 403
    changed = analyst.post(
        f"/app/touchpoints/{tp.id}", data={**data, "name": "X", "csrf_token": analyst_token}
    )
    assert changed.status_code == 403
    listing = analyst.get("/app/surveys").text
    assert (
        "Tp" in listing
        and f"/app/touchpoints/{tp.id}" not in listing
        and "/app/touchpoints/new" not in listing
    )
    assert [t.name for t in _touchpoints(app)] == ["Tp"]


def test_touchpoint_form_understands_the_apis_field_names(client, app, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(app, workspace.workspace.id)
    token = login(client)
    base = {"csrf_token": token, "name": "Tp", "event": "a.b", "survey_id": survey_id, "channel": "link"}
    bad = client.post("/app/touchpoints", data={**base, "delay_seconds": "soon", "sample_rate": "2"})
    assert field_errors(bad.text) == {
        "t-delay": "Not a valid integer.",
        "t-sample_rate": "Must be between 0 and 100 %.",
    }
    assert (
        client.post(
            "/app/touchpoints", data={**base, "delay_seconds": "90", "sample_rate": "0.5"}
        ).status_code
        == 302
    )
    (touchpoint,) = _touchpoints(app)
    assert (touchpoint.delay_seconds, touchpoint.sample_rate) == (90, 0.5)
