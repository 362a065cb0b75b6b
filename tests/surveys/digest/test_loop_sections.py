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
