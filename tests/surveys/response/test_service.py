"""surveys.response.service against real PostgreSQL: scores, one answer per invitation under concurrency,
snapshots, API idempotency and the widget's edit-token flow."""

import threading
from datetime import timedelta

import pytest

from surveys.contact.models import Contact
from surveys.core.db import db
from surveys.core.errors import Conflict, Forbidden, Gone, Invalid, NotFound
from surveys.invitation.models import Invitation
from surveys.response.models import Response
from surveys.response.service import (
    create_response,
    open_invitation,
    submit_form,
    widget_start,
    widget_update,
)
from surveys.survey.models import Survey
from surveys.survey.scales import category, validate_score
from surveys.workspace.models import Workspace
from tests.support.helpers import make_invitation, table_count
from vocservice.api.serializers import response_body


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("nps", [0, 10], [-1, 11]),
        ("csat", [1, 5], [0, 6]),
        ("ces", [1, 7], [0, 8]),
    ],
)
def test_validate_score_bounds_per_kind(kind, good, bad):
    for score in good:
        assert validate_score(kind, score) == score
    for score in bad:
        with pytest.raises(Invalid) as err:
            validate_score(kind, score)
        assert "score" in err.value.errors


@pytest.mark.parametrize("score", [True, False, 7.0, "7", None])
def test_validate_score_refuses_non_integers(score):
    with pytest.raises(Invalid):
        validate_score("nps", score)


def test_category_boundaries():
    assert [category("nps", s) for s in (0, 6, 7, 8, 9, 10)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]
    assert [category("csat", s) for s in (1, 2, 3, 4, 5)] == [
        "dissatisfied",
        "dissatisfied",
        "neutral",
        "satisfied",
        "satisfied",
    ]
    assert [category("ces", s) for s in (1, 3, 4, 5, 7)] == [
        "difficult",
        "difficult",
        "neutral",
        "easy",
        "easy",
    ]
    assert category("nps", None) is None


def test_open_invitation_states(db_session, workspace):
    ws = workspace.workspace.id
    with pytest.raises(NotFound):
        open_invitation(db_session, token="nope")
    ok = make_invitation(db_session, ws)
    assert open_invitation(db_session, token=ok.token).id == ok.id
    for status in ("expired", "cancelled", "suppressed"):
        with pytest.raises(Gone):
            open_invitation(db_session, token=make_invitation(db_session, ws, status=status).token)
    late = make_invitation(db_session, ws, expires_in=timedelta(seconds=-1))
    with pytest.raises(Gone):
        open_invitation(db_session, token=late.token)
    # expires_at exactly now counts as expired
    with pytest.raises(Gone):
        open_invitation(db_session, token=ok.token, now=ok.expires_at)


