"""The loop's figures against hand-worked numbers and an independent test (scipy's chi-square
on the 2x2 table, which equals the pooled two-proportion z test)."""

import statistics
from datetime import timedelta

from scipy.stats import chi2_contingency
from sqlalchemy import select, update

from surveys.case.models import Case, CaseRule
from surveys.case.stats import case_stats
from surveys.contact.models import Contact
from surveys.core.db import db, utcnow
from surveys.response.models import Response
from surveys.survey.models import Survey


def _answers(workspace_id, survey_id, contacts, score, at):
    rows = [
        Response(
            workspace_id=workspace_id,
            survey_id=survey_id,
            contact_id=contact.id,
            score=score(n) if callable(score) else score,
            completed=True,
            source="api",
            meta={},
            attributes={},
            submitted_at=at,
        )
        for n, contact in enumerate(contacts)
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _setup(workspace_id, with_case: int, with_case_rescued: int, without: int, without_rescued: int):
    survey = Survey(workspace_id=workspace_id, name="NPS", kind="nps", question="Q?")
    db.session.add(survey)
    contacts = [Contact(workspace_id=workspace_id, external_id=f"c{n}") for n in range(with_case + without)]
    db.session.add_all(contacts)
    db.session.flush()
    now = utcnow()
    first, second = now - timedelta(days=5), now - timedelta(days=2)
    _answers(workspace_id, survey.id, contacts[:with_case], 3, first)  # opens cases (default rule)
    db.session.execute(update(CaseRule).values(enabled=False))
    _answers(workspace_id, survey.id, contacts[with_case:], 3, first)  # no case: the comparison group
    _answers(
        workspace_id, survey.id, contacts[:with_case], lambda n: 8 if n < with_case_rescued else 2, second
    )
    _answers(workspace_id, survey.id, contacts[with_case:], lambda n: 9 if n < without_rescued else 3, second)
    db.session.commit()
    return survey


def test_rescue_rate_against_comparison_group(app, workspace):
    ws = workspace.workspace.id
    with app.app_context():
        _setup(ws, 40, 24, 35, 10)
        figures = case_stats(db.session, workspace_id=ws)
        db.session.remove()
    rescue = figures["rescue"]
    # With a case: 40 detractors, all answered again, 24 higher.
    assert rescue["with_case"] == {"detractors": 40, "answered_again": 40, "rescued": 24, "rate": 0.6}
    # Without: 35 first answers, plus the 16 lower (2) and 25 unchanged (3) second answers, which
    # are detractor-level themselves but have no next answer (and, rule disabled, no case).
    assert rescue["without_case"] == {
        "detractors": 35 + 16 + 25,
        "answered_again": 35,
        "rescued": 10,
        "rate": 10 / 35,
    }
    assert abs(rescue["difference"] - (0.6 - 10 / 35)) < 1e-12
    independent = chi2_contingency([[24, 16], [10, 25]], correction=False).pvalue
    assert abs(rescue["p_value"] - independent) < 1e-9 and rescue["enough"] is True
    half = 1.959963984540054 * ((0.6 * 0.4 / 40) + (10 / 35) * (25 / 35) / 35) ** 0.5
    assert abs(rescue["ci95"][0] - (0.6 - 10 / 35 - half)) < 1e-12
    assert figures["opened"] == 40


def test_rescue_rate_says_too_few_to_conclude(app, workspace):
    ws = workspace.workspace.id
    with app.app_context():
        _setup(ws, 6, 5, 29, 2)
        rescue = case_stats(db.session, workspace_id=ws)["rescue"]
        db.session.remove()
    assert rescue["with_case"]["rate"] == 5 / 6  # still shown, with its n
    assert (rescue["enough"], rescue["p_value"], rescue["difference"]) == (False, None, None)
    assert "too few to conclude" in rescue["reason"] and "has 6" in rescue["reason"]


def test_close_rate_first_contact_and_sla(app, workspace):
    ws = workspace.workspace.id
    with app.app_context():
        _setup(ws, 40, 0, 0, 0)
        cases = db.session.execute(select(Case).order_by(Case.id)).unique().scalars().all()
        now = utcnow()
        contact_hours = [1, 2, 3, 5, 8, 13, 21, 30, 40, 47, 1.5, 2.5, 4, 6, 7, 50, 60, 70, 80, 90]
        for case, hours in zip(cases[:20], contact_hours, strict=True):
            case.first_contacted_at = case.created_at + timedelta(hours=hours)
            case.status = "contacted"
        for case in cases[:10]:
            case.status, case.closed_at, case.resolution = "resolved", case.first_contacted_at, "done"
        for case in cases[20:30]:  # still open and past due
            case.due_at = now - timedelta(hours=1)
        db.session.commit()
        figures = case_stats(db.session, workspace_id=ws, now=now + timedelta(seconds=1))
        db.session.remove()
    assert figures["close_rate"] == {"value": 10 / 40, "n": 40}
    assert figures["median_hours_to_first_contact"] == {
        "value": round(statistics.median(contact_hours), 2),
        "n": 20,
    }
    # Decided: the 20 handled and the 10 past due; inside: the 15 handled within 48 hours.
    assert figures["inside_sla"] == {"value": 15 / 30, "n": 30}
    assert figures["overdue"] == 10 and figures["open"] == 30
