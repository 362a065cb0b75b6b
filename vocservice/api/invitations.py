"""Invitations: who was (or was not) asked, when, through which channel, and their link."""

from flask import current_app, g, request
from sqlalchemy import select

from surveys.contact.models import Contact
from surveys.core.db import db
from surveys.core.errors import Invalid
from surveys.invitation.models import INVITATION_STATUSES, Invitation
from surveys.invitation.schemas import InvitationListArgsSchema, InvitationSchema
from vocservice.api.common import Blueprint, owned, page
from vocservice.auth import READ, require
from vocservice.config import links

PREFIX = "/invitations"
blp = Blueprint("invitations", __name__, description="Scheduled, sent and suppressed invitations")


def dump(invitation: Invitation) -> dict:
    body = InvitationSchema().dump(invitation)
    body["url"] = links(current_app.config).survey_url(invitation.token)
    return body


@blp.route("", methods=["GET"])
@blp.page_response(InvitationSchema)
@require(READ + ("ingest",))
@blp.arguments(InvitationListArgsSchema, location="query")
def list_invitations(args):
    query = select(Invitation).where(Invitation.workspace_id == g.workspace.id)
    if contact := request.args.get("contact"):
        query = query.join(Contact, Contact.id == Invitation.contact_id).where(Contact.external_id == contact)
    if status := request.args.get("status"):
        if status not in INVITATION_STATUSES:
            raise Invalid(
                f"Unknown status {status!r}.", errors={"status": [f"one of {', '.join(INVITATION_STATUSES)}"]}
            )
        query = query.where(Invitation.status == status)
    for name in ("survey_id", "touchpoint_id"):
        if value := request.args.get(name):
            query = query.where(getattr(Invitation, name) == value)
    return page(db.session, query, Invitation.id, dump=dump, limit=args["limit"], cursor=args["cursor"])


@blp.route("/<invitation_id>", methods=["GET"])
@blp.alt_response(200, schema=InvitationSchema, description="The invitation, with its link.", success=True)
@require(READ + ("ingest",))
def get_invitation(invitation_id):
    return dump(owned(db.session, Invitation, invitation_id, "invitation"))
