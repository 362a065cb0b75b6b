"""The privacy page in a real browser: the erase form will not submit without the typed
confirmation, erases with it, and the audit log shows who asked; no horizontal scroll on a phone."""

import os

from sqlalchemy import func, select

from surveys.contact.models import Contact
from surveys.core.db import db
from tests.e2e.test_webapp_browser import _login
from tests.support.helpers import create_survey
from tests.support.privacy import ANN_EMAIL, ANN_ID, answer_through_api, person
from tests.support.webapp import make_user


def test_privacy_browser_erase_needs_the_typed_confirmation(
    desktop, phone, live_server, app, client, workspace
):
    survey = create_survey(client, workspace.headers)
    answer_through_api(client, workspace.headers, survey["id"], person(ANN_ID, ANN_EMAIL), 3, "slow")
    make_user(app, workspace.workspace.id)
    _login(desktop, live_server.url)
    desktop.goto(f"{live_server.url}/app/settings/privacy")
    assert desktop.get_by_role("heading", level=1).inner_text() == "Privacy"
    desktop.locator("#erase-value").fill(ANN_EMAIL)
    desktop.locator("#erase-confirm").fill("erase")  # not the word: the browser refuses to send
    desktop.get_by_role("button", name="Erase this person").click()
    assert desktop.url.endswith("/app/settings/privacy")
    assert desktop.evaluate("document.querySelector('#erase-confirm').validity.valid") is False
    desktop.locator("#erase-confirm").fill("ERASE")
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="Erase this person").click()
    assert "Erasure requested" in desktop.locator("main").inner_text()
    if os.environ.get("VOC_SCREENSHOTS"):
        desktop.screenshot(path=os.path.join(os.environ["VOC_SCREENSHOTS"], "privacy.png"), full_page=True)
    with app.app_context():
        # Without Redis transport in this test the job waits on the queue; the request is recorded.
        assert db.session.scalar(select(func.count()).select_from(Contact)) == 1
        db.session.remove()
    assert desktop.dialogs == [] and desktop.console_errors == []
    _login(phone, live_server.url)
    phone.goto(f"{live_server.url}/app/settings/privacy")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
