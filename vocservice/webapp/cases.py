"""The cases inbox (``/app/cases``): filters (mine, overdue, status, segment, theme), pages,
the work still to do first (open and contacted cases, the longest overdue at the top, then the
closed ones, latest due first), the loop's figures; a case's page with the answer and its
highlighted evidence, the customer's other answers and cases, the notes, and the actions
(assign, change status, resolve with a reason, add a note), with the same rules and errors as
``/api/v1/cases``."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import case as when
from sqlalchemy import select

from surveys.analysis.models import Theme
from surveys.case import service
from surveys.case.inbox import case_view, cases_query, customer_history
from surveys.case.models import OPEN_STATUSES, STATUSES, Case
from surveys.case.schemas import CaseUpdateSchema, NoteCreateSchema
from surveys.case.stats import case_stats
from surveys.core.db import db
from surveys.core.errors import DomainError
from vocservice.errors import status_of
from vocservice.webapp import bp, sources
from vocservice.webapp.filters import page_number
from vocservice.webapp.forms_util import load_data
from vocservice.webapp.highlight import pieces

PAGE_SIZE = 25
MAX_PAGE = 10_000
STATUS_LABELS = {
    "open": "open",
    "contacted": "contacted",
    "resolved": "resolved",
    "closed_no_action": "closed, no action",
}


def _filters() -> dict:
    args = request.args
    status = args.get("status") or None
    if status not in (None, *STATUSES):
        abort(400)
    return {
        "page": _page_number(args.get("page")),
        "mine": args.get("mine") == "1",
        "overdue": args.get("overdue") == "1",
        "status": status,
        "segment": (args.get("segment") or "")[:40] or None,
        "theme": (args.get("theme") or "")[:40] or None,
    }


def _page_number(raw: str | None) -> int:
    page = page_number(raw, MAX_PAGE)
    if page is None:
        abort(400)
    return page


def in_inbox_order(query):
    """Open and contacted cases first, the one due earliest (the longest overdue) at the top;
    then resolved and closed ones, the latest due first; ties by newest id."""
    active = Case.status.in_(OPEN_STATUSES)
    return query.order_by(
        when((active, 0), else_=1), when((active, Case.due_at)).asc(), Case.due_at.desc(), Case.id.desc()
    )


@bp.get("/cases")
def cases():
    flt = _filters()
    query = cases_query(
        db.session,
        workspace_id=g.workspace.id,
        status=flt["status"],
        owner_id=g.user.id if flt["mine"] else None,
        overdue=True if flt["overdue"] else None,
        segment_id=flt["segment"],
        theme_id=flt["theme"],
    )
    number = flt.pop("page")
    rows = (
        db.session.execute(in_inbox_order(query).offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
        .unique()
        .scalars()
        .all()
    )
    users = service.active_users(db.session, g.workspace.id)
    themes = db.session.execute(
        select(Theme).where(Theme.workspace_id == g.workspace.id).order_by(Theme.name)
    ).scalars()
    return render_template(
        "app/cases.html",
        items=[case_view(case, users) for case in rows[:PAGE_SIZE]],
        page=number,
        has_next=len(rows) > PAGE_SIZE and number < MAX_PAGE,
        flt=flt,
        args={k: ("1" if v is True else v) for k, v in flt.items() if v},
        statuses=STATUS_LABELS,
        segments=sources.segments(g.workspace.id),
        themes=list(themes),
        stats=case_stats(db.session, workspace_id=g.workspace.id),
    )


def _case_page(case_id: str, status: int = 200, errors: dict | None = None, form: dict | None = None):
    case = service.get_case(db.session, workspace_id=g.workspace.id, case_id=case_id)
    users = service.active_users(db.session, g.workspace.id)
    view = case_view(case, users)
    context = {
        "case": view,
        "pieces": pieces(view["answer"]["comment"], view["answer"]["themes"]),
        "history": customer_history(db.session, case),
        "users": users,
        "statuses": STATUS_LABELS,
        "survey": case.response.survey,
        "errors": errors or {},
        "form": form or {},
    }
    return render_template("app/case.html", **context), status


@bp.get("/cases/<case_id>")
def case_page(case_id: str):
    return _case_page(case_id)


def _change(case_id: str, body: dict, done: str):
    data, errors = load_data(CaseUpdateSchema(), body)
    if data is not None:
        try:
            service.update_case(
                db.session,
                workspace_id=g.workspace.id,
                case_id=case_id,
                data=data,
                author=g.user.email,
                author_id=g.user.id,
            )
        except DomainError as error:
            db.session.rollback()
            if status_of(error) == 404:
                raise
            return _case_page(case_id, status_of(error), error.errors or {"_": [error.detail]}, body)
        db.session.commit()
        flash(done, "success")
        return redirect(url_for("webapp.case_page", case_id=case_id))
    return _case_page(case_id, 422, errors, body)


@bp.post("/cases/<case_id>/assign")
def assign_case(case_id: str):
    owner = request.form.get("owner_id") or None
    return _change(case_id, {"owner_id": owner}, "Owner changed." if owner else "Case unassigned.")


@bp.post("/cases/<case_id>/status")
def change_case_status(case_id: str):
    body = {"status": request.form.get("status") or ""}
    resolution = (request.form.get("resolution") or "").strip()
    if resolution:
        body["resolution"] = resolution
    return _change(case_id, body, f"Status: {STATUS_LABELS.get(body['status'], body['status'])}.")


@bp.post("/cases/<case_id>/notes")
def add_case_note(case_id: str):
    body = {"body": (request.form.get("body") or "").strip()}
    data, errors = load_data(NoteCreateSchema(), body)
    if data is None:
        return _case_page(case_id, 422, errors, body)
    service.add_note(
        db.session,
        workspace_id=g.workspace.id,
        case_id=case_id,
        body=data["body"],
        author=g.user.email,
        author_id=g.user.id,
    )
    db.session.commit()
    flash("Note added.", "success")
    return redirect(url_for("webapp.case_page", case_id=case_id, _anchor="notes"))
