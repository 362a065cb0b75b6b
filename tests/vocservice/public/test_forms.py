"""The hosted form and unsubscribe pages through the Flask test client, against PostgreSQL."""

import base64
import hashlib
import re
from datetime import timedelta

from sqlalchemy import func, select

from surveys.contact.models import Contact
from surveys.invitation.models import Invitation
from surveys.response.models import Response
from surveys.workspace.models import Workspace
from tests.support.helpers import make_invitation
from vocservice.public.forms import OPENED_JS

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _responses(db_session) -> list[Response]:
    db_session.expire_all()
    return list(db_session.execute(select(Response)).unique().scalars())


def _pressed(html: str) -> list[str]:
    return re.findall(r'value="(\d+)" aria-pressed="true"', html)


def test_form_get_renders_accessible_page_and_writes_nothing(client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    page = client.get(f"/s/{invitation.token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert '<html lang="en">' in html and "<fieldset" in html and "<legend>" in html
    assert "How likely are you to recommend Acme?" in html
    assert len(re.findall(r'name="score" value="\d+"', html)) == 11
    assert "Not at all likely" in html and "Extremely likely" in html
    assert _pressed(html) == []
    # One script only, ours, and the policy lets nothing else run (no 'unsafe-inline' scripts).
    assert re.findall(r"<script>(.*?)</script>", html, re.S) == [OPENED_JS]
    assert "data-score=" not in html  # no score link: the script reports "opened" only
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    policy = page.headers["Content-Security-Policy"]
    digest = base64.b64encode(hashlib.sha256(OPENED_JS.encode()).digest()).decode()
    assert "default-src 'none'" in policy and f"script-src 'sha256-{digest}';" in policy
    assert len(page.data) < 30_000
    assert _responses(db_session) == []
    assert db_session.get(Invitation, invitation.id).status == "sent"


def test_form_get_score_preselects_without_recording(client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    html = client.get(f"/s/{invitation.token}?score=9").get_data(as_text=True)
    assert _pressed(html) == ["9"]
    assert 'name="via" value="email"' in html
    assert 'data-score="9"' in html  # what the page's script reports once a person has it open
    assert _pressed(client.get(f"/s/{invitation.token}?score=42").get_data(as_text=True)) == []
    assert _responses(db_session) == []


def test_form_speaks_the_translation_asked_for(client, db_session, workspace):
    invitation = make_invitation(
        db_session,
        workspace.workspace.id,
        translations={"de": {"question": "Wie wahrscheinlich empfehlen Sie Acme?", "comment_prompt": ""}},
    )
    html = client.get(f"/s/{invitation.token}?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in html and "Wie wahrscheinlich empfehlen Sie Acme?" in html
    assert "Senden" in html and "Äußerst wahrscheinlich" in html
    # Accept-Language counts too, but only for languages the survey has text in.
    french = client.get(f"/s/{invitation.token}", headers={"Accept-Language": "fr-FR,de;q=0.5"})
    assert '<html lang="de">' in french.get_data(as_text=True)


def test_form_save_then_submit_records_one_answer(client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    url = f"/s/{invitation.token}"
    saved = client.post(url, data={"score": "7", "comment": "", "lang": "en"})
    assert saved.status_code == 200 and _pressed(saved.get_data(as_text=True)) == ["7"]
    [partial] = _responses(db_session)
    assert (partial.score, partial.completed) == (7, False)
    done = client.post(url, data={"selected": "7", "comment": "Quick and friendly", "action": "submit"})
    assert done.status_code == 200 and "Thank you!" in done.get_data(as_text=True)
    [final] = _responses(db_session)
    assert (final.id, final.score, final.comment, final.completed) == (
        partial.id,
        7,
        "Quick and friendly",
        True,
    )
    assert final.source == "form" and final.attributes == {"plan": "pro", "arr": 12000}
    assert db_session.get(Invitation, invitation.id).status == "responded"
    again = client.post(url, data={"score": "3", "action": "submit"})
    assert again.status_code == 409 and "already answered" in again.get_data(as_text=True)
    assert client.get(url).status_code == 409
    assert _responses(db_session)[0].score == 7


def test_form_one_click_from_email_is_recorded_as_email(client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    response = client.post(
        f"/s/{invitation.token}", data={"selected": "10", "via": "email", "action": "submit"}
    )
    assert response.status_code == 200
    [answer] = _responses(db_session)
    assert (answer.score, answer.source, answer.comment) == (10, "email", None)


def test_form_bad_input_is_422_and_stores_nothing(client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id, kind="ces")
    url = f"/s/{invitation.token}"
    missing = client.post(url, data={"comment": "kept", "action": "submit"})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422 and 'role="alert"' in html and "Please choose a score." in html
    assert ">kept</textarea>" in html
    for bad in ("abc", "8", "0", "-1"):
        assert client.post(url, data={"score": bad, "action": "submit"}).status_code == 422
    assert client.post(url, data={"score": "3", "comment": "x" * 10_001}).status_code == 422
    assert _responses(db_session) == []
    assert db_session.get(Invitation, invitation.id).status == "sent"


def test_form_hostile_comment_is_shown_as_text(client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    page = client.post(f"/s/{invitation.token}", data={"score": "2", "comment": HOSTILE})
    html = page.get_data(as_text=True)
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert _responses(db_session)[0].comment == HOSTILE


def test_form_error_pages_have_their_status(client, db_session, workspace):
    ws = workspace.workspace.id
    unknown = client.get("/s/no-such-token")
    assert unknown.status_code == 404 and unknown.mimetype == "text/html"
    assert "Survey not found" in unknown.get_data(as_text=True)
    expired = make_invitation(db_session, ws, expires_in=timedelta(seconds=-5))
    page = client.get(f"/s/{expired.token}")
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert client.post(f"/s/{expired.token}", data={"score": "9", "action": "submit"}).status_code == 410
    cancelled = make_invitation(db_session, ws, status="cancelled", locale="nl")
    page = client.get(f"/s/{cancelled.token}")
    assert page.status_code == 410 and '<html lang="en">' in page.get_data(as_text=True)
    assert client.post("/s/no-such-token", data={"score": "9"}).status_code == 404
    assert _responses(db_session) == []


def test_form_uses_workspace_branding_safely(client, db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    ws.branding = {"color": "#ffee00", "name": "<b>Acme</b>"}
    db_session.commit()
    invitation = make_invitation(db_session, ws.id)
    html = client.get(f"/s/{invitation.token}").get_data(as_text=True)
    assert "--brand:#ffee00" in html and "--on-brand:#111111" in html  # dark text on yellow
    assert "&lt;b&gt;Acme&lt;/b&gt;" in html and "<b>Acme</b>" not in html
    ws.branding = {"color": "red;}body{display:none"}
    db_session.commit()
    html = client.get(f"/s/{invitation.token}").get_data(as_text=True)
    assert "display:none" not in html and "--brand:#3730a3" in html


def test_unsubscribe_get_confirms_and_post_unsubscribes(client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    contact = db_session.get(Contact, invitation.contact_id)
    pending = make_invitation(db_session, workspace.workspace.id, status="scheduled", contact=contact)
    page = client.get(f"/u/{invitation.token}")
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Contact, contact.id).unsubscribed_at is None
    done = client.post(f"/u/{invitation.token}")
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Contact, contact.id).unsubscribed_at is not None
    assert db_session.get(Invitation, pending.id).status == "cancelled"
    assert db_session.get(Invitation, pending.id).reason == "unsubscribed"
    assert db_session.get(Invitation, invitation.id).status == "sent"
    assert "You are unsubscribed" in client.get(f"/u/{invitation.token}").get_data(as_text=True)


def test_unsubscribe_one_click_post_works_on_expired_links(client, db_session, workspace):
    invitation = make_invitation(
        db_session, workspace.workspace.id, status="expired", expires_in=timedelta(days=-1)
    )
    response = client.post(
        f"/u/{invitation.token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    db_session.expire_all()
    count = db_session.execute(
        select(func.count()).select_from(Contact).where(Contact.unsubscribed_at.is_not(None))
    ).scalar_one()
    assert count == 1
    assert client.post("/u/unknown-token").status_code == 404


def test_error_template_serves_other_html_errors(client):
    page = client.get("/definitely-not-here")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "<h1>" in page.get_data(as_text=True)


def test_form_odd_input_is_a_4xx_never_a_5xx(client, db_session, workspace):
    assert client.get("/s/abc%00def").status_code == 404
    assert client.post("/s/abc%00def", data={"score": "1"}).status_code == 404
    assert client.post("/u/abc%00def").status_code == 404
    invitation = make_invitation(db_session, workspace.workspace.id)
    response = client.post(
        f"/s/{invitation.token}",
        data={"score": "4", "comment": "nul\x00byte", "lang": "x" * 300, "action": "submit"},
    )
    assert response.status_code == 200
    [answer] = _responses(db_session)
    assert (answer.comment, answer.locale) == ("nulbyte", None)
