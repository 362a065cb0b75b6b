"""The touchpoint and survey forms in a real browser (system Chromium through Playwright): a
touchpoint with conditions added row by row, an error shown beside its input and fixed, a
translation added and previewed in a sandboxed frame that records nothing; the new pages have no
horizontal scroll on a phone."""

from sqlalchemy import func, select

from surveys.core.db import db
from surveys.response.models import Response
from surveys.survey.models import Survey, Touchpoint
from tests.support.webapp import HOSTILE, PASSWORD, make_survey, make_user


def _login(page, base: str) -> None:
    page.goto(f"{base}/app/login")
    page.get_by_label("Email").fill("pm@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def _submit(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_webapp_forms_browser_touchpoint_with_conditions(desktop, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    make_survey(app, workspace.workspace.id, name="Delivery NPS")
    _login(desktop, live_server.url)
    desktop.goto(f"{live_server.url}/app/surveys")
    with desktop.expect_navigation():
        desktop.get_by_role("link", name="New touchpoint").click()
    desktop.get_by_label("Name", exact=True).fill(HOSTILE)
    desktop.get_by_label("Journey event").fill("order.delivered")
    desktop.get_by_label("Survey", exact=True).select_option(label="Delivery NPS")
    desktop.get_by_label("Send after").fill("2")
    desktop.get_by_label("Unit").select_option("days")
    desktop.get_by_label("Sample rate (%)").fill("50")
    desktop.get_by_label("Send one reminder after (days)").fill("3")
    desktop.get_by_label("Cancel pending invitations").fill("refund.requested")

    _submit(desktop, "Add condition")  # no script needed: the server adds the row
    assert desktop.get_by_label("Name", exact=True).input_value() == HOSTILE  # typed text kept
    desktop.get_by_label("Field of condition 1").fill("contact.attributes.plan")
    desktop.get_by_label("Operator of condition 1").select_option("in")
    desktop.get_by_label("Value type of condition 1").select_option("list")
    desktop.get_by_label("Value of condition 1").fill("pro, enterprise")
    _submit(desktop, "Add condition")
    desktop.get_by_label("Field of condition 2").fill("event.properties.total")
    desktop.get_by_label("Operator of condition 2").select_option("gte")
    desktop.get_by_label("Value type of condition 2").select_option("number")
    desktop.get_by_label("Value of condition 2").fill("a lot")
    _submit(desktop, "Add condition")
    desktop.get_by_label("Field of condition 3").fill("contact.attributes.temp")
    _submit(desktop, "Remove condition 3")
    assert desktop.get_by_label("Field of condition 3").count() == 0

    # Enter in a text box saves (the default button), and the error sits beside its input.
    desktop.get_by_label("Journey event").press("Enter")
    desktop.wait_for_load_state()
    value = desktop.get_by_label("Value of condition 2")
    assert value.get_attribute("aria-invalid") == "true"
    described = value.get_attribute("aria-describedby")
    assert desktop.locator(f"[id='{described}']").inner_text() == "Not a valid number."
    assert "Nothing was saved" in desktop.get_by_role("alert").inner_text()
    assert desktop.get_by_label("Value of condition 1").input_value() == "pro, enterprise"
    value.fill("100")
    _submit(desktop, "Create touchpoint")
    assert desktop.url == f"{live_server.url}/app/surveys"
    assert "created" in desktop.get_by_role("status").first.inner_text()
    assert desktop.get_by_role("link", name=HOSTILE).is_visible()  # shown as text

    with app.app_context():
        touchpoint = db.session.execute(select(Touchpoint)).unique().scalar_one()
        assert touchpoint.conditions == [
            {"field": "contact.attributes.plan", "op": "in", "value": ["pro", "enterprise"]},
            {"field": "event.properties.total", "op": "gte", "value": 100},
        ]
        assert (touchpoint.delay_seconds, touchpoint.sample_rate, touchpoint.reminder_after_days) == (
            2 * 86400,
            0.5,
            3,
        )
        assert touchpoint.cancel_on == ["refund.requested"]
        db.session.remove()
    # The one console error allowed is Chromium reporting the form's 422 answer.
    assert desktop.dialogs == [] and [e for e in desktop.console_errors if "status of 422" not in e] == []


def test_webapp_forms_browser_translation_and_preview(desktop, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(app, workspace.workspace.id, name="Delivery NPS")
    _login(desktop, live_server.url)
    desktop.goto(f"{live_server.url}/app/surveys")
    with desktop.expect_navigation():
        desktop.get_by_role("link", name="Edit Delivery NPS").click()
    _submit(desktop, "Add a language")
    desktop.get_by_label("Language of translation 1").fill("de_DE")
    desktop.get_by_label("Question of translation 1").fill("Würden Sie uns weiterempfehlen?")
    desktop.get_by_label("Comment prompt of translation 1").fill("Was können wir besser machen?")
    _submit(desktop, "Save survey")
    language = desktop.get_by_label("Language of translation 1")
    assert language.get_attribute("aria-invalid") == "true"
    assert "not a locale" in desktop.locator("#err-tr-0-translations\\.0\\.locale").inner_text()
    language.fill("de")
    _submit(desktop, "Save survey")
    assert "saved" in desktop.get_by_role("status").first.inner_text()
    with app.app_context():
        assert db.session.get(Survey, survey_id).translations == {
            "de": {
                "question": "Würden Sie uns weiterempfehlen?",
                "comment_prompt": "Was können wir besser machen?",
            }
        }
        db.session.remove()

    with desktop.expect_navigation():
        desktop.get_by_role("link", name="Preview").click()
    with desktop.expect_navigation():
        desktop.get_by_role("navigation", name="Language").get_by_role("link", name="de").click()
    form = desktop.frame_locator("iframe[title^='Hosted form preview']")
    assert form.get_by_role("heading", level=1).inner_text() == "Würden Sie uns weiterempfehlen?"
    form.get_by_role("button", name="9").click()  # sandboxed: nothing is submitted
    form.get_by_label("Was können wir besser machen?").fill("Nothing to record")
    form.get_by_role("button", name="Senden").click()
    email = desktop.frame_locator("iframe[title^='Invitation email preview']")
    assert email.get_by_role("heading", level=1).inner_text() == "Würden Sie uns weiterempfehlen?"
    assert email.get_by_role("link", name="10").is_visible()
    assert "Eine kurze Frage" in desktop.locator("#pv-subject").inner_text()
    desktop.wait_for_timeout(300)  # let a (wrongly) allowed submission land before counting
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Response)).scalar_one() == 0
        db.session.remove()
    assert desktop.dialogs == []


def test_webapp_forms_browser_phone_has_no_horizontal_scroll(phone, live_server, app, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(
        app, workspace.workspace.id, translations={"de": {"question": "Empfehlen?", "comment_prompt": ""}}
    )
    _login(phone, live_server.url)
    wide_js = """() => [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > 376 && !el.closest('.table-wrap'))
        .map(el => el.tagName + '.' + el.className).slice(0, 8)"""

    def check(label: str) -> None:
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (label, width, phone.evaluate(wide_js))

    phone.goto(f"{live_server.url}/app/touchpoints/new")
    _submit(phone, "Add condition")
    _submit(phone, "Add condition")
    check("touchpoint form with conditions")
    _submit(phone, "Create touchpoint")  # errors shown
    check("touchpoint form with errors")
    phone.goto(f"{live_server.url}/app/surveys/{survey_id}")
    _submit(phone, "Add a language")
    check("survey form")
    for path in (f"/app/surveys/{survey_id}/preview", f"/app/surveys/{survey_id}/preview?lang=de"):
        phone.goto(f"{live_server.url}{path}")
        check(path)
    assert phone.dialogs == [] and [e for e in phone.console_errors if "status of 422" not in e] == []
