"""List endpoints page with ``?limit=`` and ``?cursor=``: every item exactly once, newest first (or
best first with ``?sort=``), ``next_cursor`` null on the last page; the web app ranks the roadmap
exactly as the API does."""

import pytest

from surveys.workspace.models import Workspace
from tests.support.helpers import create_survey, create_touchpoint


def _walk(client, headers, url: str, limit: int) -> tuple[list[list[str]], list]:
    """Follow next_cursor from the first page; the ids of each page and the cursors seen."""
    pages, cursors, cursor = [], [], None
    while True:
        sep = "&" if "?" in url else "?"
        reply = client.get(
            f"{url}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""), headers=headers
        )
        assert reply.status_code == 200, reply.json
        assert list(reply.json) == ["items", "next_cursor"]
        pages.append([item["id"] for item in reply.json["items"]])
        cursor = reply.json["next_cursor"]
        cursors.append(cursor)
        if cursor is None:
            return pages, cursors
        assert len(pages) < 20


def _make(client, headers, kind: str, n: int) -> None:
    survey = create_survey(client, headers)
    for i in range(n):
        if kind == "surveys":
            create_survey(client, headers, name=f"S{i}")
        elif kind == "touchpoints":
            create_touchpoint(client, headers, survey["id"], name=f"T{i}")
        elif kind == "segments":
            body = {
                "name": f"G{i}",
                "conditions": [{"field": "attributes.plan", "op": "eq", "value": str(i)}],
            }
            assert client.post("/api/v1/segments", json=body, headers=headers).status_code == 201
        elif kind == "roadmap-items":
            assert (
                client.post("/api/v1/roadmap-items", json={"title": f"R{i}"}, headers=headers).status_code
                == 201
            )


@pytest.mark.parametrize("kind", ["surveys", "touchpoints", "segments", "roadmap-items"])
def test_list_pages_with_limit_and_cursor(client, workspace, kind):
    h = workspace.headers
    _make(client, h, kind, 5)
    url = f"/api/v1/{kind}"
    everything = client.get(f"{url}?limit=500", headers=h).json
    assert everything["next_cursor"] is None
    ids = [item["id"] for item in everything["items"]]
    assert len(ids) >= 5 and ids == sorted(ids, reverse=True)  # newest first
    pages, cursors = _walk(client, h, url, 2)
    assert [len(p) for p in pages[:-1]] == [2] * (len(pages) - 1) and 1 <= len(pages[-1]) <= 2
    assert [i for p in pages for i in p] == ids
    assert cursors[:-1] == [p[-1] for p in pages[:-1]]  # the cursor is the page's last id
    assert client.get(f"{url}?limit=501", headers=h).status_code == 422
    assert client.get(f"{url}?limit=0", headers=h).status_code == 422


def test_list_themes_pages_through_the_seeded_taxonomy(client, workspace):
    h = workspace.headers
    everything = client.get("/api/v1/themes?limit=500", headers=h).json["items"]
    pages, _ = _walk(client, h, "/api/v1/themes", 3)
    assert sorted(i for p in pages for i in p) == sorted(t["id"] for t in everything)
    assert len(everything) > 3


def _ranked_workspace(client, headers) -> dict[str, str]:
    """Four roadmap items with 3, 2, 1 and 0 linked detractors; title -> id."""
    survey = create_survey(client, headers)
    items = {}
    for title, detractors in (("one", 1), ("three", 3), ("none", 0), ("two", 2)):
        reply = client.post("/api/v1/roadmap-items", json={"title": title}, headers=headers)
        items[title] = reply.json["id"]
        for n in range(detractors):
            answer = client.post(
                "/api/v1/responses",
                headers=headers,
                json={"survey_id": survey["id"], "score": 2, "contact": {"external_id": f"{title}-{n}"}},
            )
            link = client.post(
                f"/api/v1/roadmap-items/{items[title]}/links",
                json={"response_id": answer.json["id"]},
                headers=headers,
            )
            assert link.status_code == 201, link.json
    return items


def test_list_roadmap_sorted_pages_with_an_offset_cursor(client, workspace):
    h = workspace.headers
    items = _ranked_workspace(client, h)
    pages, cursors = _walk(client, h, "/api/v1/roadmap-items?sort=detractors", 3)
    assert cursors == ["@3", None]
    assert [i for p in pages for i in p] == [items[t] for t in ("three", "two", "one", "none")]
    first = client.get("/api/v1/roadmap-items?sort=detractors&limit=1", headers=h).json["items"][0]
    assert first["impact"]["detractors"] == 3 and first["impact"]["responses"] == 3


def test_list_roadmap_ranking_is_the_web_apps(app, client, workspace, db_session):
    from vocservice.webapp import sources

    h = workspace.headers
    _ranked_workspace(client, h)
    api = client.get("/api/v1/roadmap-items?sort=impact&limit=500", headers=h).json["items"]
    web = sources.roadmap_ranked(db_session.get(Workspace, workspace.workspace.id))
    assert [row["item"].id for row in web] == [item["id"] for item in api]
    assert [row["impact"] for row in web] == [item["impact"] for item in api]
    top = sources.roadmap_ranked(db_session.get(Workspace, workspace.workspace.id), limit=2)
    assert [row["item"].id for row in top] == [item["id"] for item in api[:2]]
