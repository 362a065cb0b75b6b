"""The outbound event types, each with what it means. Payload shapes are the marshmallow schemas
in :mod:`surveys.webhook.schemas` (published as OpenAPI components); the envelope is:

``{"id": "msg_...", "type": "response.created", "version": 1, "timestamp": "...Z",
"workspace_id": "ws_...", "data": {...}}``

``id`` equals the ``webhook-id`` header and stays the same across retries and replays, so a
receiver deduplicates on it. ``version`` changes only when a payload changes incompatibly.
"""

VERSION = 1

EVENT_TYPES: dict[str, str] = {
    "response.created": "An answer was stored (from any channel; it may still be partial).",
    "response.completed": "An answer became final (submitted, imported, or finalised after inactivity).",
    "response.detractor": "A final answer at the unhappy end of its scale: NPS 0-6, CSAT 1-2, CES 1-3.",
    "response.analyzed": "A commented answer's text analysis landed or its themes were corrected: "
    "sentiment, intent (praise, complaint, request, question or other), themes with per-theme sentiment, "
    "quoted evidence and intent.",
    "invitation.sent": "A survey invitation was delivered by email or to a touchpoint's webhook "
    "(link invitations are handed out in the answer to the event instead).",
    "invitation.failed": "A survey invitation could not be delivered after its retries.",
    "roadmap_item.status_changed": "A roadmap item moved between idea, planned, in_progress and shipped.",
    "contact.erased": "A person was erased on request: every answer, event and invitation of theirs is gone "
    "and they are never invited again. Carries the contact id only; delete what you hold of them.",
    "alert.triggered": "An alert rule fired (a detractor, a significant score drop, a theme spike, a "
    "silence): the figures, up to three quoted answers and a link to the evidence.",
    "case.opened": "A case rule opened a follow-up case on a detractor-level answer (with the answer).",
    "case.status_changed": "A case moved between open, contacted, resolved and closed_no_action.",
    "case.overdue": "A case is still open (nobody contacted the customer) past its SLA due time; sent once.",
    "contact.health_changed": "A customer's health score moved to another band (at_risk, watch, healthy); "
    "smaller moves within a band are not sent.",
}
# Sent only by POST /api/v1/webhook-endpoints/{id}/test; no endpoint subscribes to it.
PING = "ping"
