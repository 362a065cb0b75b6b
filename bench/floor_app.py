"""The SQL floor of ``POST /api/v1/events``: bare Flask plus the event's durable writes, nothing else.

``bench/events_api.py --floor`` measures this beside the service and the bare Flask baseline, to
tell how much of the gap to bare Flask is the database work itself, on this schema and machine.
Per request it parses the JSON body and, in one psycopg pipeline on the worker thread's own
connection, runs one statement that upserts the contact, inserts the event (skipped for an id
seen before) and inserts one scheduled invitation, then COMMITs (synchronous commit: durable
when the 202 goes out, as the service's). That is the least any implementation on these tables
must do: no API key check, no validation beyond ``get_json``, no touchpoint or fatigue read, no
ORM, no idempotency ledger, no logging or metrics. The invitation's token is a random 32-byte
URL-safe string, as the service's.

Reads ``BENCH_FLOOR_DATABASE_URL`` (a plain ``postgresql://`` URL) and uses the database's first
workspace and its first touchpoint, which ``bench/events_api.py`` creates through the API.
Served by ``bench/common.py`` with the service's gunicorn settings.
"""

from __future__ import annotations

import os
import secrets
import threading
from datetime import UTC, datetime, timedelta

import psycopg
from flask import Flask, jsonify, request
from psycopg.types.json import Jsonb

_ONE_STATEMENT = (
    "WITH c AS (INSERT INTO contacts (id, workspace_id, external_id, email, attributes, created_at, "
    "updated_at) VALUES (%(contact_id)s, %(workspace_id)s, %(key)s, %(email)s, %(attributes)s, "
    "%(now)s, %(now)s) ON CONFLICT (workspace_id, external_id) DO UPDATE SET email = EXCLUDED.email, "
    "attributes = contacts.attributes || EXCLUDED.attributes, updated_at = EXCLUDED.updated_at "
    "RETURNING id), e AS (INSERT INTO events (id, workspace_id, external_id, name, occurred_at, "
    "received_at, contact_id, properties) SELECT %(event_id)s, %(workspace_id)s, %(external_id)s, "
    "%(name)s, %(occurred_at)s, %(now)s, c.id, %(properties)s FROM c "
    "ON CONFLICT (workspace_id, external_id) DO NOTHING RETURNING id, contact_id) "
    "INSERT INTO invitations (id, workspace_id, contact_id, survey_id, touchpoint_id, event_id, token, "
    "channel, status, scheduled_for, expires_at, attempts, created_at) SELECT %(invitation_id)s, "
    "%(workspace_id)s, e.contact_id, %(survey_id)s, %(touchpoint_id)s, e.id, %(token)s, 'link', "
    "'scheduled', %(now)s, %(expires_at)s, 0, %(now)s FROM e RETURNING id"
)

_local = threading.local()


def _connection(url: str) -> psycopg.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(url)
    return conn


def make_app() -> Flask:
    url = os.environ["BENCH_FLOOR_DATABASE_URL"]
    with psycopg.connect(url) as conn:
        workspace_id, touchpoint_id, survey_id = conn.execute(
            "SELECT workspace_id, id, survey_id FROM touchpoints ORDER BY created_at LIMIT 1"
        ).fetchone()
    app = Flask(__name__)

    @app.post("/api/v1/events")
    def post_event():
        data = request.get_json()
        if not isinstance(data, dict) or "id" not in data:
            return jsonify(title="Unprocessable", status=422), 422
        contact = data.get("contact") or {}
        now = datetime.now(UTC)
        params = {
            "contact_id": "con_" + secrets.token_hex(12),
            "workspace_id": workspace_id,
            "key": str(contact.get("external_id")),
            "email": contact.get("email"),
            "attributes": Jsonb(contact.get("attributes") or {}),
            "event_id": "evt_" + secrets.token_hex(12),
            "external_id": str(data["id"]),
            "name": data.get("name"),
            "occurred_at": data.get("occurred_at"),
            "properties": Jsonb(data.get("properties") or {}),
            "invitation_id": "inv_" + secrets.token_hex(12),
            "survey_id": survey_id,
            "touchpoint_id": touchpoint_id,
            "token": secrets.token_urlsafe(32),
            "now": now,
            "expires_at": now + timedelta(days=30),
        }
        conn = _connection(url)
        with conn.pipeline():
            cursor = conn.execute(_ONE_STATEMENT, params)
            conn.commit()
        stored = cursor.fetchone()
        return jsonify(id=params["event_id"], duplicate=stored is None, invitations=[]), 202

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app


app = make_app() if "BENCH_FLOOR_DATABASE_URL" in os.environ else None
