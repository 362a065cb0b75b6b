"""Each workspace counts its suppressions, so events and answers skip the lookup while it has
none; the count follows what is actually suppressed and the lookup still works once it is not 0."""

from sqlalchemy import func, select

from surveys.contact.suppression import ContactSuppression
from surveys.workspace.models import Workspace
from tests.support.helpers import create_survey, create_touchpoint, event


def _count(db_session, workspace_id: str) -> tuple[int, int]:
    db_session.expire_all()
    stored = db_session.scalar(
        select(func.count())
        .select_from(ContactSuppression)
        .where(ContactSuppression.workspace_id == workspace_id)
    )
    return db_session.get(Workspace, workspace_id).suppressions, stored


def test_the_count_follows_the_suppressions_and_events_still_check_them(client, workspace, db_session):
    ws_id = workspace.workspace.id
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"])
    assert _count(db_session, ws_id) == (0, 0)
    body = event(contact="ann-1")
    body["contact"]["email"] = "ann@example.com"
    assert client.post("/api/v1/events", json=body, headers=workspace.headers).status_code == 202

    erase = {"email": " Ann@Example.com "}
    assert client.post("/api/v1/privacy/erasure", json=erase, headers=workspace.headers).status_code == 202
    assert _count(db_session, ws_id) == (1, 1)
    again = client.post("/api/v1/privacy/erasure", json=erase, headers=workspace.headers)
    assert again.status_code == 202 and _count(db_session, ws_id) == (
        1,
        1,
    )  # the same digest: not counted twice

    # Now that the workspace has one, the lookup runs: Ann's next event invites nobody...
    body = event(contact="ann-2")
    body["contact"]["email"] = "ann@example.com"
    reply = client.post("/api/v1/events", json=body, headers=workspace.headers)
    assert reply.status_code == 202 and reply.json["invitations"] == []
    # ...and another person's event is untouched.
    other = client.post("/api/v1/events", json=event(contact="bob-1"), headers=workspace.headers)
    assert other.status_code == 202 and len(other.json["invitations"]) == 1
