"""The alerts section of a digest: alerts of the period only, counted, the latest three titled
with a link to their evidence, escaped in the HTML part."""

from datetime import timedelta

from surveys.alert.models import Alert, AlertRule
from surveys.core.db import db, utcnow
from surveys.digest.render import compose
from surveys.digest.sections import DigestContext, Period, collect
from surveys.workspace.models import User, Workspace
from tests.support.webapp import make_user


def _alert(rule_id: str, workspace_id: str, at, title: str, n: int) -> Alert:
    return Alert(
        workspace_id=workspace_id,
        rule_id=rule_id,
        kind="detractor",
        window_key=f"w{n}",
        window_from=at,
        window_to=at,
        fired_at=at,
        title=title,
        figures={},
        examples=[],
        evidence_path=f"/app/feedback?alert={n}",
    )


def test_alerts_section_counts_the_period_and_escapes_titles(app, workspace):
    user_id = make_user(app, workspace.workspace.id, role="analyst")
    period = Period.latest("weekly", utcnow())
    with app.app_context():
        rule = AlertRule(workspace_id=workspace.workspace.id, name="Detractors", kind="detractor", notify={})
        db.session.add(rule)
        db.session.flush()
        inside = [period.start_at + timedelta(hours=h) for h in (1, 30, 60, 90)]
        outside = [period.start_at - timedelta(hours=1), period.end_at + timedelta(minutes=1)]
        for n, at in enumerate(inside + outside):
            db.session.add(_alert(rule.id, workspace.workspace.id, at, f"Alert {n} <b>&</b>", n))
        db.session.commit()
        context = DigestContext(
            workspace=db.session.get(Workspace, workspace.workspace.id),
            user=db.session.get(User, user_id),
            period=period,
            base_url="https://voc.example",
        )
        sections = {s.key: s for s in collect(db.session, context)}
        alerts = sections["alerts"]
        assert alerts.summary == "4 alerts fired; the latest 3 below."
        assert [e.text for e in alerts.entries] == [
            "Alert 3 <b>&</b>",
            "Alert 2 <b>&</b>",
            "Alert 1 <b>&</b>",
        ]
        assert alerts.entries[0].url == "https://voc.example/app/feedback?alert=3"
        message = compose(
            context,
            sections=list(sections.values()),
            answers=0,
            message_id="d1",
            unsubscribe_url="https://voc.example/u",
        )
        html = message.get_body(("html",)).get_content()
        assert "Alert 3 &lt;b&gt;&amp;&lt;/b&gt;" in html and "<b>&</b>" not in html
        db.session.remove()


def test_no_alerts_no_section(app, workspace):
    user_id = make_user(app, workspace.workspace.id, role="analyst")
    with app.app_context():
        context = DigestContext(
            workspace=db.session.get(Workspace, workspace.workspace.id),
            user=db.session.get(User, user_id),
            period=Period.latest("daily", utcnow()),
            base_url="https://voc.example",
        )
        assert "alerts" not in {s.key for s in collect(db.session, context)}
        db.session.remove()


def test_cases_section_counts_new_and_overdue_with_the_readers_first(app, client, workspace):
    from surveys.case.models import Case
    from tests.support.helpers import create_survey

    user_id = make_user(app, workspace.workspace.id, role="analyst")
    survey = create_survey(client, workspace.headers)
    for score in (1, 2, 3, 9):  # three detractors open three cases under the default rule
        answer = client.post(
            "/api/v1/responses", json={"survey_id": survey["id"], "score": score}, headers=workspace.headers
        )
        assert answer.status_code == 201, answer.json
    period = Period.latest("daily", utcnow() + timedelta(days=1))  # today, as a daily period
    with app.app_context():
        cases = db.session.query(Case).order_by(Case.id).all()
        assert len(cases) == 3
        cases[0].due_at = utcnow() - timedelta(hours=2)  # overdue, nobody's
        cases[1].due_at = utcnow() - timedelta(hours=1)  # overdue, the reader's
        cases[1].owner_id = user_id
        cases[2].status = "contacted"  # due but contacted: not overdue
        cases[2].due_at = utcnow() - timedelta(hours=3)
        db.session.commit()
        context = DigestContext(
            workspace=db.session.get(Workspace, workspace.workspace.id),
            user=db.session.get(User, user_id),
            period=period,
            base_url="https://voc.example",
        )
        section = {s.key: s for s in collect(db.session, context)}["cases"]
        assert section.summary == "3 opened in this period (1 assigned to you); 2 overdue now (1 yours)."
        assert [e.url for e in section.entries] == [
            f"https://voc.example/app/cases/{cases[1].id}",
            f"https://voc.example/app/cases/{cases[0].id}",
        ]
        assert section.entries[0].text.endswith("(yours)")
        # A period before the cases were opened: only the overdue ones are reported.
        earlier = DigestContext(
            context.workspace, context.user, Period.latest("weekly", utcnow() - timedelta(days=14)), ""
        )
        section = {s.key: s for s in collect(db.session, earlier)}["cases"]
        assert section.summary.startswith("0 opened in this period (0 assigned to you); 2 overdue now")
        db.session.remove()
