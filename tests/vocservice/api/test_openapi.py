"""The OpenAPI document: every list answer documented with its item schema, security declared once
(for views guarded by ``require`` only), and the documented shapes matching the bodies sent."""

import pytest
from flask import Flask
from flask_smorest import Api

from tests.support.helpers import create_survey, make_invitation

LISTS = {
    "/api/v1/surveys": "Survey",
    "/api/v1/touchpoints": "Touchpoint",
    "/api/v1/themes": "Theme",
    "/api/v1/segments": "Segment",
    "/api/v1/roadmap-items": "RoadmapItem",
    "/api/v1/roadmap-items/{item_id}/feedback": "LinkedFeedback",  # a ResponseBody with its link
    "/api/v1/responses": "ResponseBody",
    "/api/v1/invitations": "Invitation",
}


@pytest.fixture(scope="module")
def spec(app):
    with app.test_client() as client:
        return client.get("/api/openapi.json").json


@pytest.mark.parametrize("path", sorted(LISTS))
def test_openapi_documents_each_list_answer_with_its_item_schema(spec, path):
    item = LISTS[path]
    operation = spec["paths"][path]["get"]
    answer = operation["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{item}Page"}
    assert "next_cursor" in answer["description"]
    schemas = spec["components"]["schemas"]
    page = schemas[f"{item}Page"]
    assert set(page["properties"]) == {"items", "next_cursor"}
    assert page["properties"]["items"] == {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}
    assert "null" in page["properties"]["next_cursor"]["type"]
    assert schemas[item]["properties"]
    # The list arguments are still documented beside it.
    assert {"limit", "cursor"} <= {p["name"] for p in operation["parameters"]}


def test_openapi_every_api_operation_is_documented_as_secured(spec):
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in item.items()
        if method in ("get", "post", "patch", "put", "delete")
    ]
    assert len(operations) > 30
    for path, method, op in operations:
        assert op.get("security") == [{"bearer": []}], (method, path)
    assert "security" not in spec  # declared per guarded view, not for the whole document


def test_openapi_blueprint_documents_security_only_for_guarded_views():
    from vocservice.api.common import Blueprint
    from vocservice.auth import READ, require

    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.1.0")
    api = Api(app)
    blp = Blueprint("probe", __name__)

    @blp.route("/guarded")
    @require(READ)
    def guarded():
        return {}

    @blp.route("/public")
    def public():
        return {}

    api.register_blueprint(blp, url_prefix="/probe")
    paths = api.spec.to_dict()["paths"]
    assert paths["/probe/guarded"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in paths["/probe/public"]["get"]


def test_openapi_documented_response_and_invitation_shapes_match_the_bodies(
    spec, client, workspace, db_session
):
    schemas = spec["components"]["schemas"]
    survey = create_survey(client, workspace.headers)
    posted = client.post(
        "/api/v1/responses",
        headers=workspace.headers,
        json={"survey_id": survey["id"], "score": 9, "comment": "Great", "contact": {"external_id": "c-1"}},
    )
    assert posted.status_code == 201, posted.json
    [body] = client.get("/api/v1/responses", headers=workspace.headers).json["items"]
    assert list(body) == list(schemas["ResponseBody"]["properties"])
    assert list(body["analysis"]) == list(schemas["ResponseAnalysis"]["properties"])

    make_invitation(db_session, workspace.workspace.id)
    [invitation] = client.get("/api/v1/invitations", headers=workspace.headers).json["items"]
    assert set(invitation) == set(schemas["Invitation"]["properties"])
