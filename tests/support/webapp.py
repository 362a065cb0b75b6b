"""Builders shared by the web app tests (no tests here): users, a login through the real form,
the session cookie saved and replayed, and a small analysed NPS survey whose comments tell the
enterprise/integrations story."""

import re
from datetime import timedelta
from html import unescape

from surveys.analysis import service as analysis
from surveys.core.db import db, utcnow
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace
from surveys.workspace.service import create_user

PASSWORD = "correct horse battery"
COOKIE = "voc_session"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
COMMENTS = [
    ("enterprise", 2, "The Salesforce integration drops records every night."),
    ("enterprise", 3, "SSO with Okta keeps failing and the integration is slow."),
    ("enterprise", 9, "Support answered within minutes and solved it."),
    ("pro", 10, "Great product, the editor is fast and intuitive."),
    ("pro", 8, "Reports are slow to load when we filter by quarter."),
    ("starter", 4, "Too expensive for a small team, the price jumped at renewal."),
    ("starter", 6, '=HYPERLINK("http://evil.example") billing charged us twice'),
    ("starter", 9, HOSTILE + " support was great"),
]


def make_user(app, workspace_id: str, *, role: str = "admin", email: str = "pm@acme.test"):
    with app.app_context():
        workspace = db.session.get(Workspace, workspace_id)
        user = create_user(db.session, workspace=workspace, email=email, role=role, password=PASSWORD)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    return user_id


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, email: str = "pm@acme.test", password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token for later posts."""
    token = csrf_of(client.get("/app/login").text)
    response = client.post("/app/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.text
    return csrf_of(client.get("/app/feedback").text)


def saved_cookie(client) -> str:
    """The value of the web app's session cookie, as a browser (or a thief) would keep it."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "not logged in"
    return cookie.value


def replay(app, value: str):
    """A new client that presents a saved session cookie and nothing else."""
    other = app.test_client()
    other.set_cookie(COOKIE, value)
    return other


def seed_feedback(app, workspace_id: str, comments=COMMENTS, *, days_apart: int = 1) -> dict:
    """An NPS survey with answers from three plans, analysed by the real analyser."""
    with app.app_context():
        survey = Survey(
            workspace_id=workspace_id, name="Relationship NPS", kind="nps", question="Would you recommend us?"
        )
        db.session.add(survey)
        db.session.flush()
        now = utcnow()
        rows = [
            Response(
                workspace_id=workspace_id,
                survey_id=survey.id,
                score=score,
                comment=comment,
                completed=True,
                source="api",
                meta={},
                attributes={"plan": plan, "arr": 1000 * (i + 1)},
                submitted_at=now - timedelta(days=i * days_apart, minutes=i),
            )
            for i, (plan, score, comment) in enumerate(comments)
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids = [r.id for r in rows]
        survey_id = survey.id
        analysis.analyze_responses(db.session, response_ids=ids)
        db.session.remove()
    return {"survey_id": survey_id, "ids": ids}


def field_errors(html: str) -> dict[str, str]:
    """The error shown next to each input of a rendered form: error element id -> message."""
    found = re.findall(r'<p class="field-error" id="err-([^"]+)">([^<]*)</p>', html)
    return {key: unescape(text) for key, text in found}


def make_survey(app, workspace_id: str, **fields) -> str:
    with app.app_context():
        survey = Survey(
            workspace_id=workspace_id,
            **{"name": "Onboarding NPS", "kind": "nps", "question": "Would you recommend us?", **fields},
        )
        db.session.add(survey)
        db.session.commit()
        survey_id = survey.id
        db.session.remove()
    return survey_id
