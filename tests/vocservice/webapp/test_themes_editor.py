"""The theme editor (/app/themes): lists the themes with their languages, adds and edits a theme
through HTML form posts with the API's validation (keywords per language as ``fr: a, b`` lines),
shows errors beside the box with the form kept, and escapes what analysts typed."""

from sqlalchemy import select

from surveys.analysis.models import Theme
from surveys.core.db import db
from surveys.workspace.models import Workspace
from tests.support.webapp import csrf_of, login, make_user


def stored(app, workspace_id: str, name: str) -> Theme | None:
    with app.app_context():
        theme = db.session.execute(
            select(Theme).where(Theme.workspace_id == workspace_id, Theme.name == name)
        ).scalar_one_or_none()
        if theme is not None:
            db.session.expunge(theme)
        db.session.remove()
    return theme


def version(app, workspace_id: str) -> int:
    with app.app_context():
        value = db.session.get(Workspace, workspace_id).taxonomy_version
        db.session.remove()
    return value


def test_theme_editor_adds_and_edits_keywords_per_language(app, client, workspace):
    ws = workspace.workspace.id
    make_user(app, ws, role="analyst")
    token = login(client)
    page = client.get("/app/themes")
    assert page.status_code == 200
    billing = stored(app, ws, "billing")
    assert f'href="/app/themes/{billing.id}"' in page.text and "<code>fr</code>" in page.text

    created = client.post(
        "/app/themes",
        data={
            "csrf_token": token,
            "name": "Delivery <b>",
            "keywords": "delivery, parcel\nshipping",
            "keywords_by_language": "fr: livraison, Colis\n\nDE: Lieferung\nfr: colis, délai",
            "parent_id": "",
        },
    )
    assert created.status_code == 302, created.text
    theme = stored(app, ws, "Delivery <b>")
    assert theme.keywords == ["delivery", "parcel", "shipping"]
    assert theme.keywords_by_language == {"de": ["Lieferung"], "fr": ["livraison", "Colis", "délai"]}
    edit = client.get(created.headers["Location"]).text
    assert "Delivery &lt;b&gt;" in edit and "Delivery <b>" not in edit
    assert "de: Lieferung\nfr: livraison, Colis, délai" in edit

    before = version(app, ws)
    saved = client.post(
        f"/app/themes/{theme.id}",
        data={
            "csrf_token": csrf_of(edit),
            "name": "Delivery",
            "keywords": "delivery",
            "keywords_by_language": "fr: livraison\nes: entrega",
            "parent_id": billing.id,
        },
    )
    assert saved.status_code == 302, saved.text
    theme = stored(app, ws, "Delivery")
    # The German line was removed, so its keywords went.
    assert theme.keywords_by_language == {"es": ["entrega"], "fr": ["livraison"]}
    assert theme.parent_id == billing.id and version(app, ws) == before + 1


def test_theme_editor_shows_validation_errors_and_keeps_the_form(app, client, workspace):
    ws = workspace.workspace.id
    make_user(app, ws)
    token = login(client)
    cases = [
        ("xx: foo", "xx: not a language the analyser detects"),
        ("en: delivery", "en: English keywords go in"),
        ("livraison, colis", "line 1: write a language code, a colon"),
        ("fr: " + "x" * 101, "fr: Length must be between 1 and 100."),
        ("fr: " + ", ".join(f"k{i}" for i in range(201)), "fr: Longer than maximum length 200."),
    ]
    for lines, message in cases:
        response = client.post(
            "/app/themes",
            data={"csrf_token": token, "name": "Delivery", "keywords": "", "keywords_by_language": lines},
        )
        assert response.status_code == 422, lines
        assert message in response.text, (lines, response.text[response.text.find("field-error") :][:300])
        assert 'id="err-keywords_by_language"' in response.text
        assert 'value="Delivery"' in response.text  # the form is kept
    assert stored(app, ws, "Delivery") is None
    taken = client.post(
        "/app/themes", data={"csrf_token": token, "name": "Billing", "keywords_by_language": "fr: facture"}
    )
    assert taken.status_code == 409 and "already exists" in taken.text
    billing = stored(app, ws, "billing")
    bad_edit = client.post(
        f"/app/themes/{billing.id}",
        data={"csrf_token": token, "name": "billing", "keywords": "bill", "keywords_by_language": "zz: x"},
    )
    assert bad_edit.status_code == 422 and "zz: not a language" in bad_edit.text
    assert stored(app, ws, "billing").keywords_by_language == billing.keywords_by_language
    assert client.get("/app/themes/th_missing").status_code == 404
    # Without the CSRF token nothing is stored.
    forged = client.post("/app/themes", data={"name": "Forged", "keywords_by_language": "fr: a"})
    assert forged.status_code in (400, 403) and stored(app, ws, "Forged") is None
