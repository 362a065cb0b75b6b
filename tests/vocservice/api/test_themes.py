"""The themes API: a workspace starts from the saas taxonomy; validation, hierarchy, roles, and
re-analysis of exactly the responses a change affects."""

from sqlalchemy import select

from nlp.taxonomy import load_taxonomy
from surveys.analysis.models import Analysis, Theme
from surveys.core.db import db
from surveys.workspace.models import Workspace
from surveys.workspace.service import create_api_key, create_workspace
from tests.support.analysis import states, store_responses

API = "/api/v1/themes"


def themes_by_name(client, headers) -> dict[str, dict]:
    body = client.get(f"{API}?limit=500", headers=headers).json
    return {t["name"]: t for t in body["items"]}


def taxonomy_version(app, workspace_id: str) -> int:
    with app.app_context():
        version = db.session.get(Workspace, workspace_id).taxonomy_version
        db.session.remove()
    return version


def test_themes_new_workspace_starts_from_saas(client, workspace):
    names = themes_by_name(client, workspace.headers)
    assert {"pricing", "billing", "support", "integrations", "security & privacy"} <= set(names)
    assert all(t["keywords"] and t["parent_id"] is None for t in names.values())
    page = client.get(f"{API}?limit=5", headers=workspace.headers).json
    assert len(page["items"]) == 5 and page["next_cursor"]
    rest = client.get(f"{API}?limit=500&cursor={page['next_cursor']}", headers=workspace.headers)
    assert len(page["items"]) + len(rest.json["items"]) == len(names)


def test_themes_create_get_patch_delete(client, workspace):
    headers = workspace.key_headers("analyst")  # analysts manage themes
    created = client.post(
        API,
        headers=headers,
        json={
            "name": "  Single   sign-on ",
            "description": "SSO and SAML",
            "keywords": ["sso", "SSO", " saml ", "okta"],
        },
    )
    assert created.status_code == 201, created.json
    theme = created.json
    assert theme["name"] == "Single sign-on" and theme["keywords"] == ["sso", "saml", "okta"]
    child = client.post(
        API, headers=headers, json={"name": "okta", "keywords": ["okta"], "parent_id": theme["id"]}
    ).json
    assert client.get(f"{API}/{child['id']}", headers=headers).json["parent_id"] == theme["id"]
    patched = client.patch(
        f"{API}/{theme['id']}",
        headers=headers,
        json={"description": "Login with a company identity provider"},
    )
    assert patched.status_code == 200 and patched.json["keywords"] == ["sso", "saml", "okta"]
    assert client.delete(f"{API}/{theme['id']}", headers=headers).status_code == 204
    assert client.get(f"{API}/{theme['id']}", headers=headers).status_code == 404
    # The child survives its parent, at the top level.
    assert client.get(f"{API}/{child['id']}", headers=headers).json["parent_id"] is None


