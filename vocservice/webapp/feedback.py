"""The feedback explorer (``/app/feedback``): filtered answers, newest first, with their themes,
the evidence words highlighted, tag corrections (remove a wrong theme, add a missed one), and
deleting an answer (after a confirmation step that needs no JavaScript).
"""

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from surveys.analysis.corrections import correct_tag
from surveys.analysis.learning import DEFAULT_LEARN_AFTER, rules_taught_by
from surveys.analysis.models import Theme
from surveys.analysis.service import current_analysis
from surveys.core.db import db
from surveys.core.errors import Invalid
from surveys.response.models import Response
from surveys.response.service import delete_response
from surveys.survey.models import Survey
from surveys.survey.scales import category
from vocservice.webapp import bp, sources
from vocservice.webapp.filters import CATEGORIES, FeedbackFilter, build_query, cursor_of, parse
from vocservice.webapp.highlight import pieces

PAGE_SIZE = 25
DELETE_ROLES = ("admin", "analyst")


def filter_query(flt: FeedbackFilter):
    clause = sources.segment_clause(g.workspace.id, flt.segment_id) if flt.segment_id else None
    return build_query(flt, g.workspace.id, clause)


def choices() -> dict:
    """What the filter form offers: this workspace's surveys, themes, segments, plans."""
    workspace_id = g.workspace.id
    return {
        "surveys": db.session.execute(
            select(Survey).where(Survey.workspace_id == workspace_id).order_by(Survey.name)
        )
        .scalars()
        .all(),
        "themes": db.session.execute(
            select(Theme).where(Theme.workspace_id == workspace_id).order_by(Theme.name)
        )
        .scalars()
        .all(),
        "segments": sources.segments(workspace_id),
        "categories": [*CATEGORIES, "neutral"],
        "sentiments": ("positive", "neutral", "negative"),
        "attributes": sources.attribute_names(workspace_id),
    }


def _item(response: Response) -> dict:
    analysis = current_analysis(response)
    themes = list(analysis.themes) if analysis is not None else []
    return {
        "response": response,
        "category": category(response.survey.kind, response.score),
        "pieces": pieces(response.comment, themes),
        "themes": themes,
        "sentiment": analysis.sentiment_label if analysis is not None else None,
        "intent": analysis.intent if analysis is not None else None,
        "cues": list(analysis.cues or []) if analysis is not None else [],
        "theme_names": {t["name"] for t in themes},
    }


@bp.get("/feedback")
def feedback():
    try:
        flt = parse(request.args)
    except Invalid as error:
        flt = FeedbackFilter()
        flash(error.detail, "error")
    query = filter_query(flt).options(selectinload(Response.analyses)).limit(PAGE_SIZE + 1)
    rows = db.session.execute(query).unique().scalars().all()
    items = [_item(r) for r in rows[:PAGE_SIZE]]
    next_cursor = cursor_of(rows[PAGE_SIZE - 1]) if len(rows) > PAGE_SIZE else None
    options = choices()
    theme_ids = {t.name: t.id for t in options["themes"]}
    return render_template(
        "app/feedback.html",
        flt=flt,
        items=items,
        next_cursor=next_cursor,
        theme_ids=theme_ids,
        plan_values=sources.attribute_values(g.workspace.id, flt.attribute or "plan"),
        back=request.full_path.rstrip("?"),
        can_delete=g.user.role in DELETE_ROLES,
        **options,
    )


def _back(default: str) -> str:
    target = request.form.get("back") or ""
    return target if target.startswith("/app/") and "//" not in target else default


@bp.post("/feedback/<response_id>/themes")
def correct(response_id: str):
    theme_id = (request.form.get("theme_id") or "").strip()
    action = request.form.get("action") or ""
    if not theme_id:
        raise Invalid("Choose a theme.", errors={"theme_id": ["required"]})
    correct_tag(
        db.session,
        workspace_id=g.workspace.id,
        response_id=response_id,
        theme_id=theme_id,
        action=action,
        user_id=g.user.id,
        learn_after=current_app.config.get("VOC_LEARN_AFTER", DEFAULT_LEARN_AFTER),
    )
    theme = db.session.get(Theme, theme_id)
    taught = rules_taught_by(db.session, theme_id=theme_id, response_id=response_id)
    db.session.commit()
    verb = "added to" if action == "add" else "removed from"
    flash(f"Theme “{theme.name}” {verb} this response; re-analysis keeps your correction.", "success")
    if taught:
        flash(
            f"Learned for “{theme.name}”: "
            + ", ".join(f"“{r.phrase}” ({r.status})" for r in taught)
            + ". Confirm a proposed rule on the Learning page to apply it to other answers.",
            "success",
        )
    return redirect(_back(url_for("webapp.feedback")) + f"#r-{response_id}")


@bp.post("/feedback/<response_id>/delete")
def delete(response_id: str):
    """Delete one answer (the form asks for confirmation first); admins and analysts only."""
    if g.user.role not in DELETE_ROLES:
        abort(403, "Only admins and analysts can delete responses.")
    delete_response(db.session, workspace_id=g.workspace.id, response_id=response_id)
    db.session.commit()
    flash("Response deleted, with its analysis, theme tags and roadmap links.", "success")
    return redirect(_back(url_for("webapp.feedback")))
