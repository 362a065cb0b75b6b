"""A real browser (system Chromium through Playwright) against a real server thread: the hosted
form answered the no-JavaScript way with a hostile comment, and the widget embedded on a page
served from another origin: answered where that origin is allowed, refused (nothing stored) where not."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace
from tests.support.browser import LiveServer, new_page
from tests.support.helpers import make_invitation

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
# What the widget posts on a tap, sent as a CORS "simple" request: text/plain, so no preflight.
POST_SCORE = """([url, surveyId]) => fetch(url, {
  method: "POST", mode: "no-cors", credentials: "omit", headers: {"Content-Type": "text/plain"},
  body: JSON.stringify({survey_id: surveyId, score: 9, contact: null}),
}).then(() => "sent", () => "failed")"""


@pytest.fixture
def page(browser):
    context, page = new_page(browser, 390, 844)
    yield page
    context.close()


def _responses(db_session) -> list[Response]:
    """Every stored response, read fresh (the live server commits on its own connection)."""
    db_session.expire_all()
    return list(db_session.execute(select(Response)).unique().scalars())


def test_form_browser_answer_with_hostile_comment(page, live_server, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    page.goto(f"{live_server.url}/s/{invitation.token}")
    assert page.get_by_role("heading", level=1).inner_text() == "How likely are you to recommend Acme?"
    assert _responses(db_session) == []  # opening the link answers nothing

    with page.expect_navigation():
        page.get_by_role("button", name="9", exact=True).click()
    assert page.get_by_role("button", name="9", exact=True).get_attribute("aria-pressed") == "true"
    assert page.get_by_role("status").inner_text().startswith("Score saved")
    (partial,) = _responses(db_session)  # the tap saved a partial answer
    assert (partial.score, partial.comment, partial.completed) == (9, None, False)
    assert partial.invitation_id == invitation.id

    comment = page.get_by_label("What is the main reason for your score?")
    comment.fill(HOSTILE)
    # Changing the score keeps the typed comment, shown back as text.
    with page.expect_navigation():
        page.get_by_role("button", name="10", exact=True).click()
    assert comment.input_value() == HOSTILE
    assert page.get_by_role("button", name="10", exact=True).get_attribute("aria-pressed") == "true"
    (saved,) = _responses(db_session)  # still the same answer, not finished until "Send"
    assert (saved.id, saved.score, saved.comment, saved.completed) == (partial.id, 10, HOSTILE, False)

    with page.expect_navigation():
        page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    assert page.locator("img").count() == 0
    assert page.dialogs == []

    (stored,) = _responses(db_session)
    assert (stored.id, stored.score, stored.comment, stored.completed) == (partial.id, 10, HOSTILE, True)
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
        assert _responses(db_session) == []  # shown, not answered: nothing stored yet
        score = dialog.get_by_role("button", name="4", exact=True)
        score.focus()
        page.keyboard.press("Enter")  # keyboard operable
        comment = dialog.get_by_label("Tell us more")
        comment.wait_for()
        expect(score).to_have_attribute("aria-pressed", "true")
        (partial,) = _responses(db_session)
        assert (partial.score, partial.completed, partial.source) == (4, False, "widget")

        comment.fill(HOSTILE)
        dialog.get_by_role("button", name="Send").click()
        dialog.get_by_text("Thank you!").wait_for()
        assert page.dialogs == []
        (stored,) = _responses(db_session)
        assert (stored.id, stored.comment, stored.completed) == (partial.id, HOSTILE, True)
        assert stored.meta == {"page_url": f"{host.url}/"}

        # Answered: not asked again on the next page view (remembered for 30 days). The widget
        # script is async, so it has run by the load event reload() waits for; had it not
        # remembered the answer, it would have asked for the survey before that.
        remembered = page.evaluate("key => localStorage.getItem(key)", f"voc:dismissed:acme:{survey.id}")
        assert remembered is not None
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.reload(wait_until="load")
        assert f"{live_server.url}/embed.js" in requested
        assert not [url for url in requested if "/w/acme/" in url]
        assert page.get_by_role("dialog").count() == 0
        assert len(_responses(db_session)) == 1
    finally:
        host.stop()


def test_widget_browser_refused_on_foreign_origin(page, live_server, db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    survey = Survey(workspace_id=ws.id, name="Widget", kind="nps", question="Recommend us?")
    db_session.add(survey)
    db_session.commit()  # allowed_origins stays empty
    host = LiveServer(_host_page(live_server.url, survey.id))
    try:
        with page.expect_event("requestfailed", lambda r: f"/w/acme/surveys/{survey.id}" in r.url) as config:
            page.goto(host.url)
        # The server refused the origin (403, no CORS header), so the browser failed the widget's
        # request for its survey: the card, rendered only from that answer, can never show.
        assert config.value.failure
        assert page.get_by_role("dialog").count() == 0
        assert page.get_by_role("heading", name="Shop").is_visible()  # the host page is intact

        # A tap's request sent from this page anyway (a simple request, so no preflight stops it
        # before the server) is refused by the server and stores nothing.
        with page.expect_response(lambda r: r.url == f"{live_server.url}/w/acme/responses") as posted:
            assert page.evaluate(POST_SCORE, [f"{live_server.url}/w/acme/responses", survey.id]) == "sent"
        assert posted.value.status == 403
        assert _responses(db_session) == []

        # The same request from an allowed origin is stored: the refusal above was the origin's.
        ws.allowed_origins = [host.url]
        db_session.commit()
        with page.expect_response(lambda r: r.url == f"{live_server.url}/w/acme/responses") as posted:
            assert page.evaluate(POST_SCORE, [f"{live_server.url}/w/acme/responses", survey.id]) == "sent"
        assert posted.value.status == 201
    finally:
        host.stop()
    (stored,) = _responses(db_session)
    assert (stored.survey_id, stored.score, stored.source) == (survey.id, 9, "widget")
