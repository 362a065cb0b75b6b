"""The embeddable widget: ``/embed.js`` and the public endpoints it talks to under ``/w/<slug>/``.

Public means unauthenticated, so every endpoint is rate-limited and CORS-restricted to the
workspace's ``allowed_origins`` (exact match). A browser always sends ``Origin`` on these
requests; one that is missing or not allowed gets a 403 problem before anything is read or
stored. The widget posts the score first (so a tap is never lost) and then patches the comment
and ``final`` onto the same response with the secret ``edit_token`` it got back.

The Origin check keeps other sites' pages out; it says nothing about who is answering. A
``contact`` is linked only with a ``contact_token`` that the host site's backend made with the
workspace's widget secret; without one the answer is anonymous, and a wrong one is a 403.
"""

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Flask, current_app, g, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from surveys.core.db import db, utcnow
from surveys.core.errors import Forbidden, Invalid, NotFound
from surveys.response.service import public_survey, widget_start, widget_update
from surveys.survey import i18n
from surveys.survey.scales import SCALES, category
from surveys.workspace.models import Workspace
from vocservice.extensions import limiter

bp = Blueprint("widget", __name__)
EMBED_JS = Path(__file__).resolve().parent.parent / "static" / "embed.js"
ALLOWED_METHODS = "GET, POST, PATCH, OPTIONS"
_NO_NUL = validate.Regexp(r"^[^\x00]*\Z", error="contains a NUL character")
_PATH_VALUE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LOCALE = validate.Regexp(
    r"^(?=.{2,16}\Z)[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*\Z",
    error="not a locale such as en (16 characters at most)",
)


def _rate_limit() -> str:
    return current_app.config["WIDGET_RATE_LIMIT"]


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class WidgetStartSchema(_Strict):
    survey_id = fields.String(required=True, validate=[validate.Length(1, 40), _NO_NUL])
    score = fields.Integer(required=True, strict=True)
    contact = fields.String(load_default=None, allow_none=True, validate=[validate.Length(1, 200), _NO_NUL])
    # HMAC-SHA256(widget secret, contact) from the host site's backend, hex or base64url.
    contact_token = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(1, 100), _NO_NUL]
    )
    page_url = fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=2000), validate.Regexp(r"^https?://", error="an http(s) URL"), _NO_NUL],
    )
    lang = fields.String(load_default=None, allow_none=True, validate=_LOCALE)


class WidgetUpdateSchema(_Strict):
    edit_token = fields.String(required=True, validate=validate.Length(1, 64))
    score = fields.Integer(load_default=None, allow_none=True, strict=True)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10000))
    final = fields.Boolean(load_default=False, truthy={True}, falsy={False})


def _load(schema: Schema) -> dict:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise Invalid("The body must be a JSON object.", errors={"body": ["not a JSON object"]})
    try:
        return schema.load(body)
    except ValidationError as err:
        raise Invalid("The request has invalid fields: see errors.", errors=err.messages) from None


@bp.before_request
def _check_origin():
    """Resolve the workspace and refuse foreign origins before any view (or limiter) runs."""
    # g outlives a request when a caller keeps an app context open (tests, CLI): reset it.
    g.widget_workspace = g.widget_origin = None
    if request.endpoint == "widget.embed_js":
        return None
    args = request.view_args or {}
    # Ids and slugs are url-safe; anything else (a NUL byte...) is simply unknown.
    if not all(_PATH_VALUE.fullmatch(str(value)) for value in args.values()):
        raise NotFound("Not found.")
    slug = args.get("slug", "")
    workspace = db.session.execute(select(Workspace).where(Workspace.slug == slug)).scalar_one_or_none()
    if workspace is None:
        raise NotFound(f"No workspace {slug!r}.")
    origin = request.headers.get("Origin")
    own = request.host_url.rstrip("/")
    if not origin or (origin not in (workspace.allowed_origins or []) and origin != own):
        raise Forbidden(
            "This origin may not use the widget of this workspace. Add it to the workspace's allowed_origins."
        )
    g.widget_workspace, g.widget_origin = workspace, origin
    if request.method == "OPTIONS":  # preflight: answered here, never rate-limited or stored
        response = current_app.response_class(status=204)
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
        return response
    return None


@bp.after_request
def _cors_headers(response):
    if request.endpoint != "widget.embed_js":
        # Answers differ by Origin, so caches must key on it.
        response.vary.add("Origin")
        origin = g.get("widget_origin")
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
    return response


@lru_cache(maxsize=1)
def _embed_js() -> tuple[bytes, str]:
    body = EMBED_JS.read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:32]


@bp.get("/embed.js")
def embed_js():
    # Served from memory with a content hash as ETag: every host page loads it.
    body, etag = _embed_js()
    response = current_app.response_class(body, mimetype="text/javascript")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    # Pages with cross-origin isolation may still load it.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response.make_conditional(request)


def _lang(requested: str | None, survey) -> str:
    return i18n.pick_locale(requested, None, request.accept_languages, survey)


@bp.route("/w/<slug>/surveys/<survey_id>", methods=["GET", "OPTIONS"], provide_automatic_options=False)
@limiter.limit(_rate_limit, methods=["GET"])
def survey_config(slug: str, survey_id: str):
    survey = public_survey(db.session, workspace=g.widget_workspace, survey_id=survey_id)
    lang = _lang(request.args.get("lang"), survey)
    text, ui = i18n.survey_text(survey, lang), i18n.strings(lang)
    low_label, high_label = i18n.scale_labels(survey.kind, lang)
    return {
        "id": survey.id,
        "kind": survey.kind,
        "lang": lang,
        "question": text["question"],
        "comment_prompt": text["comment_prompt"],
        "scale": list(SCALES[survey.kind]),
        "labels": {
            "low": low_label,
            "high": high_label,
            "submit": ui["submit"],
            "close": ui["close"],
            "thanks": ui["thanks_title"],
            "optional": ui["optional"],
            "error": ui["error_body"],
        },
        "brand": {
            "color": i18n.branding(g.widget_workspace)["color"],
            "on_color": i18n.branding(g.widget_workspace)["on_color"],
        },
    }


@bp.route("/w/<slug>/responses", methods=["POST", "OPTIONS"], provide_automatic_options=False)
@limiter.limit(_rate_limit, methods=["POST"])
def start(slug: str):
    data = _load(WidgetStartSchema())
    response = widget_start(
        db.session,
        workspace=g.widget_workspace,
        survey_id=data["survey_id"],
        score=data["score"],
        contact_external_id=data["contact"],
        contact_token=data["contact_token"],
        page_url=data["page_url"],
        locale=data["lang"],
        now=utcnow(),
    )
    db.session.commit()
    return {
        "id": response.id,
        "edit_token": response.edit_token,
        "category": category(response.survey.kind, response.score),
    }, 201


@bp.route("/w/<slug>/responses/<response_id>", methods=["PATCH", "OPTIONS"], provide_automatic_options=False)
@limiter.limit(_rate_limit, methods=["PATCH"])
def update(slug: str, response_id: str):
    data = _load(WidgetUpdateSchema())
    response = widget_update(
        db.session,
        workspace=g.widget_workspace,
        response_id=response_id,
        edit_token=data["edit_token"],
        score=data["score"],
        comment=data["comment"],
        final=data["final"],
        now=utcnow(),
    )
    db.session.commit()
    return {
        "id": response.id,
        "category": category(response.survey.kind, response.score),
        "completed": response.completed,
    }


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
