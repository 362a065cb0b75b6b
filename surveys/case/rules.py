"""Which answers open a case, decided set-based: one ``INSERT ... SELECT ... ON CONFLICT DO
NOTHING`` per enabled rule over the answers just stored, completed or analysed.

An answer qualifies when it is final, scored at the unhappy end of its scale (the codebase's one
definition, :data:`surveys.survey.scales.DETRACTOR_LEVEL`: NPS 0-6, CSAT 1-2, CES 1-3, CES
being "how easy was it", 7 = very easy) and matches the rule's optional survey, segment (over
the answer's attribute snapshot), theme and negative sentiment. Rules are tried oldest first;
the unique ``cases.response_id`` makes "once per answer" a database fact, so replays, a
re-analysis or two rules matching the same answer never open a second case.

A rule only sees answers stored after it was created (``responses.created_at``): creating a rule
or re-analysing old answers never floods the inbox with history. Rules that need the text
analysis (a theme, negative sentiment) are decided when the analysis lands.
"""

from datetime import datetime, timedelta

from sqlalchemy import Boolean, String, and_, exists, false, func, literal, or_, select, update
from sqlalchemy.orm import Session

from surveys.analysis.models import Analysis, ResponseTheme
from surveys.case.models import Case, CaseRule
from surveys.core.db import among, upsert_insert, utcnow
from surveys.response.models import Response
from surveys.segment.models import Segment
from surveys.segment.service import segment_clause
from surveys.survey.models import Survey
from surveys.survey.scales import SCALES, category

# The scores at the unhappy end of each scale, from surveys.survey.scales (one definition).
_LOW = {
    kind: [s for s in range(low, high + 1) if category(kind, s) in ("detractor", "dissatisfied", "difficult")]
    for kind, (low, high) in SCALES.items()
}


def detractor_level(kind=Survey.kind, score=Response.score):
    """SQL: a score of a survey kind (by default an answer joined with its survey) at the
    unhappy end of its scale."""
    return or_(*[and_(kind == name, score.in_(scores)) for name, scores in _LOW.items()])


def rule_clause(session: Session, rule: CaseRule, segment: Segment | None):
    """SQL over ``responses`` alone: an answer that ``rule`` opens a case for. The survey's kind
    is a scalar subquery rather than a join, and there is no ``workspace_id`` test (the callers
    pass one workspace's answers), so the only indexed condition is the caller's list of ids:
    whatever the table statistics say, the plan starts from the batch, never from the workspace."""
    kind = select(Survey.kind).where(Survey.id == Response.survey_id).scalar_subquery()
    clauses = [
        Response.completed.is_(True),
        Response.score.is_not(None),
        Response.created_at >= rule.created_at,
        detractor_level(kind),
    ]
    if rule.survey_id:
        clauses.append(Response.survey_id == rule.survey_id)
    if rule.segment_id:
        clauses.append(segment_clause(session, segment.conditions) if segment is not None else false())
    if rule.theme_id:
        theme = ResponseTheme.response_id == Response.id
        theme = and_(theme, ResponseTheme.theme_id == rule.theme_id)
        if rule.negative_sentiment:  # the theme itself spoken of negatively
            theme = and_(theme, ResponseTheme.sentiment_label == "negative")
        clauses.append(exists().where(theme))
    elif rule.negative_sentiment:
        clauses.append(
            exists().where(Analysis.response_id == Response.id, Analysis.sentiment_label == "negative")
        )
    return and_(*clauses)


def open_cases(
    session: Session,
    *,
    workspace_id: str,
    response_ids: list[str],
    analysed: bool = False,
    now: datetime | None = None,
) -> list[dict]:
    """Open the cases ``response_ids`` (answers of ``workspace_id``, as every caller groups
    them) qualify for; returns the new cases as dicts (``id``,
    ``rule_id``, ``response_id``, ``contact_id``, ``survey_id``, ``due_at``).

    ``analysed``: the answers' analysis just landed, so rules that need it are decided now (the
    others decided when the answers became final)."""
    if not response_ids:
        return []
    now = now or utcnow()
    rules = session.execute(
        select(CaseRule)
        .where(CaseRule.workspace_id == workspace_id, CaseRule.enabled.is_(True))
        .order_by(CaseRule.created_at, CaseRule.id)
        .execution_options(populate_existing=True)  # rr_cursor moves by plain UPDATEs
    ).scalars()
    rules = [rule for rule in rules if rule.needs_analysis == analysed]
    if not rules:
        return []
    opened: list[dict] = []
    for rule in rules:
        segment = session.get(Segment, rule.segment_id) if rule.segment_id else None
        opened.extend(_open_for_rule(session, rule, segment, response_ids, now))
    return opened


def _open_for_rule(
    session: Session, rule: CaseRule, segment: Segment | None, response_ids: list[str], now: datetime
) -> list[dict]:
    due = now + timedelta(hours=rule.sla_hours)
    # The case id is the answer's, re-prefixed: time-ordered like every id, and deterministic, so
    # the one statement needs nothing generated per row.
    case_id = literal("case_", type_=String) + func.substr(Response.id, len("rsp_") + 1)
    query = select(
        case_id,
        Response.workspace_id,
        literal(rule.id, type_=String),
        Response.id,
        Response.contact_id,
        Response.survey_id,
        literal("open", type_=String),
        literal(due, type_=Case.due_at.type),
        literal(False, type_=Boolean),
        literal(False, type_=Boolean),
        literal(now, type_=Case.created_at.type),
        literal(now, type_=Case.updated_at.type),
    ).where(among(session, Response.id, response_ids), rule_clause(session, rule, segment))
    columns = [
        "id",
        "workspace_id",
        "rule_id",
        "response_id",
        "contact_id",
        "survey_id",
        "status",
        "due_at",
        "assignment_notice_pending",
        "overdue_notice_pending",
        "created_at",
        "updated_at",
    ]
    statement = (
        upsert_insert(session, Case.__table__)
        .from_select(columns, query)
        .on_conflict_do_nothing(index_elements=["response_id"])
        .returning(Case.id, Case.rule_id, Case.response_id, Case.contact_id, Case.survey_id, Case.due_at)
    )
    return [row._asdict() for row in session.execute(statement)]


def claim_turns(session: Session, rule_id: str, count: int) -> int:
    """Take ``count`` round-robin turns of a rule; returns the first one."""
    taken = session.execute(
        update(CaseRule)
        .where(CaseRule.id == rule_id)
        .values(rr_cursor=CaseRule.rr_cursor + count)
        .returning(CaseRule.rr_cursor)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return taken - count
