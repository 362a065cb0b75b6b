"""The rescue facts (``surveys.case.rescue``) kept with the answers equal the live computation the
rescue rate used to run on every request (kept here, and only here, as the reference: a
``lead()`` over the workspace's completed scored answers per customer and survey), after every
path that writes answers or cases: answers in and out of order, a batch, a score changed, a
partial answer finalised, an answer deleted, a customer erased or unlinked by retention, a case
opened and deleted, a survey deleted; and the rebuild and migration 0026's backfill give the
same. (SQLite, without foreign keys or locks: tests/embedded.)"""

import importlib.util
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import case as when
from sqlalchemy import delete, exists, func, select, text, update

from surveys.case import rescue
from surveys.case.models import Case, CaseRule, RescueFact
from surveys.case.rules import detractor_level
from surveys.case.service import open_and_assign
from surveys.case.stats import rescue as rescue_rate
from surveys.contact.models import Contact
from surveys.core.db import db, utcnow
from surveys.privacy.erasure import ErasureOutcome, erase_subject, find_subject
from surveys.privacy.retention import apply_retention
from surveys.response.batch import Stored, create_responses
from surveys.response.finalise import finalise_partial_answers
from surveys.response.models import Response
from surveys.response.service import create_response, delete_response
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace

T0 = datetime(2026, 3, 1, tzinfo=UTC)
MIGRATION = Path(__file__).resolve().parents[3] / "migrations" / "versions" / "0026_rescue.py"


def _live_answers(session, workspace_id: str, start=None):
    """The live query the rescue rate ran before the facts (surveys.case.stats, before 0026)."""
    where = [
        Response.workspace_id == workspace_id,
        Response.completed.is_(True),
        Response.score.is_not(None),
        Response.contact_id.is_not(None),
    ]
    if start is not None:
        where.append(Response.submitted_at >= start)
    return (
        select(
            Response.id,
            Response.score,
            Response.submitted_at,
            Survey.kind,
            func.lead(Response.score)
            .over(
                partition_by=(Response.contact_id, Response.survey_id),
                order_by=(Response.submitted_at, Response.id),
            )
            .label("next_score"),
        )
        .join(Survey, Survey.id == Response.survey_id)
        .where(*where)
        .subquery()
    )


def live_facts(session, workspace_id: str) -> list[tuple]:
    answers = _live_answers(session, workspace_id)
    has_case = exists().where(Case.response_id == answers.c.id)
    rows = session.execute(
        select(answers.c.id, answers.c.score, answers.c.next_score, has_case).where(
            detractor_level(answers.c.kind, answers.c.score)
        )
    )
    return sorted((r[0], r[1], r[2], bool(r[3])) for r in rows)


def live_groups(session, workspace_id: str, start, end) -> dict:
    answers = _live_answers(session, workspace_id, start)
    has_case = exists().where(Case.response_id == answers.c.id)
    query = (
        select(
            has_case,
            func.count(),
            func.count(answers.c.next_score),
            func.sum(when((answers.c.next_score > answers.c.score, 1), else_=0)),
        )
        .where(answers.c.submitted_at < end, detractor_level(answers.c.kind, answers.c.score))
        .group_by(has_case)
    )
    groups = {True: (0, 0, 0), False: (0, 0, 0)}
    for flag, total, again, rescued in session.execute(query):
        groups[bool(flag)] = (total, again, int(rescued or 0))
    return groups


def kept_facts(session, workspace_id: str) -> list[tuple]:
    rows = session.execute(
        select(RescueFact.response_id, RescueFact.score, RescueFact.next_score, RescueFact.has_case).where(
            RescueFact.workspace_id == workspace_id
        )
    )
    return sorted((r[0], r[1], r[2], bool(r[3])) for r in rows)


def assert_exact(session, workspace_id: str) -> list[tuple]:
    """The kept facts are the live ones, and the rescue rate over a few windows is the live one."""
    live = live_facts(session, workspace_id)
    assert kept_facts(session, workspace_id) == live
    for start, end in (
        (T0 - timedelta(days=400), T0 + timedelta(days=400)),
        (T0 + timedelta(hours=12), T0 + timedelta(days=3)),
    ):
        figures = rescue_rate(session, workspace_id=workspace_id, start=start, end=end)
        groups = live_groups(session, workspace_id, start, end)
        for flag, name in ((True, "with_case"), (False, "without_case")):
            got = figures[name]
            assert (got["detractors"], got["answered_again"], got["rescued"]) == groups[flag]
    return live


