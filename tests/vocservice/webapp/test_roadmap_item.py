"""The roadmap item page: the outcome block once shipped (escaped title, conclusions as the
statistics give them), an empty state before, and the re-survey form for admins only."""

from sqlalchemy import func, select

from surveys.core.db import db
from surveys.invitation.models import Invitation
from surveys.survey.models import Touchpoint
from tests.support.outcome import seed_shipped_item
from tests.support.webapp import HOSTILE, login, make_user


def _touchpoint(app, workspace_id: str, survey_id: str) -> str:
    with app.app_context():
        touchpoint = Touchpoint(
            workspace_id=workspace_id, survey_id=survey_id, name="Follow-up", event="x.y", channel="email"
        )
        db.session.add(touchpoint)
        db.session.commit()
        touchpoint_id = touchpoint.id
        db.session.remove()
    return touchpoint_id


def test_roadmap_item_page_shows_the_outcome_and_resurveys(app, client, workspace):
    ws = workspace.workspace.id
    make_user(app, ws)
    data = seed_shipped_item(app, ws, title=HOSTILE)
    touchpoint_id = _touchpoint(app, ws, data["survey_id"])
    token = login(client)
    page = client.get(f"/app/roadmap/{data['item_id']}")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Did shipping help?" in html and "50 linked customers" in html and "60 customers" in html
    assert "improved (significant)" in html and "no significant change" in html
    assert "too few answers to conclude" in html  # nobody else mentioned the item's theme
    assert "Re-survey linked customers" in html
    done = client.post(
        f"/app/roadmap/{data['item_id']}/resurvey", data={"csrf_token": token, "touchpoint_id": touchpoint_id}
    )
    assert done.status_code == 302
    assert "50 of 50 customers will be asked again." in client.get(done.location).text
    again = client.post(
        f"/app/roadmap/{data['item_id']}/resurvey", data={"csrf_token": token, "touchpoint_id": touchpoint_id}
    )
    assert "0 of 50 customers" in client.get(again.location).text
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Invitation)).scalar() == 50
        db.session.remove()
    assert client.get("/app/roadmap/rm_nope").status_code == 404


def test_roadmap_item_page_before_shipping_and_for_analysts(app, client, workspace):
    ws = workspace.workspace.id
    make_user(app, ws, role="analyst", email="ana@acme.test")
    data = seed_shipped_item(app, ws, linked=3, others=3)
    token = login(client, "ana@acme.test")
    html = client.get(f"/app/roadmap/{data['item_id']}").text
    assert "Re-survey linked customers" not in html  # admins only
    forbidden = client.post(
        f"/app/roadmap/{data['item_id']}/resurvey", data={"csrf_token": token, "touchpoint_id": "tp_x"}
    )
    assert forbidden.status_code == 403
    moved = client.post(
        f"/app/roadmap/{data['item_id']}/status", data={"csrf_token": token, "status": "planned"}
    )
    assert moved.status_code == 302
    html = client.get(f"/app/roadmap/{data['item_id']}").text
    assert "Once this item is shipped" in html and "improved" not in html
    shipped = client.post(
        f"/app/roadmap/{data['item_id']}/status", data={"csrf_token": token, "status": "shipped"}
    )
    assert shipped.location.endswith(f"/app/roadmap/{data['item_id']}")  # its page offers the next step
