"""The invitation funnel per touchpoint, built through the public API and the hosted form, and
checked against an independent count in plain SQL."""

from datetime import timedelta

from sqlalchemy import select, text, update

from surveys.core.db import utcnow
from surveys.invitation.models import Invitation
from surveys.metrics.funnel import funnel
from tests.support.helpers import create_survey, create_touchpoint, event, tick

# The same definitions written once more, in SQL: a stage counts invitations that got at least
# that far; events are those named like the touchpoint's.
INDEPENDENT = text("""
SELECT t.id,
  (SELECT count(*) FROM events e WHERE e.workspace_id = t.workspace_id AND e.name = t.event),
  count(i.id) FILTER (WHERE i.status <> 'suppressed'),
  count(i.id) FILTER (WHERE i.sent_at IS NOT NULL OR i.opened_at IS NOT NULL OR i.responded_at IS NOT NULL),
  count(i.id) FILTER (WHERE i.opened_at IS NOT NULL OR i.responded_at IS NOT NULL),
  count(i.id) FILTER (WHERE i.responded_at IS NOT NULL),
  count(i.id) FILTER (WHERE i.status = 'suppressed'),
  count(i.id) FILTER (WHERE i.status = 'failed'),
  count(i.id) FILTER (WHERE i.status = 'expired')
FROM touchpoints t LEFT JOIN invitations i ON i.touchpoint_id = t.id
WHERE t.workspace_id = :workspace
GROUP BY t.id
""")
REASONS = text("""
SELECT touchpoint_id, status, coalesce(reason, 'unknown'), count(*) FROM invitations
WHERE workspace_id = :workspace AND status IN ('suppressed', 'failed', 'cancelled')
GROUP BY 1, 2, 3
""")


def _post(client, headers, body) -> dict:
    reply = client.post("/api/v1/events", json=body, headers=headers)
    assert reply.status_code == 202, reply.json
    return reply.json


def test_funnel_counts_equal_an_independent_sql_count(app, client, db_session, workspace):
    headers, ws_id = workspace.headers, workspace.workspace.id
    survey = create_survey(client, headers)
    link = create_touchpoint(client, headers, survey["id"])  # order.delivered, channel link
    email = create_touchpoint(
        client,
        headers,
        survey["id"],
        name="Ticket solved",
        event="ticket.solved",
        channel="email",
        conditions=[{"field": "contact.attributes.plan", "op": "eq", "value": "enterprise"}],
    )
    tokens = {}
    for n in range(1, 7):
        (invitation,) = _post(client, headers, event(contact=f"cust-{n}"))["invitations"]
        tokens[n] = invitation["url"].rsplit("/", 1)[1]
    (again,) = _post(client, headers, event(contact="cust-1"))["invitations"]
    assert (again["status"], again["reason"]) == ("suppressed", "recently_contacted")
    _post(client, headers, event("ticket.solved", contact="cust-7"))  # a pro plan: not asked
    for n in (8, 9):
        body = event("ticket.solved", contact=f"cust-{n}")
        body["contact"]["attributes"]["plan"] = "enterprise"
        _post(client, headers, body)
    tick(app)  # link invitations are "sent" once due; the email ones go on the queue

    client.post(f"/s/{tokens[1]}/opened")  # opened, nothing more
    client.post(f"/s/{tokens[2]}/opened", data={"score": "9"})  # one click, then "Send"
    client.post(f"/s/{tokens[2]}", data={"selected": "9", "action": "submit"})
    client.post(f"/s/{tokens[3]}", data={"score": "4", "action": "submit"})  # answered without JS
    client.get(f"/s/{tokens[4]}?score=10")  # a scanner: not opened
    first, _scheduled = db_session.execute(
        select(Invitation.id)
        .where(Invitation.touchpoint_id == email["id"], Invitation.status != "suppressed")
        .order_by(Invitation.id)
    ).scalars()
    db_session.execute(
        update(Invitation)
        .where(Invitation.id == first)
        .values(status="failed", reason="send_failed:SMTPRecipientsRefused")
    )
    db_session.execute(update(Invitation).where(Invitation.token == tokens[5]).values(status="expired"))
    db_session.commit()

    rows = {
        row["touchpoint_id"]: row for row in funnel(db_session, workspace_id=ws_id, survey_id=survey["id"])
    }
    assert list(rows) == [link["id"], email["id"]]  # by name: "After delivery", "Ticket solved"
    assert rows[link["id"]]["stages"] == {"events": 7, "scheduled": 6, "sent": 6, "opened": 3, "answered": 2}
    assert rows[link["id"]]["reasons"]["suppressed"] == {"recently_contacted": 1}
    assert rows[email["id"]]["reasons"]["suppressed"] == {"conditions_not_met": 1}
    assert rows[email["id"]]["reasons"]["failed"] == {"send_failed:SMTPRecipientsRefused": 1}
    assert rows[link["id"]]["rates"]["answered"] == round(2 / 3, 4)

    for tp, events, scheduled, sent, opened, answered, suppressed, failed, expired in db_session.execute(
        INDEPENDENT, {"workspace": ws_id}
    ):
        row = rows[tp]
        assert row["stages"] == {
            "events": events,
            "scheduled": scheduled,
            "sent": sent,
            "opened": opened,
            "answered": answered,
        }
        assert (row["lost"]["suppressed"], row["lost"]["failed"], row["lost"]["expired"]) == (
            suppressed,
            failed,
            expired,
        )
    reasons = {
        (tp, status, reason): n for tp, status, reason, n in db_session.execute(REASONS, {"workspace": ws_id})
    }
    assert reasons == {
        (tp, status, reason): n
        for tp, row in rows.items()
        for status, counts in row["reasons"].items()
        for reason, n in counts.items()
    }

    # The range: nothing created tomorrow; a touchpoint of another survey is not listed.
    later = funnel(db_session, workspace_id=ws_id, start=utcnow() + timedelta(days=1))
    assert {row["touchpoint_id"] for row in later} == {link["id"], email["id"]}
    assert all(row["empty"] for row in later)
    other = create_survey(client, headers, name="Other")
    create_touchpoint(client, headers, other["id"], name="Elsewhere", event="x.y")
    assert len(funnel(db_session, workspace_id=ws_id, survey_id=survey["id"])) == 2
