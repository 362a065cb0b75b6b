"""Customers in the web app: ``/app/customers`` (filtered, sorted, keyset-paged), a customer's
page (health explained, timeline), ``/app/accounts`` and an account's page, the health page (how
well the score predicted churn) and the revenue concentration page (a Pareto chart)."""

from flask import g, render_template, request

from surveys.core.db import db
from surveys.core.errors import Invalid
from surveys.customer import revenue, validation
from surveys.customer.factors import FACTORS
from surveys.customer.service import (
    BANDS,
    SORTS,
    ContactFilters,
    get_account,
    get_contact,
    list_accounts,
    list_contacts,
)
from surveys.customer.settings import load
from vocservice.webapp import bp

PAGE = 50
SORT_LABELS = {
    "health": "Health, worst first",
    "-health": "Health, best first",
    "-revenue": "Revenue, largest first",
    "revenue": "Revenue, smallest first",
    "-last_answer": "Last answer, newest first",
    "last_answer": "Last answer, oldest first",
}


def _choice(name: str, allowed, default):
    value = (request.args.get(name) or "").strip()
    if not value:
        return default
    if value not in allowed:
        raise Invalid(f"Unknown {name} {value!r}.", errors={name: list(allowed)})
    return value


def _cursor() -> str | None:
    value = (request.args.get("cursor") or "").strip()
    if len(value) > 400:
        raise Invalid("This cursor does not belong to this list.", errors={"cursor": ["too long"]})
    return value or None


@bp.get("/customers")
def customers():
    sort = _choice("sort", SORTS, "health")
    band = _choice("band", BANDS, None)
    risk = _choice("risk", ("at_risk", "declining"), None)
    account = (request.args.get("account") or "").strip()[:200] or None
    filters = ContactFilters(
        band=band,
        at_risk=True if risk == "at_risk" else None,
        declining=True if risk == "declining" else None,
        account=account,
    )
    result = list_contacts(
        db.session, workspace_id=g.workspace.id, filters=filters, sort=sort, limit=PAGE, cursor=_cursor()
    )
    return render_template(
        "app/customers.html",
        items=result["items"],
        next_cursor=result["next_cursor"],
        sort=sort,
        band=band,
        risk=risk,
        account=account,
        sorts=SORT_LABELS,
        bands=BANDS,
        first_page=not request.args.get("cursor"),
    )


@bp.get("/customers/<contact_id>")
def customer(contact_id: str):
    body = get_contact(db.session, workspace_id=g.workspace.id, contact_id=contact_id)
    return render_template("app/customer.html", c=body)


@bp.get("/accounts")
def accounts():
    sort = _choice("sort", SORTS, "health")
    band = _choice("band", BANDS, None)
    result = list_accounts(
        db.session, workspace_id=g.workspace.id, band=band, sort=sort, limit=PAGE, cursor=_cursor()
    )
    return render_template(
        "app/accounts.html",
        items=result["items"],
        next_cursor=result["next_cursor"],
        sort=sort,
        band=band,
        sorts=SORT_LABELS,
        bands=BANDS,
        attribute=load(db.session, g.workspace.id).account_attribute,
        first_page=not request.args.get("cursor"),
    )


@bp.get("/accounts/<path:key>")
def customer_account(key: str):
    body = get_account(db.session, workspace_id=g.workspace.id, key=key, limit=PAGE, cursor=_cursor())
    return render_template("app/customer_account.html", a=body)


@bp.get("/customers/health")
def customer_health():
    settings = load(db.session, g.workspace.id)
    return render_template(
        "app/customer_health.html",
        result=validation.validate(db.session, workspace_id=g.workspace.id),
        settings=settings,
        factors=list(FACTORS),
    )


def pareto_chart(points: list[dict], *, width: int = 640, height: int = 260) -> dict | None:
    """Geometry of the Pareto curve: cumulative revenue share against the share of customers."""
    if len(points) < 2:
        return None
    left, right, top, bottom = 44, 12, 12, 32
    w, h = width - left - right, height - top - bottom

    def x(v: float) -> float:
        return round(left + v * w, 1)

    def y(v: float) -> float:
        return round(top + (1 - v) * h, 1)

    line = "M" + " L".join(f"{x(p['customers'])},{y(p['revenue'])}" for p in points)
    return {
        "width": width,
        "height": height,
        "line": line,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": top + h,
        "ticks": [(y(v), f"{int(v * 100)}%") for v in (0, 0.25, 0.5, 0.75, 1.0)],
        "xticks": [(x(v), f"{int(v * 100)}%") for v in (0, 0.2, 0.4, 0.6, 0.8, 1.0)],
        "marker_x": x(0.2),
    }


@bp.get("/customers/revenue")
def customer_revenue():
    result = revenue.concentration(db.session, workspace_id=g.workspace.id)
    return render_template("app/customer_revenue.html", r=result, chart=pareto_chart(result["pareto"]))
