"""The customer record: customers and accounts with their explained health, a customer's
timeline, the workspace's health settings, how well the score predicted churn, and where
revenue concentrates."""

from flask import g, request

from surveys.core.db import db
from surveys.core.errors import Invalid
from surveys.customer import revenue, settings, validation
from surveys.customer.factors import FACTORS
from surveys.customer.schemas import (
    AccountDetailSchema,
    AccountListArgsSchema,
    AccountPageArgsSchema,
    AccountSchema,
    ContactListArgsSchema,
    CustomerDetailSchema,
    CustomerSchema,
    HealthSettingsSchema,
    HealthSettingsUpdateSchema,
)
from surveys.customer.service import ContactFilters, get_account, get_contact, list_accounts, list_contacts
from vocservice.api.common import Blueprint
from vocservice.auth import ADMIN, READ, require

PREFIX = ""
blp = Blueprint("customers", __name__, description="Customers and accounts: timeline, health, revenue")
MAX_ATTRIBUTE_FILTERS = 10


def _attribute_filters() -> tuple[tuple[str, str], ...]:
    found = []
    for key, value in request.args.items():
        if key.startswith("attributes."):
            name = key.split(".", 1)[1]
            if not name or len(name) > 100 or "\x00" in name or "\x00" in value:
                raise Invalid("Attribute filters are attributes.NAME=value.", errors={key: ["bad filter"]})
            found.append((name, value))
    if len(found) > MAX_ATTRIBUTE_FILTERS:
        raise Invalid(
            f"At most {MAX_ATTRIBUTE_FILTERS} attribute filters.", errors={"attributes": ["too many"]}
        )
    return tuple(found)


@blp.route("/contacts", methods=["GET"])
@blp.page_response(CustomerSchema)
@require(READ)
@blp.arguments(ContactListArgsSchema, location="query")
def contacts(args):
    """Customers with their health (each factor's contribution), revenue and account; filter by
    ``band``, ``at_risk`` (band at_risk or in decline), ``declining``, ``segment_id`` (customers
    with answers in it), ``account`` and ``attributes.NAME=value``; sort by ``health`` (worst
    first), ``revenue`` or ``last_answer``, a leading ``-`` reversing; customers without the
    value come last. Customers appear once scored (their first answer or the next tick)."""
    filters = ContactFilters(
        segment_id=args["segment_id"],
        attributes=_attribute_filters(),
        band=args["band"],
        at_risk=args["at_risk"],
        declining=args["declining"],
        account=args["account"],
    )
    return list_contacts(
        db.session,
        workspace_id=g.workspace.id,
        filters=filters,
        sort=args["sort"],
        limit=args["limit"],
        cursor=args["cursor"],
    )


@blp.route("/contacts/<contact_id>", methods=["GET"])
@require(READ)
@blp.response(200, CustomerDetailSchema)
def contact(contact_id):
    """One customer: health explained, and the timeline (journey events, invitations with their
    suppression reasons, answers with their analysis and the event that triggered each)."""
    return get_contact(db.session, workspace_id=g.workspace.id, contact_id=contact_id)


@blp.route("/accounts", methods=["GET"])
@blp.page_response(AccountSchema)
@require(READ)
@blp.arguments(AccountListArgsSchema, location="query")
def accounts(args):
    """Accounts: customers grouped by the workspace's account attribute (default ``company``;
    customers without it are in no account), with health, revenue and customers at risk."""
    return list_accounts(
        db.session,
        workspace_id=g.workspace.id,
        band=args["band"],
        sort=args["sort"],
        limit=args["limit"],
        cursor=args["cursor"],
    )


@blp.route("/accounts/<key>", methods=["GET"])
@require(READ)
@blp.arguments(AccountPageArgsSchema, location="query")
@blp.response(200, AccountDetailSchema)
def account(args, key):
    """One account: its health explained, and its customers, worst health first (paged)."""
    return get_account(
        db.session, workspace_id=g.workspace.id, key=key, limit=args["limit"], cursor=args["cursor"]
    )


def _settings_body() -> dict:
    s = settings.load(db.session, g.workspace.id)
    return {
        "factors": [
            {"name": f.name, "label": f.label, "weight": s.weights[f.name], "default_weight": f.weight}
            for f in FACTORS
        ],
        "bands": s.bands,
        "account_attribute": s.account_attribute,
        "decline_points": s.decline_points,
        "decline_days": s.decline_days,
        "churn_events": s.churn_events,
        "min_churns": s.min_churns,
    }


@blp.route("/workspace/health", methods=["GET"])
@require(READ)
@blp.response(200, HealthSettingsSchema)
def health_settings():
    """Health factors with their weights, band thresholds, the decline rule, the account
    attribute and the churn events."""
    return _settings_body()


@blp.route("/workspace/health", methods=["PATCH"])
@require(ADMIN)
@blp.arguments(HealthSettingsUpdateSchema)
@blp.response(200, HealthSettingsSchema)
def update_health_settings(data):
    """Change weights (0-1000 per known factor), bands (``watch`` below ``healthy``, both
    within 0-100), the decline rule, the account attribute or the churn events; scores follow
    at the next nightly run."""
    settings.update(db.session, workspace_id=g.workspace.id, data=data)
    db.session.commit()
    return _settings_body()


@blp.route("/customers/health-validation", methods=["GET"])
@blp.alt_response(200, schema={"type": "object", "description": "AUC per horizon."}, success=True)
@require(READ)
def health_validation():
    """How well the score 30, 60 and 90 days before separated customers who churned (the
    workspace's churn events) from those who stayed: ROC AUC, its 95% interval (Hanley-McNeil),
    the numbers behind it, and the AUC with each factor left out; ``not_enough_data`` below the
    workspace's minimum of churns."""
    return validation.validate(db.session, workspace_id=g.workspace.id)


@blp.route("/customers/concentration", methods=["GET"])
@blp.alt_response(200, schema={"type": "object", "description": "Revenue concentration."}, success=True)
@require(READ)
def concentration():
    """Customers ranked by revenue: the share the top 20% carry, that group's mean health, NPS of
    latest answers and top negative themes beside everyone else's, and the Pareto curve."""
    return revenue.concentration(db.session, workspace_id=g.workspace.id)
