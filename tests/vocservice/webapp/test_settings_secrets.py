"""The settings page never displays a stored secret; rotating shows the new one once, and the
widget snippet says how to vouch for a customer."""

import re

from surveys.core.db import db
from surveys.workspace.models import Workspace
from tests.support.webapp import login, make_user

ROTATE = "/app/settings/secrets/{kind}/rotate"


def _stored(app, workspace_id: str) -> Workspace:
    with app.app_context():
        ws = db.session.get(Workspace, workspace_id)
        db.session.expunge(ws)
        db.session.remove()
    return ws


def test_settings_page_shows_no_secret_but_the_widget_snippet(client, app, workspace):
    make_user(app, workspace.workspace.id)
    login(client)
    page = client.get("/app/settings").text
    for secret in (
        workspace.workspace.webhook_secret,
        workspace.workspace.outbound_webhook_secret,
        workspace.workspace.widget_secret,
    ):
        assert secret not in page
    assert "whsec_" not in page and "widsec_" not in page
    assert 'data-workspace="acme"' in page and "data-contact-token" in page
    assert "hmac.new(WIDGET_SECRET.encode(), external_id.encode(), hashlib.sha256).hexdigest()" in page
    for kind in ("inbound", "outbound", "widget"):
        assert f'action="{ROTATE.format(kind=kind)}"' in page


def test_settings_rotate_shows_the_new_secret_once(client, app, workspace):
    make_user(app, workspace.workspace.id)
    token = login(client)
    rotated = client.post(ROTATE.format(kind="widget"), data={"csrf_token": token, "overlap_hours": "2"})
    assert rotated.status_code == 200
    shown = re.search(
        r'id="new-secret" class="secret copyable" readonly value="([^"]+)"', rotated.text
    ).group(1)
    assert shown.startswith("widsec_") and "previous one keeps working until" in rotated.text
    stored = _stored(app, workspace.workspace.id)
    assert (
        stored.widget_secret == shown and stored.widget_secret_previous == workspace.workspace.widget_secret
    )
    again = client.get("/app/settings").text
    assert shown not in again and "The previous one works until" in again

    ended = client.post(ROTATE.format(kind="inbound"), data={"csrf_token": token, "overlap_hours": "0"})
    assert ended.status_code == 200 and "The previous one no longer works." in ended.text
    assert _stored(app, workspace.workspace.id).webhook_secret_previous is None


def test_settings_rotate_refuses_bad_input_analysts_and_missing_csrf(client, app, workspace):
    make_user(app, workspace.workspace.id)
    make_user(app, workspace.workspace.id, role="analyst", email="analyst@acme.test")
    token = login(client)
    for hours in ("-1", "721", "soon", "9" * 5000):
        bad = client.post(ROTATE.format(kind="outbound"), data={"csrf_token": token, "overlap_hours": hours})
        assert bad.status_code == 422 and 'role="alert"' in bad.text, hours
    assert client.post(ROTATE.format(kind="master"), data={"csrf_token": token}).status_code == 404
    assert client.post(ROTATE.format(kind="outbound"), data={}).status_code in (400, 403)
    client.post("/app/logout", data={"csrf_token": token})
    analyst_token = login(client, email="analyst@acme.test")
    denied = client.post(ROTATE.format(kind="outbound"), data={"csrf_token": analyst_token})
    assert denied.status_code in (403, 404)
    stored = _stored(app, workspace.workspace.id)
    assert stored.outbound_webhook_secret == workspace.workspace.outbound_webhook_secret
    assert stored.outbound_webhook_secret_previous is None


def test_settings_form_addresses_opened_directly_lead_to_their_section(client, app, workspace):
    make_user(app, workspace.workspace.id)
    login(client)
    for path, anchor in (("/app/settings/keys", "keys-title"), ("/app/settings/users", "team-title")):
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].endswith(f"/app/settings#{anchor}")
        assert f'id="{anchor}"' in client.get("/app/settings").text
    # Signed out, they are refused as the settings page itself is.
    stranger, page = app.test_client().get("/app/settings/keys"), app.test_client().get("/app/settings")
    assert stranger.status_code == page.status_code != 200
    assert (
        stranger.headers.get("Location", "").split("?")[0] == page.headers.get("Location", "").split("?")[0]
    )
