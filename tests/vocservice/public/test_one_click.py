"""``POST /s/<token>/opened``, what the hosted form's script sends once a person has the page
open: the invitation counts as opened and an emailed score is saved as a partial answer."""

from datetime import timedelta

from sqlalchemy import select

from surveys.invitation.models import Invitation
from surveys.response.models import Response
from tests.support.helpers import make_invitation


def _answers(db_session) -> list[Response]:
    db_session.expire_all()
    return list(db_session.execute(select(Response)).unique().scalars())


def test_opened_without_score_marks_opened_once(client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    assert client.post(f"/s/{invitation.token}/opened", data={"lang": "en"}).status_code == 204
    db_session.expire_all()
    first = db_session.get(Invitation, invitation.id).opened_at
    assert first is not None and _answers(db_session) == []
    assert client.post(f"/s/{invitation.token}/opened").status_code == 204
    db_session.expire_all()
    assert db_session.get(Invitation, invitation.id).opened_at == first  # the first open counts
    [listed] = client.get("/api/v1/invitations", headers=workspace.headers).json["items"]
    assert listed["opened_at"] is not None and listed["responded_at"] is None


def test_opened_with_score_keeps_the_typed_comment(client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    client.post(f"/s/{invitation.token}", data={"score": "5", "comment": "Slow checkout"})
    reply = client.post(f"/s/{invitation.token}/opened", data={"score": "8", "lang": "de"})
    assert reply.status_code == 204
    (answer,) = _answers(db_session)
    assert (answer.score, answer.comment, answer.completed, answer.locale) == (
        8,
        "Slow checkout",
        False,
        "de",
    )


def test_opened_refuses_bad_input_with_problems_and_stores_nothing(client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    for score in ("abc", "42", "-1", "9" * 400):
        reply = client.post(f"/s/{invitation.token}/opened", data={"score": score})
        assert reply.status_code == 422 and reply.mimetype == "application/problem+json", score
        assert reply.json["status"] == 422 and "score" in reply.json["errors"]
    assert client.post("/s/no-such-token-here/opened", data={"score": "3"}).status_code == 404
    assert client.post("/s/bad\x00token/opened").status_code == 404
    assert _answers(db_session) == []
    db_session.expire_all()
    assert db_session.get(Invitation, invitation.id).opened_at is None


def test_opened_after_answer_or_expiry_changes_nothing(client, db_session, workspace):
    answered = make_invitation(db_session, workspace.workspace.id)
    client.post(f"/s/{answered.token}", data={"score": "9", "action": "submit"})
    reply = client.post(f"/s/{answered.token}/opened", data={"score": "2"})
    assert reply.status_code == 409 and reply.json["title"] == "Conflict"
    (answer,) = _answers(db_session)
    assert (answer.score, answer.completed) == (9, True)

    expired = make_invitation(db_session, workspace.workspace.id, expires_in=timedelta(seconds=-1))
    assert client.post(f"/s/{expired.token}/opened", data={"score": "2"}).status_code == 410
    assert len(_answers(db_session)) == 1
