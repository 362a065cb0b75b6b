"""The widget in a real browser on a host page of another origin, with the contact attributes a
host site's backend renders: a valid ``data-contact-token`` links the customer; a wrong one is
refused by the server and the widget keeps the answer anonymously; a contact without a token is
never even sent."""

import html

import pytest
from sqlalchemy import select

from surveys.contact.models import Contact
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace
from surveys.workspace.secrets import contact_token
from tests.support.browser import LiveServer, new_page


@pytest.fixture
def page(browser):
    context, page = new_page(browser, 390, 844)
    yield page
    context.close()


def _host_page(app_url: str, survey_id: str, attributes: str):
    body = (
        f'<!doctype html><html lang="en"><head><title>Shop</title></head><body><h1>Shop</h1>'
        f'<script src="{app_url}/embed.js" data-workspace="acme" data-survey="{survey_id}" {attributes}'
        f" async>"
        f"</script></body></html>"
    ).encode()

    def wsgi(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body]

    return wsgi


def _answer(page, live_server, db_session, workspace, attributes: str) -> tuple[Response, list[dict]]:
    ws = db_session.get(Workspace, workspace.workspace.id)
    survey = Survey(workspace_id=ws.id, name="Widget", kind="nps", question="Recommend us?")
    db_session.add(survey)
    db_session.commit()
    host = LiveServer(_host_page(live_server.url, survey.id, attributes))
    posted: list[dict] = []
    page.on(
        "request",
        lambda r: (
            posted.append(r.post_data_json) if r.method == "POST" and "/w/acme/responses" in r.url else None
        ),
    )
    try:
        ws.allowed_origins = [host.url]
        db_session.commit()
        page.goto(host.url)
        dialog = page.get_by_role("dialog", name="Recommend us?")
        dialog.wait_for()
        dialog.get_by_role("button", name="3", exact=True).click()
        dialog.get_by_role("button", name="Send").wait_for()
        db_session.expire_all()
        (stored,) = db_session.execute(select(Response)).unique().scalars()
        return stored, posted
    finally:
        host.stop()


def _customer(db_session, workspace) -> str:
    db_session.add(
        Contact(
            workspace_id=workspace.workspace.id, external_id="cust-0041", attributes={"plan": "enterprise"}
        )
    )
    db_session.commit()
    return "cust-0041"


def test_widget_browser_valid_contact_token_links_the_customer(page, live_server, db_session, workspace):
    known = _customer(db_session, workspace)
    token = contact_token(workspace.workspace.widget_secret, known)
    stored, posted = _answer(
        page, live_server, db_session, workspace, f'data-contact="{known}" data-contact-token="{token}"'
    )
    assert stored.contact.external_id == known and stored.attributes == {"plan": "enterprise"}
    assert [(p["contact"], p["contact_token"]) for p in posted] == [(known, token)]


def test_widget_browser_wrong_token_keeps_the_answer_anonymously(page, live_server, db_session, workspace):
    known = _customer(db_session, workspace)
    forged = contact_token("widsec_guess", known)
    stored, posted = _answer(
        page, live_server, db_session, workspace, f'data-contact="{known}" data-contact-token="{forged}"'
    )
    assert (stored.contact_id, stored.attributes, stored.score) == (None, {}, 3)
    # First the vouched-for try (refused with a 403), then the same tap without the contact.
    assert [(p["contact"], p["contact_token"]) for p in posted] == [(known, forged), (None, None)]
    assert page.dialogs == []


def test_widget_browser_contact_without_token_is_not_sent(page, live_server, db_session, workspace):
    known = _customer(db_session, workspace)
    stored, posted = _answer(page, live_server, db_session, workspace, f'data-contact="{html.escape(known)}"')
    assert stored.contact_id is None and stored.attributes == {}
    assert [(p["contact"], p["contact_token"]) for p in posted] == [(None, None)]
