"""Digest emails through the real tick, RQ worker and SMTP server: content per section, escaped
customer text, the one-click stop, daily against weekly, nothing twice on a re-run, and a period
without answers skipped."""

import re
from datetime import timedelta

import numpy as np
from scipy import stats
from sqlalchemy import select

from surveys.analysis import service as analysis
from surveys.analysis.models import Theme
from surveys.core.db import db, utcnow
from surveys.digest.models import Digest
from surveys.digest.sections import Period
from surveys.response.models import Response
from surveys.roadmap.models import RoadmapItem, RoadmapItemTheme
from surveys.survey.models import Survey
from surveys.workspace.models import User
from tests.support.helpers import tick
from tests.support.webapp import login, make_user

HOSTILE = "<script>alert(1)</script> Billing & invoices: we were charged twice"


def _set_frequency(app, user_id: str, frequency: str) -> None:
    with app.app_context():
        db.session.get(User, user_id).digest_frequency = frequency
        db.session.commit()
        db.session.remove()


def monday_now():
    """Half past midnight of this week's Monday (UTC): "yesterday" is then the Sunday that ends
    last week, whatever day the tests run on (a Tuesday's yesterday is in no complete week)."""
    now = utcnow()
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=30, second=0, microsecond=0)
    return monday if monday <= now else monday - timedelta(days=7)


def seed(app, workspace_id: str) -> dict:
    """An NPS survey: 40 answers last week, mostly detractors, against 40 promoters the week
    before; the hostile billing comment "yesterday" as seen at :func:`monday_now`, the last day
    of last week; a roadmap item on billing."""
    now = monday_now()
    week, day = Period.latest("weekly", now), Period.latest("daily", now)
    with app.app_context():
        billing = db.session.execute(
            select(Theme).where(Theme.workspace_id == workspace_id, Theme.name == "billing")
        ).scalar_one()
        survey = Survey(
            workspace_id=workspace_id, name="Relationship NPS", kind="nps", question="Recommend us?"
        )
        item = RoadmapItem(workspace_id=workspace_id, title="Invoice <fix> & refunds", status="planned")
        db.session.add_all([survey, item])
        db.session.flush()
        item.theme_links = [RoadmapItemTheme(theme_id=billing.id)]
        rows = []
        for i in range(40):
            for start, score in ((week.start_at, 2 if i % 4 else 9), (week.previous.start_at, 10)):
                rows.append(
                    Response(
                        workspace_id=workspace_id,
                        survey_id=survey.id,
                        score=score,
                        comment="The invoice was wrong again" if start == week.start_at and i < 5 else None,
                        completed=True,
                        source="api",
                        meta={},
                        attributes={},
                        submitted_at=start + timedelta(hours=1 + i),
                    )
                )
        rows.append(
            Response(
                workspace_id=workspace_id,
                survey_id=survey.id,
                score=1,
                comment=HOSTILE,
                completed=True,
                source="api",
                meta={},
                attributes={},
                submitted_at=day.start_at + timedelta(hours=20),
            )
        )
        db.session.add_all(rows)
        db.session.commit()
        analysis.analyze_responses(db.session, response_ids=[r.id for r in rows if r.comment])
        db.session.commit()
        data = {"survey_id": survey.id, "item_id": item.id, "week": week, "day": day}
        db.session.remove()
    return data


def _parts(message):
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return text, message.get_body(("html",)).get_content()


