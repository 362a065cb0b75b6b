"""One click means one answer, in a real browser (system Chromium) against a real server thread:
the score clicked in the email is stored when the page opens, even if the customer closes it at
once; with JavaScript off, the press of a score button stores it; a mail scanner's plain GET or
HEAD of every score link, over real HTTP, stores nothing."""

import urllib.request

import pytest
from sqlalchemy import select

from surveys.invitation.models import Invitation
from surveys.response.models import Response
from tests.support.browser import new_page
from tests.support.helpers import make_invitation


def _stored(db_session, invitation_id: str) -> tuple[Invitation, list[Response]]:
    """The invitation and its answers, read fresh (the live server commits on its own connection)."""
    db_session.expire_all()
    invitation = db_session.get(Invitation, invitation_id)
    answers = list(
        db_session.execute(select(Response).where(Response.invitation_id == invitation_id)).unique().scalars()
    )
    return invitation, answers


def test_one_click_browser_score_link_then_close_stores_a_partial_answer(
    browser, live_server, db_session, workspace
):
    invitation = make_invitation(db_session, workspace.workspace.id)
    context, page = new_page(browser, 390, 844)
    try:
        opened = f"{live_server.url}/s/{invitation.token}/opened"
        with page.expect_response(lambda r: r.url == opened) as reported:
            page.goto(f"{live_server.url}/s/{invitation.token}?score=3")
        assert reported.value.status == 204
        assert page.get_by_role("button", name="3", exact=True).get_attribute("aria-pressed") == "true"
        page.close()  # the customer closes the tab without pressing anything
        assert page.console_errors == []  # the policy let the script run, and nothing else
    finally:
        context.close()
    stored_invitation, answers = _stored(db_session, invitation.id)
    (answer,) = answers
    assert (answer.score, answer.completed, answer.source, answer.comment) == (3, False, "email", None)
    assert answer.last_activity_at is not None
    assert stored_invitation.opened_at is not None
    assert stored_invitation.status == "sent"  # not answered until sent or finalised


def test_one_click_browser_without_javascript_the_press_stores_it(
    browser, live_server, db_session, workspace
):
    invitation = make_invitation(db_session, workspace.workspace.id)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/s/{invitation.token}?score=3")
        assert page.get_by_role("button", name="3", exact=True).get_attribute("aria-pressed") == "true"
        stored_invitation, answers = _stored(db_session, invitation.id)
        assert answers == [] and stored_invitation.opened_at is None  # no script ran: nothing yet
        with page.expect_navigation():
            page.get_by_role("button", name="3", exact=True).click()
        assert page.get_by_role("status").inner_text().startswith("Score saved")
    finally:
        context.close()
    stored_invitation, answers = _stored(db_session, invitation.id)
    (answer,) = answers
    assert (answer.score, answer.completed, answer.source) == (3, False, "email")
    assert stored_invitation.opened_at is not None


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_one_click_scanner_fetching_every_link_stores_nothing(method, live_server, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    for score in range(11):
        request = urllib.request.Request(
            f"{live_server.url}/s/{invitation.token}?score={score}",
            method=method,
            headers={"User-Agent": "Mozilla/5.0 (compatible; LinkScanner/1.0)"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 - our own test server
            assert reply.status == 200
            body = reply.read()
            assert (body == b"") == (method == "HEAD")
    stored_invitation, answers = _stored(db_session, invitation.id)
    assert answers == []
    assert stored_invitation.opened_at is None and stored_invitation.status == "sent"