def test_open_invitation_never_writes(db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    open_invitation(db_session, token=invitation.token)
    assert not db_session.new and not db_session.dirty
    assert table_count(db_session, Response) == 0


def test_submit_form_partial_then_final_snapshots_everything(db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    partial = submit_form(db_session, token=invitation.token, score=6, comment=None, final=False)
    db_session.commit()
    assert partial.completed is False and invitation.status == "sent"
    final = submit_form(
        db_session,
        token=invitation.token,
        score=9,
        comment="  Fast delivery ",
        final=True,
        source="email",
        locale="de",
    )
    db_session.commit()
    assert final.id == partial.id and table_count(db_session, Response) == 1
    assert (final.score, final.comment, final.completed) == (9, "Fast delivery", True)
    assert final.attributes == {"plan": "pro", "arr": 12000}
    assert final.event_snapshot["name"] == "order.delivered"
    assert final.event_snapshot["properties"] == {"order_id": "o-1"}
    assert final.event_snapshot["occurred_at"].endswith("Z")
    assert final.touchpoint_id == invitation.touchpoint_id
    assert final.contact_id == invitation.contact_id and final.locale == "de"
    assert final.source == "form"  # the source is the first channel the answer came through
    assert invitation.status == "responded" and invitation.responded_at is not None
    with pytest.raises(Conflict):
        submit_form(db_session, token=invitation.token, score=3, comment=None, final=True)
    with pytest.raises(Conflict):
        open_invitation(db_session, token=invitation.token)


def test_submit_form_refuses_bad_scores_and_stores_nothing(db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id, kind="csat")
    for score in (0, 6):
        with pytest.raises(Invalid):
            submit_form(db_session, token=invitation.token, score=score, comment="x", final=True)
    with pytest.raises(Invalid):
        submit_form(db_session, token=invitation.token, score=None, comment="x", final=True)
    db_session.rollback()
    assert table_count(db_session, Response) == 0
    assert db_session.get(Invitation, invitation.id).status == "sent"


def test_submit_form_concurrent_final_submits_serialise(app, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    token = invitation.token
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def submit(score: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                submit_form(db.session, token=token, score=score, comment=None, final=True)
                db.session.commit()
                outcomes.append("ok")
            except Conflict:
                db.session.rollback()
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(s,)) for s in (1, 5, 8, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "ok"]
    db_session.expire_all()
    assert table_count(db_session, Response) == 1


def _survey(session, workspace_id: str, **kwargs) -> Survey:
    survey = Survey(
        workspace_id=workspace_id,
        name="CSAT",
        kind=kwargs.pop("kind", "csat"),
        question="How satisfied are you?",
        **kwargs,
    )
    session.add(survey)
    session.commit()
    return survey


def test_create_response_upserts_contact_and_is_idempotent(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    survey = _survey(db_session, ws.id)
    data = {
        "id": "ext-1",
        "survey_id": survey.id,
        "score": 4,
        "comment": "Good",
        "contact": {
            "external_id": "u-9",
            "email": "u9@example.com",
            "locale": "fr",
            "attributes": {"plan": "team"},
        },
        "submitted_at": None,
        "source": "api",
        "metadata": {"ticket": 7},
    }
    first, created = create_response(db_session, workspace=ws, data=data)
    db_session.commit()
    assert created
    body = response_body(first)
    assert body["category"] == "satisfied" and body["contact"] == {"external_id": "u-9"}
    assert body["attributes"] == {"plan": "team"} and body["metadata"] == {"ticket": 7}
    assert body["submitted_at"].endswith("Z") and body["completed"] is True
    assert set(body) == {
        "id",
        "survey_id",
        "score",
        "category",
        "comment",
        "submitted_at",
        "source",
        "completed",
        "contact",
        "attributes",
        "metadata",
        "invitation_id",
        "touchpoint_id",
        "event",
        "analysis",
    }
    again, created = create_response(db_session, workspace=ws, data={**data, "score": 1})
    assert (again.id, created, again.score) == (first.id, False, 4)
    assert table_count(db_session, Response) == 1


def test_create_response_refuses_foreign_survey_and_bad_score(db_session, workspace):
    from surveys.workspace.service import create_workspace

    ws = db_session.get(Workspace, workspace.workspace.id)
    other = create_workspace(db_session, name="Other", slug="other")
    foreign = _survey(db_session, other.id)
    with pytest.raises(NotFound):
        create_response(db_session, workspace=ws, data={"survey_id": foreign.id, "score": 3})
    own = _survey(db_session, ws.id, kind="nps")
    with pytest.raises(Invalid):
        create_response(
            db_session,
            workspace=ws,
            data={"survey_id": own.id, "score": 11, "contact": {"external_id": "new-guy"}},
        )
    db_session.rollback()
    assert table_count(db_session, Response) == 0 and table_count(db_session, Contact) == 0


def test_create_response_same_id_posted_concurrently_creates_one(app, db_session, workspace):
    survey_id = _survey(db_session, workspace.workspace.id).id  # never touch it from threads
    barrier = threading.Barrier(4)
    results: list[tuple[str, bool]] = []

    def post() -> None:
        with app.app_context():
            ws = db.session.get(Workspace, workspace.workspace.id)
            barrier.wait()
            response, created = create_response(
                db.session, workspace=ws, data={"id": "same", "survey_id": survey_id, "score": 5}
            )
            db.session.commit()
            results.append((response.id, created))
            db.session.remove()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 4 and len({rid for rid, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert table_count(db_session, Response) == 1


def test_widget_start_links_vouched_known_contacts_but_never_creates_them(db_session, workspace):
    from surveys.workspace.secrets import contact_token

    ws = db_session.get(Workspace, workspace.workspace.id)
    survey = _survey(db_session, ws.id)
    known = Contact(workspace_id=ws.id, external_id="known", attributes={"plan": "pro"})
    db_session.add(known)
    db_session.commit()
    anonymous = widget_start(
        db_session,
        workspace=ws,
        survey_id=survey.id,
        score=2,
        contact_external_id="stranger",
        page_url="https://shop.test/x",
    )
    linked = widget_start(
        db_session,
        workspace=ws,
        survey_id=survey.id,
        score=5,
        contact_external_id="known",
        contact_token=contact_token(ws.widget_secret, "known"),
    )
    db_session.commit()
    assert anonymous.contact_id is None and anonymous.meta == {"page_url": "https://shop.test/x"}
    assert linked.contact_id == known.id and linked.attributes == {"plan": "pro"}
    assert table_count(db_session, Contact) == 1
    assert not linked.completed and len(linked.edit_token) >= 32
    assert linked.edit_token != anonymous.edit_token


def test_widget_update_token_and_completion(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    survey = _survey(db_session, ws.id)
    response = widget_start(db_session, workspace=ws, survey_id=survey.id, score=2)
    db_session.commit()
    with pytest.raises(Forbidden):
        widget_update(db_session, workspace=ws, response_id=response.id, edit_token="guess")
    with pytest.raises(Invalid):
        widget_update(
            db_session, workspace=ws, response_id=response.id, edit_token=response.edit_token, score=9
        )
    db_session.rollback()
    done = widget_update(
        db_session,
        workspace=ws,
        response_id=response.id,
        edit_token=response.edit_token,
        score=4,
        comment="ok",
        final=True,
    )
    db_session.commit()
    assert (done.score, done.comment, done.completed) == (4, "ok", True)
    with pytest.raises(Conflict):
        widget_update(
            db_session, workspace=ws, response_id=response.id, edit_token=response.edit_token, comment="more"
        )


def test_widget_start_only_for_active_surveys(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    draft = _survey(db_session, ws.id, status="draft")
    closed = _survey(db_session, ws.id, status="closed")
    with pytest.raises(NotFound):
        widget_start(db_session, workspace=ws, survey_id=draft.id, score=3)
    with pytest.raises(Gone):
        widget_start(db_session, workspace=ws, survey_id=closed.id, score=3)
    with pytest.raises(NotFound):
        widget_start(db_session, workspace=ws, survey_id="sv_missing", score=3)