def _survey(session, workspace_id: str, kind: str = "nps") -> Survey:
    survey = Survey(workspace_id=workspace_id, name=f"{kind} survey", kind=kind, question="Q?")
    session.add(survey)
    session.flush()
    return survey


def _answer(session, workspace, survey, customer: str | None, score: int, hours: float) -> Response:
    data = {"survey_id": survey.id, "score": score, "submitted_at": T0 + timedelta(hours=hours)}
    if customer:
        data["contact"] = {"external_id": customer}
    response, created = create_response(session, workspace=workspace, data=data)
    assert created
    return response


def add_answer(
    session, *, workspace_id: str, survey_id: str, contact_id: str, score: int, hours: float, completed=True
) -> Response:
    """An answer added to the session as it is (no service) and flushed: the rescue upkeep's
    flush hooks are all that runs."""
    row = Response(
        workspace_id=workspace_id,
        survey_id=survey_id,
        contact_id=contact_id,
        score=score,
        completed=completed,
        source="api",
        meta={},
        attributes={},
        submitted_at=T0 + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return row


def _rule(session, workspace_id: str, enabled: bool) -> None:
    session.execute(update(CaseRule).where(CaseRule.workspace_id == workspace_id).values(enabled=enabled))


def fact_of(session, response_id: str):
    row = session.execute(
        select(RescueFact.score, RescueFact.next_score, RescueFact.has_case).where(
            RescueFact.response_id == response_id
        )
    ).one_or_none()
    return None if row is None else tuple(row)


def test_answers_in_and_out_of_order(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    nps, ces = _survey(db_session, ws.id), _survey(db_session, ws.id, "ces")
    first = _answer(db_session, ws, nps, "ann", 3, 0)  # the default rule opens a case
    last = _answer(db_session, ws, nps, "ann", 8, 48)
    _rule(db_session, ws.id, False)
    other = _answer(db_session, ws, ces, "ann", 2, 10)  # another survey: its own sequence
    db_session.commit()
    assert fact_of(db_session, first.id) == (3, 8, True)
    assert fact_of(db_session, other.id) == (2, None, False)
    assert fact_of(db_session, last.id) is None  # a promoter: no fact
    # An older answer stored after a newer one: it comes between them.
    middle = _answer(db_session, ws, nps, "ann", 5, 24)
    db_session.commit()
    assert fact_of(db_session, first.id) == (3, 5, True)
    assert fact_of(db_session, middle.id) == (5, 8, False)
    # Two answers at the same time: the id decides, as the live order does.
    _answer(db_session, ws, nps, "bob", 1, 5)
    _answer(db_session, ws, nps, "bob", 6, 5)
    _answer(db_session, ws, nps, None, 0, 5)  # nobody's answer: never a fact
    db_session.commit()
    assert len(assert_exact(db_session, ws.id)) == 5


def test_batch_insert_with_answers_stored_one_by_one(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    nps = _survey(db_session, ws.id)
    early = _answer(db_session, ws, nps, "c0", 2, 1)
    late = _answer(db_session, ws, nps, "c1", 4, 200)
    db_session.commit()
    items = [
        {
            "survey_id": nps.id,
            "score": (n * 7) % 11,
            "submitted_at": T0 + timedelta(hours=n * 5),
            "contact": {"external_id": f"c{n % 4}"},
        }
        for n in range(40)
    ]
    assert all(isinstance(o, Stored) for o in create_responses(db_session, workspace=ws, items=items))
    db_session.commit()
    # c0 answered at 1 h; the batch's c0 answers come at 0 h (before it) and 20 h (its next).
    assert fact_of(db_session, early.id) == (2, (4 * 7) % 11, True)
    # c1's batch answers all come before the answer at 200 h: it stays the last one.
    assert fact_of(db_session, late.id) == (4, None, True)
    facts = assert_exact(db_session, ws.id)
    assert any(f[2] is not None for f in facts) and any(f[3] for f in facts)


def test_score_changed_and_partial_answer_finalised(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    nps = _survey(db_session, ws.id)
    _rule(db_session, ws.id, False)
    first = _answer(db_session, ws, nps, "ann", 2, 0)
    contact_id = first.contact_id
    partial = Response(
        workspace_id=ws.id,
        survey_id=nps.id,
        contact_id=contact_id,
        score=9,
        completed=False,
        source="widget",
        meta={},
        attributes={},
        submitted_at=T0 + timedelta(hours=1),
        last_activity_at=utcnow() - timedelta(hours=3),
    )
    db_session.add(partial)
    db_session.commit()
    assert fact_of(db_session, first.id) == (2, None, False)  # a partial answer is no next answer
    assert finalise_partial_answers(db_session, now=utcnow()) == 1
    db_session.commit()
    assert fact_of(db_session, first.id) == (2, 9, False)
    # The first answer's score changes: still a detractor, then not one.
    db_session.get(Response, first.id).score = 6
    db_session.commit()
    assert fact_of(db_session, first.id) == (6, 9, False)
    db_session.get(Response, first.id).score = 7
    db_session.commit()
    assert fact_of(db_session, first.id) is None
    # The finalised one becomes a detractor, moved before the first: it is followed by it.
    later = db_session.get(Response, partial.id)
    later.score, later.submitted_at = 1, T0 - timedelta(hours=1)
    db_session.commit()
    assert fact_of(db_session, partial.id) == (1, 7, False)
    assert_exact(db_session, ws.id)


def test_answer_deleted(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    nps = _survey(db_session, ws.id)
    a = _answer(db_session, ws, nps, "ann", 3, 0)
    b = _answer(db_session, ws, nps, "ann", 4, 1)
    c = _answer(db_session, ws, nps, "ann", 10, 2)
    db_session.commit()
    assert fact_of(db_session, a.id) == (3, 4, True)
    delete_response(db_session, workspace_id=ws.id, response_id=b.id)
    db_session.commit()
    assert fact_of(db_session, a.id) == (3, 10, True)
    assert fact_of(db_session, b.id) is None
    delete_response(db_session, workspace_id=ws.id, response_id=c.id)
    db_session.commit()
    assert fact_of(db_session, a.id) == (3, None, True)
    assert_exact(db_session, ws.id)


def test_customer_erased_or_unlinked_by_retention(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    nps = _survey(db_session, ws.id)
    for customer in ("ann", "bob"):
        _answer(db_session, ws, nps, customer, 2, 0)
        _answer(db_session, ws, nps, customer, 9, 30 * 24)
    kept = _answer(db_session, ws, nps, "bob", 0, 60 * 24)
    db_session.commit()
    assert len(kept_facts(db_session, ws.id)) == 3
    subject = find_subject(db_session, workspace_id=ws.id, kind="external_id", value="ann")
    erase_subject(db_session, workspace_id=ws.id, subject=subject, outcome=ErasureOutcome(status="running"))
    db_session.commit()
    assert len(assert_exact(db_session, ws.id)) == 2
    # Retention unlinks bob's older answers from him: the one left is nobody's next answer.
    db_session.get(Workspace, ws.id).retention_days = (utcnow() - (T0 + timedelta(days=45))).days
    db_session.get(Workspace, ws.id).retention_action = "anonymise"
    db_session.commit()
    assert apply_retention(db_session, now=utcnow()) == 2
    db_session.commit()
    assert assert_exact(db_session, ws.id) == [(kept.id, 0, None, True)]


def test_case_opened_and_deleted(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    nps = _survey(db_session, ws.id)
    _rule(db_session, ws.id, False)
    a = _answer(db_session, ws, nps, "ann", 3, 0)
    b = _answer(db_session, ws, nps, "ann", 5, 1)
    db_session.commit()
    assert (fact_of(db_session, a.id), fact_of(db_session, b.id)) == ((3, 5, False), (5, None, False))
    _rule(db_session, ws.id, True)
    opened = open_and_assign(db_session, workspace_id=ws.id, response_ids=[a.id])
    db_session.commit()
    assert len(opened) == 1
    assert fact_of(db_session, a.id) == (3, 5, True)
    assert_exact(db_session, ws.id)
    db_session.delete(db_session.get(Case, opened[0]["id"]))
    db_session.commit()
    assert fact_of(db_session, a.id) == (3, 5, False)
    assert_exact(db_session, ws.id)


def test_survey_deleted(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    gone, stays = _survey(db_session, ws.id), _survey(db_session, ws.id, "csat")
    for hours, score in ((0, 2), (5, 4)):
        _answer(db_session, ws, gone, "ann", score, hours)
        _answer(db_session, ws, stays, "ann", score - 1, hours)
    db_session.commit()
    assert len(kept_facts(db_session, ws.id)) == 3
    db_session.execute(text("DELETE FROM surveys WHERE id = :id"), {"id": gone.id})
    db_session.commit()
    assert len(assert_exact(db_session, ws.id)) == 1


def test_rebuild_and_migration_backfill_equal_the_kept_facts(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    nps, csat = _survey(db_session, ws.id), _survey(db_session, ws.id, "csat")
    for n in range(30):
        if n == 15:
            _rule(db_session, ws.id, False)
        survey = nps if n % 3 else csat
        _answer(db_session, ws, survey, f"c{n % 5}", (n * 5) % (11 if n % 3 else 5) + (0 if n % 3 else 1), n)
    db_session.commit()
    kept = kept_facts(db_session, ws.id)
    assert kept == live_facts(db_session, ws.id) and len(kept) > 5
    db_session.execute(delete(RescueFact))
    assert rescue.rebuild(db_session) == len(kept)
    assert kept_facts(db_session, ws.id) == kept
    db_session.execute(delete(RescueFact))
    db_session.execute(text(migration_0026().BACKFILL))
    assert kept_facts(db_session, ws.id) == kept
    db_session.rollback()


def migration_0026():
    spec = importlib.util.spec_from_file_location("migration_0026", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rollups_rebuild_command_builds_facts_of_answers_loaded_behind_the_orm(app, db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    nps = _survey(db_session, ws.id)
    ann = Contact(workspace_id=ws.id, external_id="ann")
    db_session.add(ann)
    db_session.commit()
    rows = [
        {
            "id": f"rsp_bulk{n:04d}",
            "workspace_id": ws.id,
            "survey_id": nps.id,
            "contact_id": ann.id,
            "score": score,
            "completed": True,
            "source": "import",
            "meta": {},
            "attributes": {},
            "submitted_at": T0 + timedelta(hours=n),
            "created_at": T0,
            "updated_at": T0,
            "analysis_status": "done",
            "analysis_attempts": 0,
        }
        for n, score in enumerate((1, 4, 9))
    ]
    db_session.execute(Response.__table__.insert(), [{**r, "metadata": r.pop("meta")} for r in rows])
    db_session.commit()
    assert kept_facts(db_session, ws.id) == []  # bulk SQL bypasses the upkeep
    result = app.test_cli_runner().invoke(args=["rollups", "rebuild", "--workspace", "acme"])
    assert result.exit_code == 0, result.output
    assert '"rescue_facts": 2' in result.output
    db_session.expire_all()
    assert assert_exact(db_session, ws.id) == [("rsp_bulk0000", 1, 4, False), ("rsp_bulk0001", 4, 9, False)]


def test_two_transactions_answering_for_one_customer_take_turns(app, db_session, workspace):
    """T1 stores an answer and holds its customer's lock; T2 stores the customer's next answer
    meanwhile and must wait for T1's commit to recompute, or T1's answer would keep no next score."""
    ws = db_session.get(Workspace, workspace.workspace.id)
    nps = _survey(db_session, ws.id)
    ann = Contact(workspace_id=ws.id, external_id="ann")
    db_session.add(ann)
    _rule(db_session, ws.id, False)
    db_session.commit()

    ids = {"workspace_id": ws.id, "survey_id": nps.id, "contact_id": ann.id}

    def answer(session, score: int, hours: int) -> Response:
        return add_answer(session, **ids, score=score, hours=hours)

    first = answer(db_session, 2, 0)  # flushed: T1 holds ann's lock, uncommitted

    def second():
        with app.app_context():
            try:
                answer(db.session, 9, 48)  # another day: no daily rollup row in common
                db.session.commit()
            finally:
                db.session.remove()

    other = threading.Thread(target=second)
    other.start()
    # Until T2 waits (on the lock), or, were there none, has finished without T1's answer.
    while other.is_alive():
        waiting = db_session.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one()
        if waiting:
            break
        time.sleep(0.01)
    db_session.commit()
    other.join()
    db_session.expire_all()
    assert fact_of(db_session, first.id) == (2, 9, False)
    assert_exact(db_session, ws.id)
