"""The OpenAPI document describes error answers as they are sent: RFC 9457 problems."""


def test_docs_error_answers_are_documented_as_problems(client, workspace):
    spec = client.get("/api/openapi.json").json
    for name in ("DEFAULT_ERROR", "UNPROCESSABLE_ENTITY"):
        content = spec["components"]["responses"][name]["content"]
        assert list(content) == ["application/problem+json"], name
        assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    problem = spec["components"]["schemas"]["Error"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem["properties"]["status"]["type"] == "integer"
    # And a real error answer carries exactly that.
    missing = client.get("/api/v1/surveys/sv_unknown", headers=workspace.headers)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    body = missing.json
    assert set(problem["required"]) <= set(body) and isinstance(body["status"], int)
    assert set(body) <= set(problem["properties"])


def test_docs_every_success_answer_is_documented(client):
    """A 2xx must never fall through to the documented error (`default`) answer."""
    spec = client.get("/api/openapi.json").json
    undocumented = [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "patch", "put", "delete")
        and not any(code.startswith("2") for code in operation["responses"])
    ]
    assert undocumented == []
