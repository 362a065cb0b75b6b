"""The vocservice CLI, run through Flask's test runner against the test database."""

import json

from surveys.response.models import Response
from surveys.workspace.models import ApiKey, User, Workspace
from surveys.workspace.service import hash_key


def test_cli_workspace_create_prints_key_and_secret_once(app, db_session):
    result = app.test_cli_runner().invoke(args=["workspace", "create", "Big Shop"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["workspace"] == "big-shop"
    assert body["webhook_secret"].startswith("whsec_")
    key = db_session.query(ApiKey).filter_by(key_hash=hash_key(body["api_key"])).one()
    assert key.role == "admin"
    again = app.test_cli_runner().invoke(args=["workspace", "create", "Big Shop"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_cli_apikey_and_user_create(app, workspace, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["apikey", "create", "--workspace", "acme", "--role", "ingest"])
    assert result.exit_code == 0
    assert db_session.query(ApiKey).filter_by(key_hash=hash_key(result.output.strip())).one()
    result = runner.invoke(
        args=["user", "create", "--workspace", "acme", "--email", "PM@Acme.test", "--role", "analyst"],
        input="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    user = db_session.query(User).one()
    assert user.email == "pm@acme.test" and "correct horse" not in user.password_hash
    short = runner.invoke(
        args=["user", "create", "--workspace", "acme", "--email", "b@a.test", "--role", "admin"],
        input="short\n",
    )
    assert short.exit_code != 0 and "10 characters" in short.output


def test_cli_demo_seeds_once_and_prints_a_working_key(app, client, db_session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--responses", "300"])
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    key = next(line.split(":", 1)[1].strip() for line in first.output.splitlines() if "Demo API key" in line)
    assert db_session.query(Response).count() == 300
    second = runner.invoke(args=["demo", "--responses", "300"])
    assert "already there" in second.output
    assert db_session.query(Response).count() == 300
    assert db_session.query(Workspace).count() == 1
    listed = client.get("/api/v1/responses?limit=5", headers={"Authorization": f"Bearer {key}"})
    assert listed.status_code == 401  # the first run's key was replaced by the second's
    key2 = next(
        line.split(":", 1)[1].strip() for line in second.output.splitlines() if "Demo API key" in line
    )
    listed = client.get("/api/v1/responses?limit=5", headers={"Authorization": f"Bearer {key2}"})
    assert listed.status_code == 200 and len(listed.json["items"]) == 5


def test_cli_tick_prints_counts(app):
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0
    assert json.loads(result.output)["sends_enqueued"] == 0
