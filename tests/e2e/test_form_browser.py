"""A real browser (system Chromium through Playwright) against a real server thread: the hosted
form answered the no-JavaScript way with a hostile comment, and the widget embedded on a page
served from another (allowed) origin."""

import time

import pytest
from sqlalchemy import select

from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace
from tests.support.browser import LiveServer, new_page
from tests.support.helpers import make_invitation

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture
def page(browser):
    context, page = new_page(browser, 390, 844)
    yield page
    context.close()


def test_form_browser_answer_with_hostile_comment(page, live_server, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    page.goto(f"{live_server.url}/s/{invitation.token}")
    assert page.get_by_role("heading", level=1).inner_text() == "How likely are you to recommend Acme?"

    with page.expect_navigation():
        page.get_by_role("button", name="9", exact=True).click()
    assert page.get_by_role("button", name="9", exact=True).get_attribute("aria-pressed") == "true"
    assert page.get_by_role("status").inner_text().startswith("Score saved")

    comment = page.get_by_label("What is the main reason for your score?")
    comment.fill(HOSTILE)
    # Changing the score keeps the typed comment, shown back as text.
    with page.expect_navigation():
        page.get_by_role("button", name="10", exact=True).click()
    assert comment.input_value() == HOSTILE
    assert page.get_by_role("button", name="10", exact=True).get_attribute("aria-pressed") == "true"

    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    assert page.locator("img").count() == 0
    assert page.dialogs == []

    db_session.expire_all()
    stored = db_session.execute(select(Response)).unique().scalar_one()
    assert (stored.score, stored.comment, stored.completed) == (10, HOSTILE, True)
    assert stored.invitation_id == invitation.id


def _host_page(app_url: str, survey_id: str):
    html = (
        f'<!doctype html><html lang="en"><head><title>Shop</title></head><body>'
        f'<h1>Shop</h1><script src="{app_url}/embed.js" data-workspace="acme" '
        f'data-survey="{survey_id}" data-contact="known-1" async></script></body></html>'
    ).encode()

    def wsgi(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [html]

    return wsgi


def test_widget_browser_score_then_comment(page, live_server, db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    survey = Survey(
        workspace_id=ws.id,
        name="Widget",
        kind="csat",
        question="How satisfied are you with checkout?",
        comment_prompt="Tell us more",
    )
    db_session.add(survey)
    db_session.commit()
    host = LiveServer(_host_page(live_server.url, survey.id))
    try:
        ws.allowed_origins = [host.url]
        db_session.commit()
        page.goto(host.url)
        dialog = page.get_by_role("dialog", name="How satisfied are you with checkout?")
        dialog.wait_for()
        score = dialog.get_by_role("button", name="4", exact=True)
        score.focus()
        page.keyboard.press("Enter")  # keyboard operable
        comment = dialog.get_by_label("Tell us more")
        comment.wait_for()
        assert score.get_attribute("aria-pressed") == "true"
        db_session.expire_all()
        partial = db_session.execute(select(Response)).unique().scalar_one()
        assert (partial.score, partial.completed, partial.source) == (4, False, "widget")

        comment.fill(HOSTILE)
        dialog.get_by_role("button", name="Send").click()
        dialog.get_by_text("Thank you!").wait_for()
        assert page.dialogs == []
        db_session.expire_all()
        stored = db_session.execute(select(Response)).unique().scalar_one()
        assert (stored.id, stored.comment, stored.completed) == (partial.id, HOSTILE, True)
        assert stored.meta == {"page_url": f"{host.url}/"}

        # Answered: not asked again on the next page view (remembered for 30 days).
        page.reload()
        page.wait_for_load_state("networkidle")
        time.sleep(0.3)
        assert page.get_by_role("dialog").count() == 0
    finally:
        host.stop()


def test_widget_browser_refused_on_foreign_origin(page, live_server, db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    survey = Survey(workspace_id=ws.id, name="Widget", kind="nps", question="Recommend us?")
    db_session.add(survey)
    db_session.commit()  # allowed_origins stays empty
    host = LiveServer(_host_page(live_server.url, survey.id))
    try:
        page.goto(host.url)
        page.wait_for_load_state("networkidle")
        time.sleep(0.3)
        assert page.get_by_role("dialog").count() == 0
        assert page.get_by_role("heading", name="Shop").is_visible()  # the host page is intact
    finally:
        host.stop()
    db_session.expire_all()
    assert db_session.execute(select(Response)).first() is None
