"""Alerts and the trend in a real browser: the dashboard's current week with one angry answer is
a pale point with its interval, off the line (no fall to -100), and the change against the
period before is called within noise; an admin adds a detractor rule on the alerts page, the
alert shows with its quote as text, and its evidence link opens the feedback."""

import re
from datetime import UTC, datetime, timedelta

from tests.e2e.test_webapp_browser import _login
from tests.support.helpers import create_survey
from tests.support.webapp import make_user
from tests.surveys.alert.conftest import evaluate, post_answers


def _seed(client, workspace):
    survey = create_survey(client, workspace.headers, name="Relationship NPS", kind="nps")
    now = datetime.now(UTC)
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time(), UTC)
    mix = [10] * 20 + [8] * 10 + [3] * 10  # NPS +25 from 40 answers a week
    for week in (1, 2, 3):
        post_answers(
            client, workspace, survey["id"], mix, at=monday - timedelta(days=7 * week - 1), prefix=f"w{week}"
        )
    post_answers(client, workspace, survey["id"], mix * 3, at=now - timedelta(days=120), prefix="before")
    post_answers(
        client,
        workspace,
        survey["id"],
        [0],
        at=max(monday, now - timedelta(seconds=90)),
        comment="Never again",
        prefix="today",
    )
    return survey


def test_dashboard_trend_mutes_the_small_partial_week(desktop, live_server, app, client, workspace):
    make_user(app, workspace.workspace.id)
    _seed(client, workspace)
    _login(desktop, live_server.url)
    chart = desktop.locator("svg.trend-wide")
    dots = chart.locator("circle")
    assert dots.count() == 4
    last = dots.nth(3)
    assert last.get_attribute("class") == "dot muted"
    assert "small sample" in last.locator("title").text_content()
    assert "not complete" in last.locator("title").text_content()
    assert chart.locator("line.whisker").count() == 1
    # The line ends at the last complete week: its last x is the third dot's, not the fourth's.
    line = chart.locator("path.line").get_attribute("d")
    last_x = float(re.findall(r"[ML]([\d.]+),", line)[-1])
    assert abs(last_x - float(dots.nth(2).get_attribute("cx"))) < 0.2
    assert float(last.get_attribute("cx")) > last_x
    assert desktop.locator(".trend-note").is_visible()
    change = desktop.locator("#kpi-change")
    assert "within noise" in change.inner_text()
    assert desktop.dialogs == [] and desktop.console_errors == []


def test_alerts_page_add_a_rule_and_read_the_alert(desktop, live_server, app, client, workspace):
    make_user(app, workspace.workspace.id)
    survey = create_survey(client, workspace.headers, name="Support NPS", kind="nps")
    _login(desktop, live_server.url)
    desktop.get_by_role("link", name="Alerts").click()
    assert "No alerts yet" in desktop.locator("section").first.inner_text()
    desktop.locator("#fld-new-name").fill("Unhappy customers")
    desktop.locator("#fld-new-kind").select_option("detractor")
    desktop.locator("#fld-new-survey_id").select_option(survey["id"])
    desktop.get_by_label("pm@acme.test").check()
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Add rule").click()
    assert "Alert rule “Unhappy customers” created" in desktop.locator(".flash").inner_text()
    assert desktop.get_by_role("rowheader", name="Unhappy customers").is_visible()

    now = datetime.now(UTC)
    post_answers(
        client,
        workspace,
        survey["id"],
        [1],
        at=now - timedelta(seconds=5),
        comment='<img src=x onerror="alert(1)"> slow refunds',
    )
    assert len(evaluate(app, now + timedelta(minutes=2), base_url=live_server.url).fired) == 1
    desktop.reload()
    item = desktop.locator(".alert-item").first
    assert "1 detractor answer" in item.inner_text()
    assert '<img src=x onerror="alert(1)"> slow refunds' in item.locator("q").inner_text()
    with desktop.expect_navigation():
        item.get_by_role("link", name="See the answers").click()
    assert desktop.url.startswith(f"{live_server.url}/app/feedback?survey={survey['id']}")
    assert "slow refunds" in desktop.locator("main").inner_text()
    assert desktop.dialogs == [] and desktop.console_errors == []
