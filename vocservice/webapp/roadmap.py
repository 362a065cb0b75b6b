"""The roadmap board (``/app/roadmap``): items ranked by impact (responses, detractors,
customers, revenue, negative share), filtered by status, 50 to a page, each expandable to the
feedback linked to it; admins and analysts move items between statuses.
"""

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import selectinload

from surveys.analysis.service import current_analysis
from surveys.core.db import db
from surveys.core.errors import Invalid
from surveys.customer import revenue
from surveys.response.models import Response
from surveys.roadmap.impact import ranked_items
from surveys.roadmap.models import STATUSES
from surveys.roadmap.service import get_item, linked_responses_query, update_item
from surveys.survey.scales import category
from vocservice.webapp import bp, sources
from vocservice.webapp.filters import page_number
from vocservice.webapp.highlight import pieces

LINKED_SHOWN = 5
PAGE_SIZE = 50  # items per page: an import can bring thousands


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


def _page() -> int:
    page = page_number(request.args.get("page"), 999_999)
    if page is None:
        raise Invalid("'page' must be a page number such as 2.", errors={"page": ["not a page number"]})
    return page


@bp.get("/roadmap")
def roadmap():
    status = (request.args.get("status") or "").strip()
    if status and status not in STATUSES:
        raise Invalid(f"Unknown status {status!r}.", errors={"status": list(STATUSES)})
    page = _page()
    ranked = ranked_items(
        db.session,
        workspace=g.workspace,
        sort="impact",
        status=status or None,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    names = {t.id: t.name for t in sources.theme_list(g.workspace.id)}
    money = revenue.by_roadmap_item(
        db.session, workspace_id=g.workspace.id, item_ids=[r.item.id for r in ranked.rows]
    )
    rows = []
    for ranked_row in ranked.rows:
        item = ranked_row.item
        rows.append(
            {
                "item": item,
                "impact": ranked_row.impact,
                "at_risk": revenue.figures_or_zero(money.get(item.id)),
                "linked": _linked(item),
                "themes": [names[t] for t in item.theme_ids if t in names],
            }
        )
    pages = max(1, -(-ranked.total // PAGE_SIZE))
    return render_template(
        "app/roadmap.html",
        rows=rows,
        status=status,
        statuses=STATUSES,
        page=page,
        pages=pages,
        total=ranked.total,
        first_rank=(page - 1) * PAGE_SIZE + 1,
    )


@bp.post("/roadmap/<item_id>/status")
def roadmap_status(item_id: str):
    status = request.form.get("status") or ""
    if status not in STATUSES:
        raise Invalid(f"Unknown status {status!r}.", errors={"status": list(STATUSES)})
    item = get_item(db.session, workspace_id=g.workspace.id, item_id=item_id)
    update_item(db.session, workspace=g.workspace, item_id=item.id, data={"status": status})
    db.session.commit()
    flash(f"“{item.title}” is now {status.replace('_', ' ')}.", "success")
    if status == "shipped":
        # Its page offers to re-survey the customers behind it and shows the outcome.
        return redirect(url_for("webapp.roadmap_item", item_id=item.id))
    back = request.form.get("filter") or ""
    return redirect(
        url_for("webapp.roadmap", status=back if back in STATUSES else None, _anchor=f"item-{item.id}")
    )
