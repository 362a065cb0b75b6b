"""What people read: the Slack text of a score-drop alert (the test, the difference and its
interval, quotes escaped for Slack's mrkdwn) and its email (HTML escaped, the figures in text)."""

from datetime import UTC, datetime

from surveys.alert.models import Alert, AlertRule
from surveys.alert.notify import payload, render
from surveys.webhook import slack

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _alert() -> tuple[AlertRule, Alert]:
    rule = AlertRule(id="alr_1", name="<!channel> drops", kind="score_drop", notify={})
    alert = Alert(
        id="alt_1",
        rule_id="alr_1",
        kind="score_drop",
        title="NPS of “<b>Main</b>” fell from 25.0 to -5.0",
        window_from=AT,
        window_to=AT,
        fired_at=AT,
        difference=-30.0,
        ci95=[-43.1, -16.9],
        p_value=7e-06,
        figures={"test": "z test on the difference of two NPS values", "alpha": 0.05},
        examples=[{"response_id": "rsp_1", "score": 2, "comment": "<@U123> & <http://evil|click>"}],
        evidence_path="/app/feedback?survey=sv_1&from=2026-11-23&to=2026-11-29",
    )
    return rule, alert


def test_slack_message_of_a_score_drop_is_readable_and_escaped():
    rule, alert = _alert()
    envelope = {"type": "alert.triggered", "data": payload(rule, alert, "https://voc.example")}
    body = slack.message(envelope, answer_url="https://voc.example/app/feedback?response={id}")
    text = body["blocks"][1]["text"]["text"]
    assert "z test on the difference of two NPS values: difference -30.0 (95% CI -43.1 to -16.9)" in text
    assert "&lt;@U123&gt; &amp; &lt;http://evil|click&gt;" in text and "<@U123>" not in text
    assert "&lt;b&gt;Main&lt;/b&gt;" in text
    assert (
        "<https://voc.example/app/feedback?survey=sv_1&from=2026-11-23&to=2026-11-29|See the answers" in text
    )
    assert body["text"].startswith("vocservice: Alert - *NPS of")


def test_email_of_a_score_drop_states_the_test_and_escapes_html():
    rule, alert = _alert()
    message = render(rule, alert, to="pm@acme.test", base_url="https://voc.example", host="voc.example")
    text = message.get_body(("plain",)).get_content()
    assert "Difference: -30.0 (95% CI -43.1 to -16.9)" in text and "p-value: 7e-06 (alpha 0.05)" in text
    assert "> <@U123> & <http://evil|click>" in text
    html = message.get_body(("html",)).get_content()
    assert "<b>Main</b>" not in html and "&lt;b&gt;Main&lt;/b&gt;" in html
    assert "&lt;@U123&gt; &amp; &lt;http://evil|click&gt;" in html
    assert message["Message-ID"].startswith("<alt_1.") and message["Subject"].startswith("vocservice alert:")
