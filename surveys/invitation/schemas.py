"""Marshmallow schemas: separate input (``...CreateSchema``) and output (``...Schema``) shapes,
every field declared, unknown fields refused. Times are RFC 3339; naive input is taken as UTC.
"""

from marshmallow import (
    Schema,
    fields,
)

from surveys.core.schemas import ListArgsSchema, Time
from surveys.invitation.models import INVITATION_STATUSES


class InvitationSchema(Schema):
    id = fields.String()
    survey_id = fields.String()
    touchpoint_id = fields.String(allow_none=True)
    event_id = fields.String(allow_none=True)
    channel = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    scheduled_for = Time()
    expires_at = Time()
    sent_at = Time(allow_none=True)
    reminded_at = Time(allow_none=True)
    opened_at = Time(
        allow_none=True,
        metadata={"description": "when a person first had the survey page open (not a mail scanner's fetch)"},
    )
    responded_at = Time(allow_none=True)
    url = fields.String()
    contact = fields.Function(lambda inv: {"external_id": inv.contact.external_id})


class InvitationListArgsSchema(ListArgsSchema):
    """``GET /invitations``: the page plus its filters. The filters are documented here and read,
    and checked, by the view itself (no validator here, so its answers stay its own)."""

    contact = fields.String(metadata={"description": "external id"})
    status = fields.String(metadata={"enum": list(INVITATION_STATUSES)})
    survey_id = fields.String()
    touchpoint_id = fields.String()
