"""Learned rules: what analysts' tag corrections taught the workspace (issue 13). Analysts and
admins list them, confirm a proposed rule (it then applies to every answer, and the answers it
may change are re-analysed) or undo one."""

from flask import g

from surveys.analysis import learning as service
from surveys.analysis.models import LearnedRule
from surveys.analysis.schemas import LearnedRuleListArgsSchema, LearnedRuleSchema
from surveys.core.db import db
from vocservice.api.common import Blueprint, page
from vocservice.auth import READ, require

PREFIX = "/learned-rules"
blp = Blueprint("learned-rules", __name__, description="What tag corrections taught the workspace")
ANALYST = READ  # DESIGN.md: analysts manage themes, and so what corrections teach them


@blp.route("", methods=["GET"])
@blp.page_response(LearnedRuleSchema)
@require(READ)
@blp.arguments(LearnedRuleListArgsSchema, location="query")
def list_rules(args):
    query = service.list_rules_query(g.workspace.id, args.pop("status", None))
    return page(db.session, query, LearnedRule.id, dump=LearnedRuleSchema().dump, **args)


def _decide(rule_id: str, status: str):
    # An API key is not a user: decided_by stays empty, decided_at says when.
    rule = service.decide(db.session, workspace=g.workspace, rule_id=rule_id, status=status, user_id=None)
    db.session.commit()
    return rule


@blp.route("/<rule_id>/confirm", methods=["POST"])
@require(ANALYST)
@blp.response(200, LearnedRuleSchema, description="Active: applies to every answer from now on")
@blp.alt_response(404, description="No such rule in this workspace")
@blp.alt_response(409, description="The rule is active already")
def confirm_rule(rule_id):
    return _decide(rule_id, "active")


@blp.route("/<rule_id>/undo", methods=["POST"])
@require(ANALYST)
@blp.response(200, LearnedRuleSchema, description="Undone: no longer applies")
@blp.alt_response(404, description="No such rule in this workspace")
@blp.alt_response(409, description="The rule is undone already")
def undo_rule(rule_id):
    return _decide(rule_id, "undone")
