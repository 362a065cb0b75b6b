"""Configuration, from the environment only (DESIGN.md section 2).

Without DATABASE_URL the service runs on an embedded SQLite file under ``instance/``; without
REDIS_URL background jobs run in a thread of the web process.
"""

import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

from surveys.core.values import json_loads
from surveys.digest.service import DigestSettings
from surveys.invitation.settings import DeliverySettings, Links
from surveys.webhook.delivery import WebhookSettings

MAX_BODY_BYTES = 256 * 1024


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{instance_path / 'vocservice.db'}"
    # Normalise the common spellings to the psycopg 3 driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _secret_key(instance_path: Path) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    # Embedded mode: keep one random key per instance so sessions survive restarts.
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _minutes(name: str, default: int, unit: str = "minutes") -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise RuntimeError(f"{name} must be a whole number of {unit}, at least 1 (got {raw!r})")
    return int(raw)


def from_environment(instance_path: Path) -> dict:
    instance_path.mkdir(parents=True, exist_ok=True)
    db_url = _database_url(instance_path)
    redis_url = os.environ.get("REDIS_URL", "").strip() or None
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": db_url,
        "REDIS_URL": redis_url,
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "SMTP_URL": os.environ.get("SMTP_URL", "").strip() or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM", "vocservice <surveys@localhost>"),
        "VOC_ALLOW_PRIVATE_WEBHOOK_URLS": _flag("VOC_ALLOW_PRIVATE_WEBHOOK_URLS"),
        # Number of reverse proxies in front of the app whose X-Forwarded-* headers to trust
        # (rate limits key on the client address).
        "VOC_TRUSTED_PROXIES": int(os.environ.get("VOC_TRUSTED_PROXIES", "0") or 0),
        # Bearer token Prometheus sends to GET /metrics; unset, /metrics is a 404.
        "VOC_METRICS_TOKEN": os.environ.get("VOC_METRICS_TOKEN", "").strip() or None,
        "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
        "WIDGET_RATE_LIMIT": os.environ.get("VOC_WIDGET_RATE_LIMIT", "30 per minute"),
        "WEBAPP_LOGIN_RATE_LIMIT": os.environ.get("VOC_LOGIN_RATE_LIMIT", "10 per minute"),
        # Failed logins per account (the submitted email), from any address.
        "WEBAPP_ACCOUNT_LOGIN_RATE_LIMIT": os.environ.get(
            "VOC_ACCOUNT_LOGIN_RATE_LIMIT", "10 per 15 minutes"
        ),
        # Minutes without activity after which a scored partial answer counts as answered.
        "VOC_FINALISE_PARTIAL_AFTER_MINUTES": _minutes("VOC_FINALISE_PARTIAL_AFTER_MINUTES", 60),
        # Outbound webhooks: how long the delivery log is kept, and after how many hours of
        # nothing but failed attempts an endpoint is disabled (its admins are told by email).
        "VOC_WEBHOOK_RETENTION_DAYS": _minutes("VOC_WEBHOOK_RETENTION_DAYS", 30, "days"),
        "VOC_WEBHOOK_DISABLE_AFTER_HOURS": _minutes("VOC_WEBHOOK_DISABLE_AFTER_HOURS", 72, "hours"),
        # How long a worker holds a delivery it is making; a killed worker's is retried after it.
        "VOC_WEBHOOK_LEASE_SECONDS": _minutes("VOC_WEBHOOK_LEASE_SECONDS", 60, "seconds"),
        # The warehouse export leaves out answers changed this recently (transactions in flight).
        # Identical corrections after which a learned rule applies without a confirmation (issue 13).
        "VOC_LEARN_AFTER": _minutes("VOC_LEARN_AFTER", 2, "corrections"),
        "VOC_EXPORT_LAG_SECONDS": int(os.environ.get("VOC_EXPORT_LAG_SECONDS", "60") or 60),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # A Redis outage must not take the public widget down with it.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "API_TITLE": "vocservice",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "JSON_SORT_KEYS": False,
    }


def engine_options(db_url: str) -> dict:
    # json_deserializer: a stored JSON number too long for Python's int() (legacy poison) reads
    # back as text instead of failing every query that loads its row.
    if db_url.startswith("sqlite"):
        # The embedded database is shared by request threads and the in-process job thread:
        # vocservice/sqlite.py adds WAL, the busy timeout and one writer at a time.
        return {
            "connect_args": {"timeout": 30, "check_same_thread": False},
            "hide_parameters": True,
            "json_deserializer": json_loads,
        }
    # hide_parameters: a failed statement's error names the SQL, never the values (customers'
    # comments and emails), in logs or tracebacks.
    # No pool_pre_ping: it costs a round trip on every request; install_idle_ping (create_app)
    # pings only connections that sat unused, which is where a dead one hides.
    return {
        "pool_size": 10,
        "max_overflow": 10,
        "hide_parameters": True,
        "json_deserializer": json_loads,
    }


IDLE_PING_SECONDS = 1.0


def install_idle_ping(engine) -> None:
    """Pessimistic disconnect handling, paid only when it can matter: a pooled connection is
    pinged on checkout when it sat unused for ``IDLE_PING_SECONDS`` or more (or is new); one that
    fails is replaced before the request sees it (the pool retries with a fresh connection).
    A connection checked in a moment ago is used without the extra round trip, which under load
    is every request. (SQLite has nothing to ping: not installed there.)"""
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        record.info["voc_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        since = record.info.pop("voc_idle_since", None)
        if since is not None and time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc


def links(config) -> Links:
    """The respondent-facing pages (hosted form ``/s/``, unsubscribe ``/u/``) under PUBLIC_BASE_URL."""
    base = config["PUBLIC_BASE_URL"]
    return Links(survey=f"{base}/s/{{token}}", unsubscribe=f"{base}/u/{{token}}")


def digest_settings(app: Flask) -> DigestSettings:
    """What sending a digest gets from the configuration: links, mail, and the key that signs
    its unsubscribe links (SECRET_KEY)."""
    config = app.config
    return DigestSettings(
        base_url=config["PUBLIC_BASE_URL"],
        secret=config["SECRET_KEY"],
        smtp_url=config["SMTP_URL"],
        mail_from=config["MAIL_FROM"],
        outbox_dir=Path(app.instance_path) / "mail",
    )


def webhook_settings(app: Flask) -> WebhookSettings:
    """What outbound webhook delivery gets from the configuration, as a value."""
    config = app.config
    return WebhookSettings(
        allow_private=config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"],
        disable_after=timedelta(hours=config["VOC_WEBHOOK_DISABLE_AFTER_HOURS"]),
        retention=timedelta(days=config["VOC_WEBHOOK_RETENTION_DAYS"]),
        answer_url=f"{config['PUBLIC_BASE_URL']}/app/feedback?response={{id}}",
        lease=timedelta(seconds=config.get("VOC_WEBHOOK_LEASE_SECONDS", 60)),
    )


def delivery_settings(app: Flask) -> DeliverySettings:
    """The delivery settings the domain gets as a value (it never reads this configuration)."""
    config = app.config
    return DeliverySettings(
        links=links(config),
        smtp_url=config["SMTP_URL"],
        mail_from=config["MAIL_FROM"],
        allow_private_webhooks=config["VOC_ALLOW_PRIVATE_WEBHOOK_URLS"],
        outbox_dir=Path(app.instance_path) / "mail",
    )