def test_themes_validation_problems(client, workspace):
    headers = workspace.headers
    billing = themes_by_name(client, headers)["billing"]
    cases = [
        ({"keywords": ["x"]}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x", "colour": "red"}, "colour"),
        ({"name": "x", "keywords": "sso"}, "keywords"),
        ({"name": "x", "keywords": [1]}, "keywords"),
        ({"name": "x", "keywords": ["k"] * 201}, "keywords"),
        ({"name": "x" * 101}, "name"),
        ({"name": "x", "parent_id": "th_unknown"}, "parent_id"),
        ({"name": "nul\x00"}, "name"),
    ]
    for body, field in cases:
        response = client.post(API, headers=headers, json=body)
        assert response.status_code == 422, (body, response.json)
        assert response.content_type == "application/problem+json"
        assert field in response.json["errors"], (body, response.json)
    duplicate = client.post(API, headers=headers, json={"name": "BILLING"})
    assert duplicate.status_code == 409 and duplicate.json["status"] == 409
    renamed = client.patch(f"{API}/{billing['id']}", headers=headers, json={"name": "Pricing"})
    assert renamed.status_code == 409
    assert (
        client.post(API, headers=headers, data="{not json", content_type="application/json").status_code
        == 400
    )
    # Nothing partial stored: still exactly the seeded saas themes.
    assert len(themes_by_name(client, headers)) == len(load_taxonomy("saas").themes)


def test_themes_hierarchy_refuses_cycles(client, workspace):
    headers = workspace.headers
    a = client.post(API, headers=headers, json={"name": "a"}).json
    b = client.post(API, headers=headers, json={"name": "b", "parent_id": a["id"]}).json
    c = client.post(API, headers=headers, json={"name": "c", "parent_id": b["id"]}).json
    for theme, parent in ((a, c), (a, a), (b, c)):
        response = client.patch(f"{API}/{theme['id']}", headers=headers, json={"parent_id": parent["id"]})
        assert response.status_code == 422, response.json
        assert response.json["errors"]["parent_id"] == ["would create a cycle"]
    assert client.get(f"{API}/{a['id']}", headers=headers).json["parent_id"] is None
    moved = client.patch(f"{API}/{c['id']}", headers=headers, json={"parent_id": a["id"]})
    assert moved.status_code == 200 and moved.json["parent_id"] == a["id"]


def test_themes_other_workspace_is_invisible(app, client, workspace):
    with app.app_context():
        other = create_workspace(db.session, name="Other Co", slug="other")
        _, key = create_api_key(db.session, workspace=other, role="admin")
        foreign = (
            db.session.execute(select(Theme).where(Theme.workspace_id == other.id, Theme.name == "billing"))
            .scalar_one()
            .id
        )
        db.session.commit()
        db.session.remove()
    headers = workspace.headers
    assert client.get(f"{API}/{foreign}", headers=headers).status_code == 404
    assert client.patch(f"{API}/{foreign}", headers=headers, json={"name": "x"}).status_code == 404
    assert client.delete(f"{API}/{foreign}", headers=headers).status_code == 404
    response = client.post(API, headers=headers, json={"name": "x", "parent_id": foreign})
    assert response.status_code == 422 and "parent_id" in response.json["errors"]
    # Same names in two workspaces are fine.
    other_headers = {"Authorization": f"Bearer {key}"}
    assert client.post(API, headers=other_headers, json={"name": "sso"}).status_code == 201
    assert client.post(API, headers=headers, json={"name": "sso"}).status_code == 201


def test_themes_roles(client, workspace):
    ingest = workspace.key_headers("ingest")
    assert client.get(API, headers=ingest).status_code == 403
    assert client.post(API, headers=ingest, json={"name": "x"}).status_code == 403
    assert client.get(API).status_code == 401
    assert client.get(API, headers=workspace.key_headers("analyst")).status_code == 200


def test_themes_change_reanalyses_only_affected_responses(app, client, workspace, run_worker):
    ws = workspace.workspace.id
    sso, prices, login = store_responses(
        app,
        ws,
        [
            "SSO with Okta keeps failing for our admins.",
            "Too expensive for a small team.",
            "Okta login works fine.",
        ],
    )
    run_worker()
    assert {s for s, _, _ in states(app, [sso, prices, login]).values()} == {"done"}
    version = taxonomy_version(app, ws)

    created = client.post(
        API, headers=workspace.headers, json={"name": "single sign-on", "keywords": ["sso"]}
    )
    assert created.status_code == 201
    assert taxonomy_version(app, ws) == version + 1
    now = states(app, [sso, prices, login])
    assert now[sso][0] == "pending" and now[prices][0] == "done" and now[login][0] == "done"
    run_worker()
    analysis = client.get(f"/api/v1/responses/{sso}", headers=workspace.headers).json["analysis"]
    assert analysis["status"] == "done"
    assert "single sign-on" in [t["name"] for t in analysis["themes"]]

    # Adding a keyword re-analyses comments with it; the unrelated one is left alone.
    client.patch(f"{API}/{created.json['id']}", headers=workspace.headers, json={"keywords": ["sso", "okta"]})
    now = states(app, [sso, prices, login])
    assert now[login][0] == "pending" and now[prices][0] == "done"
    run_worker()
    with app.app_context():
        rows = {a.response_id: a for a in db.session.execute(select(Analysis)).scalars()}
        assert rows[prices].taxonomy_version == version  # never re-analysed
        assert rows[login].taxonomy_version == version + 2
        assert "single sign-on" in [t["name"] for t in rows[login].themes]
        db.session.remove()

    # Deleting the theme re-analyses those that carried it, and the tag disappears.
    assert client.delete(f"{API}/{created.json['id']}", headers=workspace.headers).status_code == 204
    assert states(app, [sso])[sso][0] == "pending"
    run_worker()
    analysis = client.get(f"/api/v1/responses/{sso}", headers=workspace.headers).json["analysis"]
    assert "single sign-on" not in [t["name"] for t in analysis["themes"]]


def test_themes_rename_moves_the_filter(app, client, workspace, run_worker):
    [rid] = store_responses(app, workspace.workspace.id, ["The invoice was wrong twice."])
    run_worker()
    billing = themes_by_name(client, workspace.headers)["billing"]
    listed = client.get("/api/v1/responses?theme=billing", headers=workspace.headers).json
    assert [r["id"] for r in listed["items"]] == [rid]
    client.patch(f"{API}/{billing['id']}", headers=workspace.headers, json={"name": "invoicing"})
    assert states(app, [rid])[rid][0] == "pending"
    run_worker()
    listed = client.get("/api/v1/responses?theme=Invoicing", headers=workspace.headers).json
    assert [r["id"] for r in listed["items"]] == [rid]
    assert listed["items"][0]["analysis"]["themes"][0]["name"] == "invoicing"
