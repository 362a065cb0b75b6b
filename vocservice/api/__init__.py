"""The JSON API under /api/v1: thin handlers that parse with a schema, call a ``surveys``
service and dump the result."""

from flask_smorest import Api


def register(api: Api) -> None:
    from vocservice.api import (
        events,
        insights,
        invitations,
        responses,
        surveys,
        themes,
        touchpoints,
        workspace,
    )

    for module in (surveys, touchpoints, events, invitations, responses, themes, insights, workspace):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.PREFIX}")
    from vocservice.api import roadmap

    api.register_blueprint(roadmap.blp, url_prefix=f"/api/v1{roadmap.PREFIX}")

    # Issue 4, engineer A: segments and metrics.
    from vocservice.api import metrics, segments

    for module in (segments, metrics):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.PREFIX}")
    from vocservice.api import contacts, exports, webhooks

    for module in (webhooks, exports, contacts):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.PREFIX}")
    from vocservice.api import privacy

    api.register_blueprint(privacy.blp, url_prefix=f"/api/v1{privacy.PREFIX}")
    from vocservice.api import alerts

    api.register_blueprint(alerts.blp, url_prefix=f"/api/v1{alerts.PREFIX}")
    api.register_blueprint(alerts.alerts_blp, url_prefix=f"/api/v1{alerts.ALERTS_PREFIX}")
    # Issue 10: cases and case rules.
    from vocservice.api import cases

    api.register_blueprint(cases.blp, url_prefix=f"/api/v1{cases.PREFIX}")
    api.register_blueprint(cases.rules_blp, url_prefix=f"/api/v1{cases.RULES_PREFIX}")
    from vocservice.api import learning

    api.register_blueprint(learning.blp, url_prefix=f"/api/v1{learning.PREFIX}")
    _document_webhook_events(api)


def _document_webhook_events(api: Api) -> None:
    """One component schema per outbound event (``WebhookEvent_response_created``...) and the
    OpenAPI 3.1 ``webhooks`` section naming what we POST to an endpoint for each, so receivers
    can generate their types from the OpenAPI document."""
    from surveys.webhook.catalogue import EVENT_TYPES
    from surveys.webhook.schemas import PAYLOADS, envelope_schema

    webhooks = {}
    for event_type in PAYLOADS:
        schema = envelope_schema(event_type)
        name = schema.__name__
        if name not in api.spec.components.schemas:
            api.spec.components.schema(name, schema=schema)
        webhooks[event_type] = {
            "post": {
                "summary": EVENT_TYPES.get(event_type, "A test message (POST .../{id}/test)."),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
                },
                "responses": {"2XX": {"description": "Received; any other answer is retried."}},
            }
        }
    api.spec.options["webhooks"] = webhooks
