"""What corrections taught (``/app/learning``): the workspace's learned rules, newest first, 50
to a page, each with who taught it, when and from which answers; analysts confirm a proposed rule
(it then applies to every answer) or undo one."""

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from surveys.analysis import learning as service
from surveys.analysis.models import RULE_STATUSES, LearnedRule
from surveys.core.db import db
from surveys.core.errors import Invalid
from surveys.workspace.models import User
from vocservice.webapp import bp

PAGE_SIZE = 50
ACTIONS = {"confirm": "active", "undo": "undone"}


@bp.get("/learning")
def learning():
    status = (request.args.get("status") or "").strip()
    if status and status not in RULE_STATUSES:
        raise Invalid(f"Unknown status {status!r}.", errors={"status": list(RULE_STATUSES)})
    cursor = (request.args.get("cursor") or "").strip()[:40]
    query = service.list_rules_query(g.workspace.id, status or None)
    if cursor:
        query = query.where(LearnedRule.id < cursor)
    rows = db.session.execute(query.order_by(LearnedRule.id.desc()).limit(PAGE_SIZE + 1)).scalars().all()
    rules = rows[:PAGE_SIZE]
    user_ids = {r.created_by for r in rules} | {r.decided_by for r in rules}
    users = dict(
        db.session.execute(select(User.id, User.email).where(User.id.in_([u for u in user_ids if u]))).all()
    )
    return render_template(
        "app/learning.html",
        rules=rules,
        users=users,
        status=status,
        statuses=RULE_STATUSES,
        next_cursor=rules[-1].id if len(rows) > PAGE_SIZE else None,
    )


@bp.post("/learning/<rule_id>")
def learning_decide(rule_id: str):
    action = request.form.get("action") or ""
    if action not in ACTIONS:
        raise Invalid(f"Unknown action {action!r}.", errors={"action": list(ACTIONS)})
    rule = service.decide(
        db.session, workspace=g.workspace, rule_id=rule_id, status=ACTIONS[action], user_id=g.user.id
    )
    db.session.commit()
    verb = "now applies to every answer" if rule.status == "active" else "no longer applies"
    flash(f"“{rule.phrase}” for “{rule.theme_name}” {verb}; affected answers are re-analysed.", "success")
    return redirect(url_for("webapp.learning", _anchor=f"rule-{rule.id}"))
