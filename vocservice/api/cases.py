"""Cases and case rules: the inbox (filters, pages), one case with its answer, quoted evidence
and notes, changes (assign, status, resolution, due time), notes, and the loop's figures.

Reading and working cases takes an admin or analyst key; rules are changed by admins only.
"""

from flask import g
from sqlalchemy import select

from surveys.case import rule_service, service
from surveys.case.inbox import case_view, cases_query
from surveys.case.models import Case, CaseRule
from surveys.case.schemas import (
    CaseListArgsSchema,
    CaseRuleCreateSchema,
    CaseRuleSchema,
    CaseRuleUpdateSchema,
    CaseSchema,
    CaseStatsSchema,
    CaseUpdateSchema,
    NoteCreateSchema,
    NoteSchema,
    StatsArgsSchema,
)
from surveys.case.stats import case_stats
from surveys.core.db import db, utcnow
from surveys.core.schemas import ListArgsSchema
from surveys.workspace.models import User
from vocservice.api.common import Blueprint, page
from vocservice.auth import ADMIN, READ, require
from vocservice.idempotency import idempotent

PREFIX = "/cases"
blp = Blueprint("cases", __name__, description="Cases: one follow-up per detractor-level answer")
RULES_PREFIX = "/case-rules"
rules_blp = Blueprint(
    "case-rules", __name__, description="Case rules: which answers open a case, who owns it"
)


def _users() -> dict[str, str]:
    rows = db.session.execute(select(User.id, User.email).where(User.workspace_id == g.workspace.id))
    return dict(rows.all())


def _author() -> str:
    return f"API key {g.api_key.id} ({g.api_key.role})"


def _view(case: Case) -> dict:
    """The case as ``CaseSchema`` reads it (dumped by the view's response schema)."""
    return case_view(case, _users())


@blp.route("", methods=["GET"])
@blp.page_response(CaseSchema)
@require(READ)
@blp.arguments(CaseListArgsSchema, location="query")
def list_cases(args):
    """Newest first. Filters: ``status``, ``owner_id`` (or ``unassigned=true``), ``overdue``,
    ``contact_id``, ``survey_id``, ``segment_id``, ``theme_id``."""
    limit, cursor = args.pop("limit"), args.pop("cursor")
    query = cases_query(db.session, workspace_id=g.workspace.id, **args)
    users = _users()
    now = utcnow()
    schema = CaseSchema()
    return page(
        db.session,
        query,
        Case.id,
        limit=limit,
        cursor=cursor,
        dump=lambda case: schema.dump(case_view(case, users, now=now)),
    )


@blp.route("/stats", methods=["GET"])
@require(READ)
@blp.arguments(StatsArgsSchema, location="query")
@blp.response(200, CaseStatsSchema)
def stats(args):
    """Close rate, median time to first contact, share inside SLA and rescue rate over the
    cases opened in ``[start, end)`` (default: the last 90 days), each with its ``n``."""
    return case_stats(db.session, workspace_id=g.workspace.id, start=args["start"], end=args["end"])


@blp.route("/<case_id>", methods=["GET"])
@require(READ)
@blp.response(200, CaseSchema)
def get_case(case_id):
    return _view(service.get_case(db.session, workspace_id=g.workspace.id, case_id=case_id))


@blp.route("/<case_id>", methods=["PATCH"])
@require(READ)
@blp.arguments(CaseUpdateSchema)
@blp.response(200, CaseSchema)
def update_case(data, case_id):
    """Assign (``owner_id``, null unassigns), move the status, give the resolution reason
    (needed to resolve or close), or change the due time; each change is kept as a note."""
    case = service.update_case(
        db.session, workspace_id=g.workspace.id, case_id=case_id, data=data, author=_author()
    )
    db.session.commit()
    return _view(case)


@blp.route("/<case_id>/notes", methods=["POST"])
@require(READ)
@idempotent
@blp.arguments(NoteCreateSchema)
@blp.response(201, NoteSchema)
def add_note(data, case_id):
    """Append a note (notes are never changed or deleted)."""
    note = service.add_note(
        db.session, workspace_id=g.workspace.id, case_id=case_id, body=data["body"], author=_author()
    )
    db.session.flush()  # @idempotent commits, with the stored answer
    return note


@rules_blp.route("", methods=["GET"])
@rules_blp.page_response(CaseRuleSchema)
@require(READ)
@rules_blp.arguments(ListArgsSchema, location="query")
def list_rules(args):
    query = select(CaseRule).where(CaseRule.workspace_id == g.workspace.id)
    return page(db.session, query, CaseRule.id, dump=CaseRuleSchema().dump, **args)


@rules_blp.route("", methods=["POST"])
@require(ADMIN)
@idempotent
@rules_blp.arguments(CaseRuleCreateSchema)
@rules_blp.response(201, CaseRuleSchema)
def create_rule(data):
    rule = rule_service.create_rule(db.session, workspace_id=g.workspace.id, data=data)
    db.session.flush()
    return rule


@rules_blp.route("/<case_rule_id>", methods=["GET"])
@require(READ)
@rules_blp.response(200, CaseRuleSchema)
def get_rule(case_rule_id):
    return rule_service.get_rule(db.session, workspace_id=g.workspace.id, rule_id=case_rule_id)


@rules_blp.route("/<case_rule_id>", methods=["PATCH"])
@require(ADMIN)
@rules_blp.arguments(CaseRuleUpdateSchema)
@rules_blp.response(200, CaseRuleSchema)
def update_rule(data, case_rule_id):
    rule = rule_service.update_rule(db.session, workspace_id=g.workspace.id, rule_id=case_rule_id, data=data)
    db.session.commit()
    return rule


@rules_blp.route("/<case_rule_id>", methods=["DELETE"])
@require(ADMIN)
@rules_blp.response(204)
def delete_rule(case_rule_id):
    """The rule goes; the cases it opened stay."""
    rule_service.delete_rule(db.session, workspace_id=g.workspace.id, rule_id=case_rule_id)
    db.session.commit()
    return ""
