"""``vocservice workspace create`` shows every secret once; ``vocservice workspace rotate-secret``
replaces one, prints it once and keeps the old one for the overlap asked for."""

import json
from datetime import datetime, timedelta

from surveys.core.db import utcnow
from surveys.workspace.models import Workspace
from surveys.workspace.secrets import valid_secrets


def _rotate(app, *args: str):
    return app.test_cli_runner().invoke(args=["workspace", "rotate-secret", "--workspace", "acme", *args])


def test_cli_workspace_create_prints_three_distinct_secrets(app, db_session):
    result = app.test_cli_runner().invoke(args=["workspace", "create", "Big Shop"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    secrets = [body["webhook_secret"], body["outbound_webhook_secret"], body["widget_secret"]]
    assert body["webhook_secret"].startswith("whsec_") and body["outbound_webhook_secret"].startswith(
        "whsec_"
    )
    assert body["widget_secret"].startswith("widsec_") and len(set(secrets)) == 3
    stored = db_session.query(Workspace).filter_by(slug="big-shop").one()
    assert [stored.webhook_secret, stored.outbound_webhook_secret, stored.widget_secret] == secrets


def test_cli_rotate_secret_prints_the_new_one_once(app, workspace, db_session):
    before = datetime.now().astimezone()
    result = _rotate(app, "--kind", "outbound", "--overlap-hours", "2")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["workspace"], body["kind"]) == ("acme", "outbound")
    stored = db_session.get(Workspace, workspace.workspace.id)
    assert stored.outbound_webhook_secret == body["secret"] != workspace.workspace.outbound_webhook_secret
    assert stored.outbound_webhook_secret_previous == workspace.workspace.outbound_webhook_secret
    expires = datetime.fromisoformat(body["previous_expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=2) - timedelta(minutes=1) < expires - before < timedelta(hours=2, minutes=1)
    assert valid_secrets(stored, "outbound") == [body["secret"], workspace.workspace.outbound_webhook_secret]
    assert valid_secrets(stored, "outbound", now=utcnow() + timedelta(hours=3)) == [body["secret"]]
    # The others are untouched.
    assert stored.webhook_secret == workspace.workspace.webhook_secret
    assert stored.widget_secret == workspace.workspace.widget_secret


def test_cli_rotate_secret_default_overlap_and_none(app, workspace, db_session):
    body = json.loads(_rotate(app, "--kind", "widget").output)
    expires = datetime.fromisoformat(body["previous_expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=23) < expires - utcnow() <= timedelta(hours=24)
    assert body["secret"].startswith("widsec_")
    body = json.loads(_rotate(app, "--kind", "inbound", "--overlap-hours", "0").output)
    assert body["previous_expires_at"] is None and body["secret"].startswith("whsec_")
    db_session.expire_all()
    stored = db_session.get(Workspace, workspace.workspace.id)
    assert valid_secrets(stored, "inbound") == [body["secret"]]
    assert stored.webhook_secret_previous is None


def test_cli_rotate_secret_refuses_bad_input_and_changes_nothing(app, workspace, db_session):
    for args in (
        ["--kind", "master"],
        ["--kind", "inbound", "--overlap-hours", "-1"],
        ["--kind", "inbound", "--overlap-hours", "721"],
        ["--kind", "inbound", "--overlap-hours", "soon"],
    ):
        result = _rotate(app, *args)
        assert result.exit_code == 2, (args, result.output)
    unknown = app.test_cli_runner().invoke(
        args=["workspace", "rotate-secret", "--workspace", "nope", "--kind", "inbound"]
    )
    assert unknown.exit_code == 1 and "nope" in unknown.output and "Traceback" not in unknown.output
    stored = db_session.get(Workspace, workspace.workspace.id)
    assert stored.webhook_secret == workspace.workspace.webhook_secret
    assert stored.webhook_secret_previous is None
