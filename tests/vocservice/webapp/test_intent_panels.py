"""The dashboard's "What customers ask for" and "What they complain about" panels and the theme
table's intent mix, from answers analysed by the real analyser; their links filter the feedback
explorer by the mention's intent; customer text stays text; empty panels say what to do."""

import csv
import io

from tests.support.intent import ASKS, HOSTILE_ASK, INTENT_COMMENTS
from tests.support.webapp import login, make_survey, make_user, seed_feedback


def _section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</section>", start)]


def test_dashboard_panels_rank_themes_by_requests_and_complaints(app, client, workspace):
    make_user(app, workspace.workspace.id)
    data = seed_feedback(app, workspace.workspace.id, INTENT_COMMENTS)
    login(client)
    page = client.get(f"/app?survey={data['survey_id']}").text
    asks, complaints = _section(page, "asks"), _section(page, "complaints")
    assert "What customers ask for" in asks and "What they complain about" in complaints
    assert "integrations" in asks and "3 requests" in asks
    assert "billing" in complaints and "2 complaints" in complaints and "integrations" not in complaints
    # The example is customer text: escaped, never markup.
    assert "<img" not in page and "&lt;img src=x onerror=alert(&#34;ask&#34;)&gt;" in asks
    link = f"/app/feedback?survey={data['survey_id']}&amp;theme="
    assert link in asks and "intent=request" in asks and "intent=complaint" in complaints
    # The theme table: integrations reads as asked for, not as praised.
    table = page[page.index('id="themes-title"') :]
    assert "3 requests" in table and "What they want" in table

    href = asks[asks.index('href="') + 6 :].split('"', 1)[0].replace("&amp;", "&")
    feedback = client.get(href).text
    assert feedback.count('class="card response"') == len(ASKS)
    assert "Slack" in feedback and "Billing charged" not in feedback
    # With a theme, the intent filter is the mention's: nobody asks anything of billing.
    billing = complaints[complaints.index('href="') + 6 :].split('"', 1)[0].replace("&amp;", "&")
    assert client.get(billing).text.count('class="card response"') == 2
    assert (
        client.get(billing.replace("intent=complaint", "intent=request")).text.count('class="card response"')
        == 0
    )

    exported = client.get(href.replace("/app/feedback?", "/app/feedback.csv?")).data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["intent"] for r in rows} == {"request"} and len(rows) == len(ASKS)
    assert all("integrations: request" in r["theme_intents"].split("; ") for r in rows)
    assert any(r["comment"] == HOSTILE_ASK for r in rows)


def test_dashboard_panels_say_what_to_do_when_empty(app, client, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(app, workspace.workspace.id)
    login(client)
    page = client.get(f"/app?survey={survey_id}").text
    assert "No requests about a theme in this range." in _section(page, "asks")
    assert "widen the dates" in _section(page, "asks")
    assert "No complaints about a theme in this range." in _section(page, "complaints")
