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
    "sentiment, themes with per-theme sentiment and quoted evidence.",
    "invitation.sent": "A survey invitation was delivered by email or to a touchpoint's webhook "
    "(link invitations are handed out in the answer to the event instead).",
    "invitation.failed": "A survey invitation could not be delivered after its retries.",
    "roadmap_item.status_changed": "A roadmap item moved between idea, planned, in_progress and shipped.",
    "contact.health_changed": "A customer's health score moved to another band (at_risk, watch, healthy); "
    "smaller moves within a band are not sent.",
}
# Sent only by POST /api/v1/webhook-endpoints/{id}/test; no endpoint subscribes to it.
PING = "ping"
