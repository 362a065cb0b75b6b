"""The roadmap board (``/app/roadmap``): items ranked by impact (responses, detractors,
customers, revenue, negative share), filtered by status, each expandable to the feedback linked
to it; admins and analysts move items between statuses.
"""

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload

from surveys.analysis.service import current_analysis
from surveys.core.db import db
from surveys.core.errors import Invalid
from surveys.response.models import Response
from surveys.roadmap.models import STATUSES
from surveys.roadmap.service import get_item, linked_responses_query, update_item
from surveys.survey.scales import category
from vocservice.webapp import bp, sources
from vocservice.webapp.highlight import pieces

LINKED_SHOWN = 5


def _linked(item) -> list[dict]:
    query = (
        linked_responses_query(item)
        .options(selectinload(Response.analyses))
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(LINKED_SHOWN)
    )
    rows = []
    for response in db.session.execute(query).unique().scalars():
        analysis = current_analysis(response)
        rows.append(
            {
                "response": response,
                "category": category(response.survey.kind, response.score),
                "pieces": pieces(response.comment, list(analysis.themes) if analysis else []),
            }
        )
    return rows


@bp.get("/roadmap")
def roadmap():
    status = (request.args.get("status") or "").strip()
    if status and status not in STATUSES:
        raise Invalid(f"Unknown status {status!r}.", errors={"status": list(STATUSES)})
    ranked = sources.roadmap_ranked(g.workspace, status=status or None)
    names = {t.id: t.name for t in sources.theme_list(g.workspace.id)}
    for row in ranked:
        row["linked"] = _linked(row["item"])
        row["themes"] = [names[t] for t in row["item"].theme_ids if t in names]
    return render_template("app/roadmap.html", rows=ranked, status=status, statuses=STATUSES)


@bp.post("/roadmap/<item_id>/status")
def roadmap_status(item_id: str):
    status = request.form.get("status") or ""
    if status not in STATUSES:
        raise Invalid(f"Unknown status {status!r}.", errors={"status": list(STATUSES)})
    item = get_item(db.session, workspace_id=g.workspace.id, item_id=item_id)
    update_item(db.session, workspace=g.workspace, item_id=item.id, data={"status": status})
    db.session.commit()
    flash(f"“{item.title}” is now {status.replace('_', ' ')}.", "success")
    back = request.form.get("filter") or ""
    return redirect(
        url_for("webapp.roadmap", status=back if back in STATUSES else None, _anchor=f"item-{item.id}")
    )
