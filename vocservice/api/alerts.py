"""Alert rules (``/alert-rules``: admins change them, analysts read them) and the alerts they fired
(``/alerts``, newest first, filtered by rule or kind). Rules are evaluated by the tick."""

from flask import g
from sqlalchemy import select

from surveys.alert import service
from surveys.alert.models import Alert, AlertRule
from surveys.alert.schemas import (
    AlertListArgsSchema,
    AlertRuleCreateSchema,
    AlertRuleSchema,
    AlertRuleUpdateSchema,
    AlertSchema,
)
from surveys.core.db import db
from surveys.core.schemas import ListArgsSchema
from vocservice.api.common import Blueprint, paginate
from vocservice.auth import ADMIN, READ, require
from vocservice.idempotency import idempotent

PREFIX = "/alert-rules"
blp = Blueprint("alert-rules", __name__, description="Alert rules: what to watch and whom to tell")
alerts_blp = Blueprint("alerts", __name__, description="Alerts fired by the rules, one per rule and window")
ALERTS_PREFIX = "/alerts"


def _view(rule: AlertRule) -> dict:
    return service.rule_view(db.session, rule)


@blp.route("", methods=["GET"])
@blp.page_response(AlertRuleSchema)
@require(READ)
@blp.arguments(ListArgsSchema, location="query")
def list_rules(args):
    items, next_cursor = paginate(
        db.session, service.rules_query(workspace_id=g.workspace.id), AlertRule.id, **args
    )
    return {"items": [AlertRuleSchema().dump(_view(rule)) for rule in items], "next_cursor": next_cursor}


@blp.route("", methods=["POST"])
@require(ADMIN)
@idempotent
@blp.arguments(AlertRuleCreateSchema)
@blp.response(201, AlertRuleSchema)
def create_rule(data):
    """Create a rule; see the kinds' fields in the README's Alerts section. Recipients must be
    active users of the workspace; endpoints, surveys, segments, themes and touchpoints its own."""
    rule = service.create_rule(db.session, workspace_id=g.workspace.id, data=data)
    return _view(rule), 201


@blp.route("/<rule_id>", methods=["GET"])
@require(READ)
@blp.response(200, AlertRuleSchema)
def get_rule(rule_id):
    """The rule with ``warnings`` (e.g. a disabled endpoint) and what its latest evaluation found."""
    return _view(service.get_rule(db.session, workspace_id=g.workspace.id, rule_id=rule_id))


@blp.route("/<rule_id>", methods=["PATCH"])
@require(ADMIN)
@blp.arguments(AlertRuleUpdateSchema)
@blp.response(200, AlertRuleSchema)
def update_rule(data, rule_id):
    rule = service.update_rule(db.session, workspace_id=g.workspace.id, rule_id=rule_id, data=data)
    body = _view(rule)
    db.session.commit()
    return body


@blp.route("/<rule_id>", methods=["DELETE"])
@require(ADMIN)
@blp.response(204)
def delete_rule(rule_id):
    """Delete the rule and its alert history."""
    service.delete_rule(db.session, workspace_id=g.workspace.id, rule_id=rule_id)
    db.session.commit()
    return ""


@alerts_blp.route("", methods=["GET"])
@alerts_blp.page_response(AlertSchema)
@require(READ)
@alerts_blp.arguments(AlertListArgsSchema, location="query")
def list_alerts(args):
    """Newest first; ``?rule_id=``, ``?kind=``."""
    query = select(Alert).where(Alert.workspace_id == g.workspace.id)
    if args["rule_id"]:
        query = query.where(Alert.rule_id == args["rule_id"])
    if args["kind"]:
        query = query.where(Alert.kind == args["kind"])
    items, next_cursor = paginate(db.session, query, Alert.id, limit=args["limit"], cursor=args["cursor"])
    return {"items": AlertSchema(many=True).dump(items), "next_cursor": next_cursor}
