"""vocservice web shell: the application factory.

``create_app`` reads configuration from the environment (or ``test_config``), binds the
extensions, registers the API, webhook, hosted-form and widget blueprints, and the CLI.
"""

from pathlib import Path

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, unchanged, except that a request sending no session
    cookie (every API call, every first visit) gets its new empty session without Flask first
    building the signing serializer (a key derivation set-up per request) it would not use."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def create_app(test_config: dict | None = None) -> Flask:
    from surveys import wiring
    from surveys.contact import suppression
    from vocservice import cli, config, errors, health, logs, queue, safety, telemetry
    from vocservice.cli import rollups as rollups_cli
    from vocservice.extensions import api, db, limiter, migrate

    app = Flask(__name__, instance_path=str(Path.cwd() / "instance"))
    # "/webhooks/a//events" is not a path of ours: a 404, not a 308 redirect of a POST that a
    # sender may or may not follow (werkzeug merges repeated slashes by default).
    app.url_map.merge_slashes = False
    app.config.from_mapping(config.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", config.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    # First, so their before-request hooks time and tag every request (telemetry's runs first).
    logs.init_app(app)
    telemetry.init_app(app)
    safety.init_app(app)
    app.json.sort_keys = False
    _sync_checked_once(app)
    app.session_interface = CookieSessions()
    if proxies := app.config.get("VOC_TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    logs.configure()
    logs.install()

    db.init_app(app)
    with app.app_context():
        config.install_idle_ping(db.engine)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from vocservice import sqlite

        with app.app_context():
            sqlite.install(db.engine)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    limiter.init_app(app)
    _limits_on_views_only(app, limiter)
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "Workspace API key"}
    )
    errors.init_app(app)
    # What runs on flush, after commit and after analysis: see surveys/wiring.py and queue.py.
    wiring.install(db.session)
    queue.install(db.session)
    # Erased people are remembered as HMACs keyed with the app secret (surveys.contact.suppression).
    suppression.set_key(app.config["SECRET_KEY"])
    health.init_app(app)
    cli.init_app(app)
    rollups_cli.init_app(app)

    from vocservice import docs, home
    from vocservice.api import register as register_api
    from vocservice.hooks import events as event_hooks
    from vocservice.hooks import roadmap as roadmap_hooks
    from vocservice.hooks import segment as segment_hooks
    from vocservice.public import digest as digest_public
    from vocservice.public import forms, widget

    register_api(api)
    event_hooks.init_app(app)
    roadmap_hooks.init_app(app)
    segment_hooks.init_app(app)
    forms.init_app(app)
    digest_public.init_app(app)
    widget.init_app(app)
    docs.init_app(app)
    home.init_app(app)
    from vocservice import webapp

    webapp.init_app(app)
    return app


def _sync_checked_once(app: Flask) -> None:
    """Ask once per function, not on every call, whether it is a coroutine function.

    Flask passes every before/after/teardown hook and each flask-smorest layer of a view through
    ``ensure_sync`` on every request: some fifteen ``inspect.iscoroutinefunction`` calls per API
    request, each answering what the first did. The answer is remembered per function (hooks
    and views are registered once; past a bound, further functions are simply asked each time).
    """
    checked: dict = {}
    ensure_sync = app.ensure_sync

    def remembered(func):
        try:
            return checked[func]
        except KeyError:
            result = ensure_sync(func)
            if len(checked) < 1000:
                checked[func] = result
            return result
        except TypeError:  # unhashable: asked each time
            return ensure_sync(func)

    app.ensure_sync = remembered


def _limits_on_views_only(app: Flask, limiter) -> None:
    """Drop Flask-Limiter's before-request pass when it has nothing to check.

    Every limit this service sets is declared on its view (``@limiter.limit``: the widget, the
    login and password forms), and such a limit is checked by its decorator as the view is
    called. The before-request pass serves only default and application-wide limits (none are
    configured: ``default_limits=[]``), yet it resolved the limits of every request's endpoint,
    about a tenth of a millisecond on the hosted form and the events API. Configure
    ``RATELIMIT_DEFAULT`` or ``RATELIMIT_APPLICATION`` and the pass stays.
    """
    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        return
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:  # noqa: SLF001 - the bound method it registered
        hooks.remove(limiter._check_request_limit)  # noqa: SLF001
