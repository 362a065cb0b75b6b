"""Roadmap keywords match like theme keywords (issue 13): inflections and word order count, the
item's themes count, and each automatic link keeps the words that made it."""

from tests.support.analysis import store_responses

CSV_COMMENTS = [
    "Exporting to CSV takes forever and times out.",
    "Please add a CSV export that works with big reports.",
    "The CSV export is broken again.",
]


def _feedback(client, headers, item_id: str) -> dict[str, dict]:
    body = client.get(f"/api/v1/roadmap-items/{item_id}/feedback", headers=headers).json
    return {entry["comment"]: entry for entry in body["items"]}


def _keyword_words(entry: dict) -> set[tuple[str, str]]:
    return {(e["keyword"], e["text"]) for e in entry["link"]["evidence"] if "keyword" in e}


def test_roadmap_csv_export_comments_all_link_with_their_words(app, client, workspace, run_worker):
    headers = workspace.headers
    item = client.post(
        "/api/v1/roadmap-items",
        headers=headers,
        json={"title": "Fast CSV export", "keywords": ["csv export", "export"]},
    ).json
    store_responses(app, workspace.workspace.id, CSV_COMMENTS)
    run_worker()  # the item's mapping job and the answers' analysis (which maps them too)
    linked = _feedback(client, headers, item["id"])
    assert set(linked) == set(CSV_COMMENTS)
    assert _keyword_words(linked[CSV_COMMENTS[0]]) == {
        ("csv export", "CSV"),
        ("csv export", "Exporting"),
        ("export", "Exporting"),
    }
    assert _keyword_words(linked[CSV_COMMENTS[1]]) == {
        ("csv export", "CSV"),
        ("csv export", "export"),
        ("export", "export"),
    }
    assert _keyword_words(linked[CSV_COMMENTS[2]]) == {
        ("csv export", "CSV"),
        ("csv export", "export"),
        ("export", "export"),
    }
    for comment, entry in linked.items():
        assert entry["link"]["source"] == "auto"
        assert all(comment[e["start"] : e["end"]] == e["text"] for e in entry["link"]["evidence"])


def test_roadmap_keywords_and_themes_link_after_an_item_edit(app, client, workspace, run_worker):
    headers = workspace.headers
    ids = store_responses(
        app,
        workspace.workspace.id,
        [*CSV_COMMENTS, "The analytics charts are lovely.", "Imports are fine."],
    )
    run_worker()
    item = client.post("/api/v1/roadmap-items", headers=headers, json={"title": "Exports"}).json
    run_worker()
    assert _feedback(client, headers, item["id"]) == {}
    client.patch(f"/api/v1/roadmap-items/{item['id']}", headers=headers, json={"keywords": ["export csv"]})
    run_worker()  # the re-mapping over every answer of the workspace (surveys.roadmap.mapping.remap_item)
    assert set(_feedback(client, headers, item["id"])) == set(CSV_COMMENTS)
    themes = client.get("/api/v1/themes?limit=500", headers=headers).json["items"]
    reporting = next(t["id"] for t in themes if t["name"] == "reporting")
    client.patch(
        f"/api/v1/roadmap-items/{item['id']}",
        headers=headers,
        json={"keywords": [], "theme_ids": [reporting]},
    )
    run_worker()
    linked = _feedback(client, headers, item["id"])
    # Every comment naming CSV, reports or analytics carries the reporting theme; "Imports" none.
    assert set(linked) == {*CSV_COMMENTS, "The analytics charts are lovely."}
    charts = linked["The analytics charts are lovely."]["link"]["evidence"]
    assert {(e["theme"], e["text"]) for e in charts} == {("reporting", "analytics"), ("reporting", "charts")}
    assert ids[4] not in {entry["id"] for entry in linked.values()}
