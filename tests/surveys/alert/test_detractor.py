"""Detractor alerts: a flood becomes one digestible alert and one email per recipient; the
webhook carries the figures and quotes; a disabled endpoint neither blocks the alert nor its
email; a tick killed mid-evaluation alerts neither twice nor never."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from surveys.alert.models import Alert, AlertSignal
from surveys.core.db import db, utcnow
from tests.support.helpers import table_count
from tests.surveys.alert.conftest import evaluate, make_rule, post_answers


def test_detractor_flood_is_one_alert_and_one_email_per_recipient(
    app, client, workspace, team, survey, run_worker, smtp_server, db_session
):
    rule = make_rule(client, workspace, kind="detractor", survey_id=survey["id"], notify={"emails": team})
    now = utcnow()
    scores = [i % 7 for i in range(1000)]  # 0..6: all detractors
    post_answers(
        client,
        workspace,
        survey["id"],
        scores,
        at=now - timedelta(seconds=30),
        comment="<script>alert(1)</script> & slow",
    )
    post_answers(client, workspace, survey["id"], [10] * 20, at=now, prefix="promoter")
    assert table_count(db_session, AlertSignal) == 1000

    collecting = evaluate(app, now)  # the burst is still arriving: wait
    assert collecting.fired == []
    done = evaluate(app, now + timedelta(seconds=90))
    assert len(done.fired) == 1
    again = evaluate(app, now + timedelta(seconds=180))
    assert again.fired == []

    alert = db_session.execute(select(Alert)).scalar_one()
    assert alert.figures["answers"] == 1000
    assert sum(alert.figures["by_score"].values()) == 1000
    assert len(alert.examples) == 3
    assert "category=detractor" in alert.evidence_path

    run_worker()
    assert sorted(str(m["To"]) for m in smtp_server.messages) == team
    message = smtp_server.messages[0]
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    text = message.get_body(("plain",)).get_content()
    assert "1000 detractor answers" in text and "http://voc.test/app/feedback?" in text
    listed = client.get(f"/api/v1/alerts?rule_id={rule['id']}", headers=workspace.headers).json
    assert [a["id"] for a in listed["items"]] == [alert.id]
    assert listed["items"][0]["figures"]["answers"] == 1000
    assert len(listed["items"][0]["examples"]) == 3


def test_detractor_alert_reaches_slack_and_skips_a_disabled_endpoint(
    app, client, workspace, team, survey, run_worker, smtp_server, receiver, db_session
):
    endpoints = [
        client.post(
            "/api/v1/webhook-endpoints",
            json={"url": receiver.url + path, "events": ["alert.triggered"], "format": fmt},
            headers=workspace.headers,
        ).json
        for path, fmt in (("/slack", "slack"), ("/off", "standard"))
    ]
    off = client.patch(
        f"/api/v1/webhook-endpoints/{endpoints[1]['id']}", json={"enabled": False}, headers=workspace.headers
    )
    assert off.status_code == 200
    rule = make_rule(
        client,
        workspace,
        kind="detractor",
        survey_id=survey["id"],
        notify={"emails": team[:1], "webhook_endpoint_ids": [e["id"] for e in endpoints]},
    )
    shown = client.get(f"/api/v1/alert-rules/{rule['id']}", headers=workspace.headers).json
    assert any("disabled" in w for w in shown["warnings"])

    now = utcnow()
    post_answers(client, workspace, survey["id"], [2, 3], at=now, comment="<!channel> broken & slow")
    assert len(evaluate(app, now + timedelta(minutes=2)).fired) == 1
    run_worker()
    assert len(smtp_server.messages) == 1
    bodies = [r["body"] for r in receiver.received]
    assert len(bodies) == 1 and receiver.received[0]["path"].endswith("/slack")
    import json

    slack = json.loads(bodies[0])
    assert "2 detractor answers" in slack["text"]
    section = slack["blocks"][1]["text"]["text"]
    assert "&lt;!channel&gt; broken &amp; slow" in section and "<!channel>" not in section
    assert "<http://voc.test/app/feedback?" in section


class Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, nothing is committed."""


def test_tick_killed_mid_evaluation_alerts_once_and_loses_none(
    app, client, workspace, survey, monkeypatch, db_session
):
    from surveys.alert import evaluate as module

    first = make_rule(client, workspace, name="one", kind="detractor", survey_id=survey["id"])
    second = make_rule(client, workspace, name="two", kind="detractor", survey_id=survey["id"])
    now = utcnow()
    post_answers(client, workspace, survey["id"], [0, 1, 2], at=now)

    real = module._record
    calls = []

    def dies_on_the_second(session, rule, finding, now, base_url):
        calls.append(rule.id)
        alert_id = real(session, rule, finding, now, base_url)
        if len(calls) == 2:
            raise Killed  # after the second alert's INSERT, before its commit
        return alert_id

    monkeypatch.setattr(module, "_record", dies_on_the_second)
    with pytest.raises(Killed):
        evaluate(app, now + timedelta(minutes=2))
    monkeypatch.setattr(module, "_record", real)
    assert db.session.execute(select(Alert.rule_id)).scalars().all() == [calls[0]]

    rerun = evaluate(app, now + timedelta(minutes=3))
    assert len(rerun.fired) == 1
    assert sorted(db.session.execute(select(Alert.rule_id)).scalars()) == sorted([first["id"], second["id"]])
    assert evaluate(app, now + timedelta(minutes=4)).fired == []
    assert table_count(db_session, Alert) == 2


def test_alert_is_unique_per_rule_and_window(app, client, workspace, survey, db_session):
    from surveys.alert import checks
    from surveys.alert.evaluate import _record
    from surveys.alert.models import AlertRule

    rule_id = make_rule(client, workspace, kind="detractor", survey_id=survey["id"])["id"]
    rule = db_session.get(AlertRule, rule_id)
    finding = checks.Finding(
        True,
        {},
        window_key="detractor:1-5",
        window_from=utcnow(),
        window_to=utcnow(),
        title="t",
        evidence_path="/app/feedback",
    )
    assert _record(db_session, rule, finding, utcnow(), "") is not None
    assert _record(db_session, rule, finding, utcnow(), "") is None  # ON CONFLICT DO NOTHING
    db_session.commit()
    assert table_count(db_session, Alert) == 1
