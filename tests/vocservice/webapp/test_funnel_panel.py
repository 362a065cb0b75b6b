"""The dashboard's funnel panel: an empty state that says what to do, the stages with their
rates and the reasons invitations were lost, customer-chosen names escaped."""

import re

from tests.support.funnel import LONG_EVENT, seed_funnel
from tests.support.webapp import HOSTILE, login, make_user, seed_feedback


def _panel(html: str) -> str:
    return re.search(r'<section class="card funnel".*?</section>', html, re.S).group(0)


def test_funnel_panel_empty_state_says_what_to_do(client, app, workspace):
    make_user(app, workspace.workspace.id)
    seed_feedback(app, workspace.workspace.id)
    login(client)
    panel = _panel(client.get("/app").text)
    assert "No touchpoint sends this survey yet" in panel
    assert 'href="/app/surveys"' in panel and "POST /api/v1/events" in panel


def test_funnel_panel_shows_stages_rates_and_reasons(client, app, workspace):
    make_user(app, workspace.workspace.id)
    data = seed_feedback(app, workspace.workspace.id)
    seed_funnel(app, workspace.workspace.id, data["survey_id"], name=HOSTILE)
    login(client)
    page = client.get(f"/app?survey={data['survey_id']}")
    assert page.status_code == 200
    panel = _panel(page.text)
    values = re.findall(
        r'<span class="bar-label">(\w+)</span>.*?<span class="bar-value">([\d,]+)', panel, re.S
    )
    assert values == [("Events", "6"), ("Scheduled", "5"), ("Sent", "4"), ("Opened", "3"), ("Answered", "2")]
    assert "75% of opened" not in panel and "67% of opened" in panel  # 2 answered of 3 opened
    assert "1 not asked (recently contacted: 1)" in panel
    assert "1 failed to send (SMTPRecipientsRefused: 1)" in panel
    assert LONG_EVENT in panel
    assert HOSTILE not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in panel
    # Outside the range: the touchpoint is listed with what to do instead of bars.
    old = _panel(client.get(f"/app?survey={data['survey_id']}&from=2020-01-01&to=2020-01-31").text)
    assert "bar-label" not in old and f"No <code>{LONG_EVENT}</code> events in this range" in old
