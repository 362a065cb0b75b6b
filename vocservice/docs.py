"""Browsable API documentation at /api/docs, served from local Swagger UI assets (no CDN), and the
OpenAPI document's error answers: RFC 9457 problems, as vocservice/errors.py sends them."""

from flask import Flask
from flask_swagger_ui import get_swaggerui_blueprint

PROBLEM_MEDIA_TYPE = "application/problem+json"

# What every 4xx/5xx answer of the API carries (vocservice/errors.py:problem): flask-smorest's
# default Error schema ({code, status: str, message}) is replaced in place, so the answers and
# the document agree and clients (and the fuzz suite) can check errors against it.
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem.",
    "properties": {
        "type": {"type": "string", "description": "URI of the problem type"},
        "title": {"type": "string", "description": "Short summary of the problem type"},
        "status": {"type": "integer", "description": "The HTTP status code"},
        "detail": {"type": "string", "description": "What went wrong with this request"},
        "errors": {
            "type": "object",
            "description": "Per field (or per item) messages, on validation errors",
            "additionalProperties": {},
        },
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": True,
}


def _document_problems(api) -> None:
    components = api.spec.components
    error = components.schemas.get("Error")
    if error is not None:
        error.clear()
        error.update(PROBLEM_SCHEMA)
    for responses in (components.responses, components.responses_lazy):
        for response in responses.values():
            content = response.get("content") or {}
            if "application/json" in content and content["application/json"].get("schema") in (
                {"$ref": "#/components/schemas/Error"},
                api.ERROR_SCHEMA,
            ):
                content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")


def init_app(app: Flask) -> None:
    from vocservice.extensions import api

    _document_problems(api)
    blueprint = get_swaggerui_blueprint(
        "/api/docs",
        "/api/openapi.json",
        config={"app_name": "vocservice API", "deepLinking": True},
        blueprint_name="api_docs",
    )
    app.register_blueprint(blueprint)
