"""One roadmap item's page (``/app/roadmap/<id>``): what it is, and once it is shipped, whether
shipping helped (:mod:`surveys.roadmap.outcome`, linked customers beside everyone else) and a
form for admins to re-survey its customers through a touchpoint (:mod:`surveys.roadmap.resurvey`).
"""

from flask import flash, g, redirect, render_template, request, url_for

from surveys.core.db import db
from surveys.core.errors import Conflict
from surveys.roadmap.impact import impact
from surveys.roadmap.models import STATUSES
from surveys.roadmap.outcome import DEFAULT_WINDOW_DAYS, outcome
from surveys.roadmap.resurvey import resurvey, touchpoint_choices
from surveys.roadmap.service import get_item
from vocservice.webapp import bp, sources
from vocservice.webapp.auth import admin_required
from vocservice.webapp.outcome_chart import intervals
from vocservice.webapp.roadmap import _linked

REASONS = {
    "unsubscribed": "unsubscribed",
    "recently_contacted": "asked recently (fatigue)",
    "no_email": "no email address",
    "conditions_not_met": "outside the touchpoint's conditions",
    "sampled_out": "sampled out",
}


@bp.get("/roadmap/<item_id>")
def roadmap_item(item_id: str):
    item = get_item(db.session, workspace_id=g.workspace.id, item_id=item_id)
    names = {t.id: t.name for t in sources.theme_list(g.workspace.id)}
    result = None
    if item.status == "shipped" and item.shipped_at is not None:
        result = outcome(db.session, item=item, window_days=DEFAULT_WINDOW_DAYS)
    touchpoints = touchpoint_choices(db.session, workspace_id=g.workspace.id) if result else []
    charts = {}
    for row in result["scores"] if result else []:
        charts[row["survey_id"]] = intervals([("Linked", row["linked"]), ("Not linked", row["comparison"])])
    return render_template(
        "app/roadmap_item.html",
        item=item,
        impact=impact(db.session, workspace=g.workspace, item_ids=[item.id])[item.id],
        themes=[names[t] for t in item.theme_ids if t in names],
        linked=_linked(item),
        outcome=result,
        charts=charts,
        touchpoints=touchpoints,
        statuses=STATUSES,
    )


@bp.post("/roadmap/<item_id>/resurvey")
@admin_required
def roadmap_item_resurvey(item_id: str):
    item = get_item(db.session, workspace_id=g.workspace.id, item_id=item_id)
    try:
        counts = resurvey(
            db.session,
            workspace=g.workspace,
            item=item,
            touchpoint_id=request.form.get("touchpoint_id") or "",
        )
    except Conflict as error:
        db.session.rollback()
        flash(error.detail, "error")
        return redirect(url_for("webapp.roadmap_item", item_id=item.id))
    db.session.commit()
    skipped = ", ".join(f"{n} {REASONS.get(reason, reason)}" for reason, n in counts["suppressed"].items())
    message = f"{counts['scheduled']} of {counts['customers']} customers will be asked again."
    if skipped:
        message += f" Not asked: {skipped}."
    if counts["already_asked"]:
        message += f" {counts['already_asked']} were asked for this item before."
    flash(message, "success")
    return redirect(url_for("webapp.roadmap_item", item_id=item.id, _anchor="resurvey"))
