"""Themes' keywords per language through the API (issue 13): stored, cleaned and merged on PATCH,
validated as RFC 9457 problems, seeded from the built-in taxonomy, and an edit re-analyses the
answers in the changed language through a real RQ worker while English answers stay as they are."""

from sqlalchemy import select

from surveys.analysis.models import Analysis
from surveys.core.db import db
from tests.support.analysis import states, store_responses
from tests.support.webapp import login, make_user

API = "/api/v1/themes"


def themes_by_name(client, headers) -> dict[str, dict]:
    return {t["name"]: t for t in client.get(f"{API}?limit=500", headers=headers).json["items"]}


def analyses(app, ids: list[str]) -> dict[str, Analysis]:
    with app.app_context():
        rows = {
            a.response_id: a
            for a in db.session.execute(select(Analysis).where(Analysis.response_id.in_(ids))).scalars()
        }
        for row in rows.values():
            db.session.expunge(row)
        db.session.remove()
    return rows


def hit(analysis: Analysis, name: str) -> dict | None:
    return next((t for t in analysis.themes if t["name"] == name), None)


def test_theme_languages_create_get_patch(client, workspace):
    headers = workspace.key_headers("analyst")
    created = client.post(
        API,
        headers=headers,
        json={
            "name": "delivery",
            "keywords": ["delivery"],
            "keywords_by_language": {
                "fr": [" livraison ", "Livraison", "colis"],
                "de": ["Lieferung"],
                "es": [],
            },
        },
    )
    assert created.status_code == 201, created.json
    theme = created.json
    assert theme["keywords_by_language"] == {"de": ["Lieferung"], "fr": ["livraison", "colis"]}
    assert client.get(f"{API}/{theme['id']}", headers=headers).json["keywords_by_language"] == {
        "de": ["Lieferung"],
        "fr": ["livraison", "colis"],
    }
    # A PATCH changes the languages it names; an empty list removes one; others stay.
    patched = client.patch(
        f"{API}/{theme['id']}", headers=headers, json={"keywords_by_language": {"es": ["entrega"], "de": []}}
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["keywords_by_language"] == {"es": ["entrega"], "fr": ["livraison", "colis"]}
    described = client.patch(f"{API}/{theme['id']}", headers=headers, json={"description": "parcels"})
    assert described.json["keywords_by_language"] == {"es": ["entrega"], "fr": ["livraison", "colis"]}
    plain = client.post(API, headers=headers, json={"name": "plain"}).json
    assert plain["keywords_by_language"] == {}


def test_theme_languages_seeded_from_the_builtin_taxonomy(client, workspace):
    themes = themes_by_name(client, workspace.headers)
    assert "facture" in themes["billing"]["keywords_by_language"]["fr"]
    assert "Rechnung" in themes["billing"]["keywords_by_language"]["de"]
    assert "factura" in themes["billing"]["keywords_by_language"]["es"]


def test_theme_languages_validation_problems(client, workspace):
    headers = workspace.headers
    billing = themes_by_name(client, headers)["billing"]
    cases = [
        ({"xx": ["a"]}, "not a language the analyser detects"),
        ({"en": ["a"]}, "English keywords go in 'keywords'"),
        (["fr"], "Not a valid mapping type."),
        ("fr: colis", "Not a valid mapping type."),
        ({"fr": "colis"}, "Not a valid list."),
        ({"fr": [1]}, "Not a valid string."),
        ({"fr": ["   "]}, "must not be blank"),
        ({"fr": [""]}, "Length must be between 1 and 100."),
        ({"fr": ["x" * 101]}, "Length must be between 1 and 100."),
        ({"fr": ["k"] * 201}, "Longer than maximum length 200."),
        ({"fr": None}, "Field may not be null."),
    ]
    for value, message in cases:
        for response in (
            client.post(API, headers=headers, json={"name": "x", "keywords_by_language": value}),
            client.patch(f"{API}/{billing['id']}", headers=headers, json={"keywords_by_language": value}),
        ):
            assert response.status_code == 422, (value, response.json)
            assert response.content_type == "application/problem+json"
            errors = response.json["errors"]["keywords_by_language"]
            assert message in repr(errors), (value, errors)
    # Nothing stored by the refused requests.
    assert (
        themes_by_name(client, headers)["billing"]["keywords_by_language"] == billing["keywords_by_language"]
    )
    assert "x" not in themes_by_name(client, headers)


def test_theme_language_edit_reanalyses_that_language_only(app, client, workspace, run_worker):
    ws = workspace.workspace.id
    french, other_french, german, english = store_responses(
        app,
        ws,
        [
            "Les COLIS arrivent toujours abîmés et je suis très déçu.",
            "Je ne suis pas content du tout, rien ne marche.",
            "Die Pakete sind immer kaputt und ich bin sehr enttäuscht.",
            "The colis always arrive damaged, very disappointed.",
        ],
    )
    run_worker()
    before = analyses(app, [french, other_french, german, english])
    assert [before[r].language for r in (french, other_french, german, english)] == ["fr", "fr", "de", "en"]
    version = before[english].taxonomy_version

    created = client.post(API, headers=workspace.headers, json={"name": "delivery", "keywords": ["parcel"]})
    assert created.status_code == 201
    run_worker()

    patched = client.patch(
        f"{API}/{created.json['id']}",
        headers=workspace.headers,
        json={"keywords_by_language": {"fr": ["colis"]}},
    )
    assert patched.status_code == 200
    now = states(app, [french, other_french, german, english])
    # Every French answer is put back (accents defeat a substring prefilter); others stay done.
    assert now[french][0] == now[other_french][0] == "pending"
    assert now[german][0] == "done" and now[english][0] == "done"
    run_worker()
    after = analyses(app, [french, other_french, german, english])
    found = hit(after[french], "delivery")
    assert found["evidence"] == [{"text": "COLIS", "start": 4, "end": 9}]
    assert found["sentiment"] == {"label": "neutral", "compound": 0.0}  # no English sentiment
    assert hit(after[other_french], "delivery") is None and hit(after[german], "delivery") is None
    # The English comment holds "colis" but is English: not re-analysed, not tagged.
    assert after[english].taxonomy_version == version and hit(after[english], "delivery") is None
    assert after[french].taxonomy_version == version + 2
    listed = client.get("/api/v1/responses?theme=delivery", headers=workspace.headers).json["items"]
    assert [r["id"] for r in listed] == [french]
    # Theme insights count the French mention as neutral, with the answer's score behind it.
    survey_id = listed[0]["survey_id"]
    insights = client.get(f"/api/v1/insights/themes?survey_id={survey_id}", headers=workspace.headers)
    delivery = next(i for i in insights.json["items"] if i["name"] == "delivery")
    assert delivery["mentions"] == 1
    assert delivery["sentiment"] == {"positive": 0, "neutral": 1, "negative": 0, "mean_compound": 0.0}
    assert delivery["with_theme"]["responses"] == 1

    # Removing the language's keywords re-analyses, and the tag goes.
    client.patch(
        f"{API}/{created.json['id']}", headers=workspace.headers, json={"keywords_by_language": {"fr": []}}
    )
    assert states(app, [french])[french][0] == "pending"
    run_worker()
    assert hit(analyses(app, [french])[french], "delivery") is None


def test_corrections_on_a_french_answer_do_not_break(app, client, workspace, run_worker):
    ws = workspace.workspace.id
    make_user(app, ws)
    first, twin = store_responses(
        app,
        ws,
        ["La facture est fausse et le délai de paiement très court.", "La facture est fausse, encore."],
    )
    run_worker()
    billing = themes_by_name(client, workspace.headers)["billing"]
    support = themes_by_name(client, workspace.headers)["support"]
    assert hit(analyses(app, [first])[first], "billing")["evidence"][0]["text"] == "facture"
    token = login(client)
    for theme, action in ((billing, "remove"), (support, "add")):
        response = client.post(
            f"/app/feedback/{first}/themes",
            data={"csrf_token": token, "theme_id": theme["id"], "action": action},
        )
        assert response.status_code == 302, response.text
    corrected = analyses(app, [first])[first]
    assert hit(corrected, "billing") is None and hit(corrected, "support") is not None
    for rule in client.get("/api/v1/learned-rules", headers=workspace.headers).json["items"]:
        confirmed = client.post(f"/api/v1/learned-rules/{rule['id']}/confirm", headers=workspace.headers)
        assert confirmed.status_code == 200
    run_worker()
    assert {s for s, _, _ in states(app, [first, twin]).values()} == {"done"}
    assert hit(analyses(app, [first])[first], "support") is not None  # the analyst's verdict stays
