"""Previews of the hosted form and the invitation email: the real templates in each of the
survey's languages, sandboxed, escaped, and nothing recorded or sent."""

from sqlalchemy import func, select

from surveys.core.db import db
from surveys.invitation.models import Invitation
from surveys.response.models import Response
from surveys.workspace.models import Workspace
from surveys.workspace.service import create_workspace
from tests.support.webapp import HOSTILE, login, make_survey, make_user

TRANSLATIONS = {"de": {"question": "Würden Sie uns empfehlen?", "comment_prompt": "Warum?"}}


def _stored(app) -> tuple[int, int]:
    with app.app_context():
        found = tuple(
            db.session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Invitation, Response)
        )
        db.session.remove()
    return found


def test_preview_page_frames_the_form_and_email_per_language(client, app, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(app, workspace.workspace.id, translations=TRANSLATIONS)
    login(client)
    page = client.get(f"/app/surveys/{survey_id}/preview?lang=de")
    assert page.status_code == 200
    assert f'src="/app/surveys/{survey_id}/preview/de/form"' in page.text
    assert f'src="/app/surveys/{survey_id}/preview/de/email"' in page.text
    assert page.text.count('sandbox="allow-same-origin"') == 2
    assert "Eine kurze Frage von Acme Test" in page.text  # the German subject
    assert "Hallo Alex Example," in page.text  # the text part
    assert 'aria-current="page" lang="de">de</a>' in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert client.get(f"/app/surveys/{survey_id}/preview?lang=fr").status_code == 404

    form = client.get(f"/app/surveys/{survey_id}/preview/de/form?score=9")
    assert form.status_code == 200
    csp = form.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "form-action 'none'" in csp and "frame-ancestors 'self'" in csp
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert form.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert '<html lang="de">' in form.text and "Würden Sie uns empfehlen?" in form.text
    assert 'value="9" aria-pressed="true"' in form.text and "Senden" in form.text
    english = client.get(f"/app/surveys/{survey_id}/preview/en/form").text
    assert "Would you recommend us?" in english and 'aria-pressed="true"' not in english

    email = client.get(f"/app/surveys/{survey_id}/preview/de/email")
    assert email.status_code == 200 and "sandbox" in email.headers["Content-Security-Policy"]
    assert "Würden Sie uns empfehlen?" in email.text
    # Its score links open the form preview, never a real survey link.
    assert f"/app/surveys/{survey_id}/preview/de/form?score=10" in email.text and "/s/" not in email.text
    reminder = client.get(f"/app/surveys/{survey_id}/preview?lang=de&reminder=1").text
    assert "Erinnerung: eine kurze Frage von Acme Test" in reminder
    unsubscribe = client.get(f"/app/surveys/{survey_id}/preview/de/unsubscribe")
    assert (
        unsubscribe.status_code == 200
        and "form-action 'none'" in unsubscribe.headers["Content-Security-Policy"]
    )
    assert _stored(app) == (0, 0)


def test_preview_escapes_pm_and_customer_text_and_sends_nothing(client, app, workspace, smtp_server):
    make_user(app, workspace.workspace.id)
    with app.app_context():
        db.session.get(Workspace, workspace.workspace.id).branding = {
            "name": HOSTILE,
            "color": "red;}</style>",
        }
        db.session.commit()
        db.session.remove()
    survey_id = make_survey(
        app, workspace.workspace.id, name=HOSTILE, question=HOSTILE, comment_prompt=HOSTILE
    )
    login(client)
    for path in ("", "/en/form", "/en/email", "/en/unsubscribe"):
        page = client.get(f"/app/surveys/{survey_id}/preview{path}")
        assert page.status_code == 200, path
        assert HOSTILE not in page.text and "&lt;script&gt;" in page.text, path
        assert "red;}" not in page.text, path  # a colour that is not one never reaches CSS
    # Text part shown in <pre>: escaped too.
    assert "&lt;img src=x onerror=alert(2)&gt;" in client.get(f"/app/surveys/{survey_id}/preview").text
    assert smtp_server.messages == [] and _stored(app) == (0, 0)


def test_preview_is_for_every_user_of_the_workspace_only(client, app, workspace):
    make_user(app, workspace.workspace.id, role="analyst", email="ana@acme.test")
    survey_id = make_survey(app, workspace.workspace.id)
    with app.app_context():
        other_ws = create_workspace(db.session, name="Other Co", slug="other")
        db.session.commit()
        other_id = other_ws.id
        db.session.remove()
    other = make_survey(app, other_id)
    assert client.get(f"/app/surveys/{survey_id}/preview/en/form").status_code == 302  # to the login
    login(client, "ana@acme.test")
    page = client.get(f"/app/surveys/{survey_id}/preview")
    assert page.status_code == 200 and "Edit survey" not in page.text
    assert client.get(f"/app/surveys/{survey_id}/preview/en/email").status_code == 200
    for path in ("", "/en/form", "/en/email"):
        assert client.get(f"/app/surveys/{other}/preview{path}").status_code == 404