def test_digest_daily_and_weekly_content_escaping_and_no_duplicate_on_rerun(
    app, client, workspace, smtp_server, run_worker
):
    ws = workspace.workspace.id
    weekly = make_user(app, ws, email="weekly@acme.test")
    daily = make_user(app, ws, role="analyst", email="daily@acme.test")
    make_user(app, ws, email="off@acme.test")  # new users: off
    _set_frequency(app, weekly, "weekly")
    _set_frequency(app, daily, "daily")
    data = seed(app, ws)

    now = monday_now()  # the daily digest covers the seeded "yesterday"
    counts = tick(app, now=now)
    assert counts["digests_planned"] == 2 and counts["digests_enqueued"] == 2
    run_worker()
    # The tick again, twice (a re-run or a second scheduler): nothing new is planned or sent.
    assert tick(app, now=now)["digests_planned"] == 0
    tick(app, now=now)
    run_worker()
    by_to = {m["To"]: m for m in smtp_server.messages}
    assert sorted(by_to) == ["daily@acme.test", "weekly@acme.test"] and len(smtp_server.messages) == 2

    week_message = by_to["weekly@acme.test"]
    assert week_message["Subject"].startswith("Weekly digest for Acme Test")
    text, html = _parts(week_message)
    # Score: 41 answers (10 promoters, 31 detractors) against 40 promoters the week before; the
    # interval checked by hand: NPS as the mean of +1/0/-1, normal 95% interval.
    values = np.array([1] * 10 + [-1] * 31)
    difference = 100 * values.mean() - 100
    half = stats.norm.ppf(0.975) * 100 * np.sqrt(values.var() / len(values))
    assert "Relationship NPS: NPS -51.2 from 41 answers" in text
    assert (
        f"down {abs(difference):.1f} from 100.0: a significant change, "
        f"95% CI {difference - half:+.1f} to {difference + half:+.1f}"
    ) in text
    assert "Themes that moved most" in text and "billing" in text
    assert "Roadmap items that gained the most feedback" in text and "Invoice <fix> & refunds" in text
    # Escaping: the customer's markup and ampersand are text in the HTML part, never markup.
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Billing &amp; invoices" in html and "Invoice &lt;fix&gt; &amp; refunds" in html
    assert HOSTILE in text  # plain text stays as written

    day_message = by_to["daily@acme.test"]
    assert day_message["Subject"].startswith("Daily digest for Acme Test")
    day_text, _ = _parts(day_message)
    assert f"{data['day'].label} (UTC): 1 answer\n" in day_text
    assert "no answers in the previous period to compare with" in day_text  # no verdict on one answer
    assert f"{data['week'].label} (UTC)" in text

    # The one-click stop: headers and a link in both parts.
    unsubscribe = re.fullmatch(
        r"<(http://voc\.test/digest/unsubscribe/[^>]+)>", week_message["List-Unsubscribe"]
    )
    assert unsubscribe and week_message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = unsubscribe.group(1)
    # On the wire the header is the plain URL, not RFC 2047 encoded words a client cannot use.
    raw = dict(week_message._headers)["List-Unsubscribe"]
    assert raw.strip() == f"<{url}>"
    assert url in text and url in html
    path = url.removeprefix("http://voc.test")
    page = client.get(path)
    assert page.status_code == 200 and "Stop the digest" in page.text
    with app.app_context():
        assert db.session.get(User, weekly).digest_frequency == "weekly"  # a GET changes nothing
        db.session.remove()
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with app.app_context():
        assert db.session.get(User, weekly).digest_frequency == "off"
        rows = db.session.execute(select(Digest.user_id, Digest.status)).all()
        db.session.remove()
    assert sorted(status for _, status in rows) == ["sent", "sent"]
    # Another user's id with this signature, or a tampered signature: not found, nothing changed.
    forged = path.replace(weekly, daily)
    assert client.post(forged).status_code == 404
    assert client.get(path[:-3] + "abc").status_code == 404
    with app.app_context():
        assert db.session.get(User, daily).digest_frequency == "daily"
        db.session.remove()


def test_digest_of_a_period_without_answers_is_skipped_and_says_why(app, workspace, smtp_server, run_worker):
    user = make_user(app, workspace.workspace.id, email="quiet@acme.test")
    _set_frequency(app, user, "daily")
    tick(app)
    run_worker()
    tick(app)
    run_worker()
    assert smtp_server.messages == []
    with app.app_context():
        [row] = db.session.execute(select(Digest)).scalars().all()
        assert (row.status, row.reason) == ("skipped", "no answers in this period")
        db.session.remove()


def test_digest_failed_send_is_retried_on_the_row(app, workspace, run_worker):
    user = make_user(app, workspace.workspace.id, email="retry@acme.test")
    _set_frequency(app, user, "weekly")
    seed(app, workspace.workspace.id)
    app.config["SMTP_URL"] = "smtp://127.0.0.1:9"  # nothing listens there
    tick(app)
    run_worker()
    with app.app_context():
        [row] = db.session.execute(select(Digest)).scalars().all()
        assert row.status == "pending" and row.attempts == 1 and row.last_error
        assert row.next_attempt_at > utcnow()  # backoff: not due on the next tick yet
        db.session.remove()
    assert tick(app)["digests_enqueued"] == 0


def test_digest_setting_on_the_account_page(app, client, workspace):
    user = make_user(app, workspace.workspace.id)
    token = login(client)
    page = client.get("/app/account").text
    assert 'name="digest" value="off" checked' in page
    saved = client.post("/app/account/digest", data={"csrf_token": token, "digest": "weekly"})
    assert saved.status_code == 302
    assert (
        client.post("/app/account/digest", data={"csrf_token": token, "digest": "hourly"}).status_code == 422
    )
    assert client.post("/app/account/digest", data={"digest": "daily"}).status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.get(User, user).digest_frequency == "weekly"
        db.session.remove()
    assert 'name="digest" value="weekly" checked' in client.get("/app/account").text


def test_digest_lost_mid_send_is_sent_once_after_the_stuck_window(app, workspace, smtp_server, run_worker):
    user = make_user(app, workspace.workspace.id, email="lost@acme.test")
    _set_frequency(app, user, "weekly")
    seed(app, workspace.workspace.id)
    tick(app)
    with app.app_context():
        # The worker claimed the row and died before SMTP answered.
        row = db.session.execute(select(Digest)).scalar_one()
        row.status, row.attempts, row.enqueued_at = "sending", 1, utcnow()
        db.session.commit()
        db.session.remove()
    run_worker()  # the queued job finds the row claimed: nothing is sent twice
    assert smtp_server.messages == []
    assert tick(app)["digests_released"] == 0  # not stuck yet
    counts = tick(app, now=utcnow() + timedelta(minutes=16))
    assert counts["digests_released"] == 1
    run_worker()
    tick(app)
    run_worker()
    assert [m["To"] for m in smtp_server.messages] == ["lost@acme.test"]
