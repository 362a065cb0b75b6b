"""Surveys and touchpoints: the rules of :mod:`surveys.survey.service` called directly against the
database (the same rules through the API: tests/vocservice/api/test_surveys.py)."""

import pytest

from surveys.core.errors import Conflict, Invalid, NotFound
from surveys.survey import service
from surveys.survey.models import Survey, Touchpoint
from surveys.workspace.models import Workspace
from surveys.workspace.service import create_workspace
from tests.support.helpers import create_survey

SURVEY = {"name": "Rel", "kind": "nps", "question": "How likely?", "comment_prompt": "", "locale": "en"}
TOUCHPOINT = {"name": "After delivery", "event": "order.delivered", "channel": "link"}


@pytest.fixture
def ws(workspace, db_session) -> Workspace:
    return db_session.get(Workspace, workspace.workspace.id)


@pytest.fixture
def stranger(db_session) -> Workspace:
    other = create_workspace(db_session, name="Other", slug="other")
    db_session.commit()
    return other


def test_service_create_and_update_survey(db_session, ws):
    survey = service.create_survey(db_session, workspace=ws, data=SURVEY)
    assert survey.id.startswith("sv_") and survey.workspace_id == ws.id
    db_session.commit()
    updated = service.update_survey(db_session, workspace=ws, survey_id=survey.id, data={"kind": "csat"})
    assert updated.kind == "csat"  # no answers yet: the kind may change
    closed = service.set_survey_status(db_session, workspace=ws, survey_id=survey.id, status="closed")
    assert closed.status == "closed"
    with pytest.raises(Invalid) as error:
        service.set_survey_status(db_session, workspace=ws, survey_id=survey.id, status="paused")
    assert error.value.errors == {"status": ["draft", "active", "closed"]}


def test_service_survey_of_another_workspace_is_unknown(db_session, ws, stranger):
    survey = service.create_survey(db_session, workspace=ws, data=SURVEY)
    db_session.commit()
    with pytest.raises(NotFound) as error:
        service.get_survey(db_session, workspace_id=stranger.id, survey_id=survey.id)
    assert error.value.errors is None
    with pytest.raises(NotFound) as error:
        service.get_survey(db_session, workspace_id=ws.id, survey_id="sv_nope", field="survey_id")
    assert error.value.errors == {"survey_id": ["unknown survey"]}
    with pytest.raises(NotFound):
        service.update_survey(db_session, workspace=stranger, survey_id=survey.id, data={"name": "mine"})
    db_session.expire_all()
    assert db_session.get(Survey, survey.id).name == "Rel"


def test_service_survey_kind_is_fixed_once_answered(client, workspace, db_session, ws):
    survey = create_survey(client, workspace.headers)
    assert not service.has_answers(db_session, survey_id=survey["id"])
    answer = {"survey_id": survey["id"], "score": 7, "contact": {"external_id": "c-1"}}
    assert client.post("/api/v1/responses", json=answer, headers=workspace.headers).status_code == 201
    assert service.has_answers(db_session, survey_id=survey["id"])
    with pytest.raises(Conflict):
        service.update_survey(db_session, workspace=ws, survey_id=survey["id"], data={"kind": "ces"})
    same = service.update_survey(db_session, workspace=ws, survey_id=survey["id"], data={"kind": "nps"})
    assert same.kind == "nps"  # "changing" it to what it is stays allowed


def test_service_touchpoint_rules(db_session, ws, stranger):
    survey = service.create_survey(db_session, workspace=ws, data=SURVEY)
    foreign = service.create_survey(db_session, workspace=stranger, data=SURVEY)
    db_session.commit()

    with pytest.raises(NotFound):
        service.create_touchpoint(db_session, workspace=ws, data={**TOUCHPOINT, "survey_id": foreign.id})
    with pytest.raises(Invalid) as error:
        service.create_touchpoint(
            db_session, workspace=ws, data={**TOUCHPOINT, "survey_id": survey.id, "channel": "webhook"}
        )
    assert error.value.errors == {"webhook_url": ["required for the webhook channel"]}
    private = {
        **TOUCHPOINT,
        "survey_id": survey.id,
        "channel": "webhook",
        "webhook_url": "http://127.0.0.1/x",
    }
    with pytest.raises(Invalid) as error:
        service.create_touchpoint(db_session, workspace=ws, data=private)
    assert list(error.value.errors) == ["webhook_url"]
    hook = service.create_touchpoint(db_session, workspace=ws, data=private, allow_private_urls=True)
    link = service.create_touchpoint(db_session, workspace=ws, data={**TOUCHPOINT, "survey_id": survey.id})
    db_session.commit()

    # Updates check the touchpoint as it would become.
    with pytest.raises(Invalid):
        service.update_touchpoint(
            db_session, workspace=ws, touchpoint_id=link.id, data={"channel": "webhook"}
        )
    with pytest.raises(Invalid):
        service.update_touchpoint(db_session, workspace=ws, touchpoint_id=hook.id, data={"webhook_url": None})
    with pytest.raises(NotFound):
        service.update_touchpoint(
            db_session, workspace=ws, touchpoint_id=link.id, data={"survey_id": foreign.id}
        )
    with pytest.raises(NotFound):
        service.update_touchpoint(
            db_session, workspace=stranger, touchpoint_id=link.id, data={"active": False}
        )
    with pytest.raises(NotFound):
        service.get_touchpoint(db_session, workspace_id=stranger.id, touchpoint_id=link.id)
    moved = service.update_touchpoint(
        db_session, workspace=ws, touchpoint_id=hook.id, data={"channel": "email", "sample_rate": 0.5}
    )
    assert (moved.channel, moved.webhook_url, moved.sample_rate) == ("email", "http://127.0.0.1/x", 0.5)
    db_session.commit()
    db_session.expire_all()
    assert db_session.get(Touchpoint, link.id).channel == "link"


def test_survey_locale_longer_than_its_column_is_a_422(client, workspace, db_session):
    # Found by tests/fuzz: a well-formed but 24-character tag reached VARCHAR(16) and was a 500.
    long_tag = "jnt-0i-rD0hzTu-4F1QEUkZ"
    survey = create_survey(client, workspace.headers)
    for method, url, body in (
        ("patch", f"/api/v1/surveys/{survey['id']}", {"locale": long_tag}),
        ("post", "/api/v1/surveys", {"name": "S", "kind": "nps", "question": "Q?", "locale": long_tag}),
        (
            "post",
            "/api/v1/surveys",
            {"name": "S", "kind": "nps", "question": "Q?", "translations": {long_tag: {"question": "Q?"}}},
        ),
    ):
        response = getattr(client, method)(url, json=body, headers=workspace.headers)
        assert response.status_code == 422, (body, response.json)
        assert response.mimetype == "application/problem+json"
    db_session.expire_all()
    assert db_session.get(Survey, survey["id"]).locale == "en"
    fits = client.patch(
        f"/api/v1/surveys/{survey['id']}", json={"locale": "pt-BR"}, headers=workspace.headers
    )
    assert fits.status_code == 200 and fits.json["locale"] == "pt-BR"
