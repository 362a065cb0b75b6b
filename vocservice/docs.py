"""Browsable API documentation at /api/docs, served from local Swagger UI assets (no CDN)."""

from flask import Flask
from flask_swagger_ui import get_swaggerui_blueprint


def init_app(app: Flask) -> None:
    blueprint = get_swaggerui_blueprint(
        "/api/docs",
        "/api/openapi.json",
        config={"app_name": "vocservice API", "deepLinking": True},
        blueprint_name="api_docs",
    )
    app.register_blueprint(blueprint)
