"""Workspace secrets: three distinct kinds, contact tokens in hex or base64url compared against
the secrets in force, and rotations that never lose a secret to a concurrent one."""

import base64
import hashlib
import hmac
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from surveys.core.db import db, utcnow
from surveys.core.errors import Invalid
from surveys.workspace.models import Workspace
from surveys.workspace.secrets import contact_token, rotate_secret, valid_secrets, verify_contact_token


def test_secrets_contact_token_is_the_documented_hmac(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    expected = hmac.new(ws.widget_secret.encode(), b"cust-0041", hashlib.sha256).hexdigest()
    assert contact_token(ws.widget_secret, "cust-0041") == expected
    raw = bytes.fromhex(expected)
    for token in (
        expected,
        expected.upper(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        base64.b64encode(raw).decode(),
    ):
        assert verify_contact_token(ws, "cust-0041", token), token
    for token in (
        "",
        expected[:-1],
        expected + "0",
        "zz" * 32,
        base64.b64encode(raw[:16]).decode(),
        "é" * 64,
    ):
        assert not verify_contact_token(ws, "cust-0041", token), token
    assert not verify_contact_token(ws, "cust-0042", expected)
    # Unicode ids are UTF-8 on both sides.
    assert verify_contact_token(ws, "kundin-jürgen", contact_token(ws.widget_secret, "kundin-jürgen"))


def test_secrets_rotation_validates_kind_and_overlap(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    with pytest.raises(Invalid):
        rotate_secret(db_session, workspace=ws, kind="master")
    for overlap in (timedelta(hours=-1), timedelta(days=31)):
        with pytest.raises(Invalid):
            rotate_secret(db_session, workspace=ws, kind="inbound", overlap=overlap)
    with pytest.raises(Invalid):
        valid_secrets(ws, "master")


def test_secrets_previous_secret_expires(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    old = ws.widget_secret
    now = utcnow()
    rotation = rotate_secret(db_session, workspace=ws, kind="widget", overlap=timedelta(hours=1), now=now)
    assert valid_secrets(ws, "widget", now=now) == [rotation.secret, old]
    assert valid_secrets(ws, "widget", now=now + timedelta(hours=1)) == [rotation.secret]
    token = contact_token(old, "c-1")
    assert verify_contact_token(ws, "c-1", token, now=now + timedelta(minutes=59))
    assert not verify_contact_token(ws, "c-1", token, now=now + timedelta(hours=1))


def test_secrets_concurrent_rotations_keep_one_current_and_one_previous(app, workspace):
    def rotate(_):
        with app.app_context():
            ws = db.session.get(Workspace, workspace.workspace.id)
            secret = rotate_secret(db.session, workspace=ws, kind="outbound").secret
            db.session.commit()
            db.session.remove()
            return secret

    with ThreadPoolExecutor(max_workers=2) as pool:
        made = set(pool.map(rotate, range(2)))
    with app.app_context():
        ws = db.session.get(Workspace, workspace.workspace.id)
        # Serialised by the row lock: the later rotation's previous is the earlier one's secret.
        assert {ws.outbound_webhook_secret, ws.outbound_webhook_secret_previous} == made
        db.session.remove()
