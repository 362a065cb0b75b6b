"""The privacy page: admins export a person as a JSON download and erase them only after typing
the confirmation; analysts get 403; retention is set or refused; the audit log shows who asked,
never whom it was about."""

import json

from sqlalchemy import func, select

from surveys.contact.models import Contact
from surveys.workspace.models import Workspace
from tests.support.helpers import create_survey
from tests.support.privacy import ANN_EMAIL, ANN_ID, answer_through_api, person
from tests.support.webapp import login, make_user


def _setup(app, client, workspace, role="admin"):
    survey = create_survey(client, workspace.headers)
    answer_through_api(
        client, workspace.headers, survey["id"], person(ANN_ID, ANN_EMAIL), 4, "<b>Too slow</b>"
    )
    make_user(app, workspace.workspace.id, role=role)
    return login(client)


def test_privacy_page_exports_then_erases_after_confirmation(app, client, workspace, run_worker, db_session):
    token = _setup(app, client, workspace)
    page = client.get("/app/settings/privacy")
    assert page.status_code == 200 and "Nothing yet" in page.text
    export = client.post(
        "/app/settings/privacy/export",
        data={"csrf_token": token, "kind": "email", "value": ANN_EMAIL.upper()},
    )
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    document = json.loads(export.get_data())
    assert document["responses"][0]["comment"] == "<b>Too slow</b>"

    unconfirmed = client.post(
        "/app/settings/privacy/erase",
        data={"csrf_token": token, "kind": "email", "value": ANN_EMAIL, "confirm": "yes"},
    )
    assert unconfirmed.status_code == 422 and "Type ERASE" in unconfirmed.text
    run_worker()
    assert db_session.scalar(select(func.count()).select_from(Contact)) == 1
    erased = client.post(
        "/app/settings/privacy/erase",
        data={"csrf_token": token, "kind": "external_id", "value": ANN_ID, "confirm": "ERASE"},
    )
    assert erased.status_code == 303
    run_worker()
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Contact)) == 0
    log = client.get("/app/settings/privacy").text
    assert "Export downloaded" in log and "Erasure requested" in log and "Erasure carried out" in log
    assert ANN_ID not in log and "ann.person" not in log.lower()
    # Without the CSRF token nothing happens.
    assert client.post(
        "/app/settings/privacy/erase", data={"value": "x", "confirm": "ERASE"}
    ).status_code in (
        400,
        403,
    )


def test_privacy_page_sets_and_refuses_retention(app, client, workspace, db_session):
    token = _setup(app, client, workspace)
    bad = client.post(
        "/app/settings/privacy/retention",
        data={"csrf_token": token, "retention_days": "-3", "retention_action": "anonymise"},
    )
    assert bad.status_code == 422 and "retention days" in bad.text
    good = client.post(
        "/app/settings/privacy/retention",
        data={"csrf_token": token, "retention_days": "90", "retention_action": "delete"},
    )
    assert good.status_code == 303
    db_session.expire_all()
    ws = db_session.get(Workspace, workspace.workspace.id)
    assert (ws.retention_days, ws.retention_action) == (90, "delete")


def test_privacy_page_is_for_admins_only(app, client, workspace):
    token = _setup(app, client, workspace, role="analyst")
    assert client.get("/app/settings/privacy").status_code == 403
    assert (
        client.post(
            "/app/settings/privacy/export", data={"csrf_token": token, "kind": "email", "value": ANN_EMAIL}
        ).status_code
        == 403
    )
