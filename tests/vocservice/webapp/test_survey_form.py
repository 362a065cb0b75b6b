"""The survey form (``/app/surveys/<id>``): question, prompt, locale, status, kind and one row per
translation, validated by the API's schema with each error on its row, nothing stored on an
error, rows added and removed without JavaScript, CSRF and admin-only."""

from sqlalchemy import select

from surveys.core.db import db, utcnow
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.workspace.service import create_workspace
from tests.support.webapp import HOSTILE, field_errors, login, make_survey, make_user


def _survey(app, survey_id: str) -> Survey:
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        db.session.expunge(survey)
        db.session.remove()
    return survey


def _fields(token: str, **extra) -> dict:
    return {
        "csrf_token": token,
        "name": "Onboarding NPS",
        "kind": "nps",
        "status": "active",
        "locale": "en",
        "question": "Would you recommend us?",
        "comment_prompt": "Why?",
        **extra,
    }


def test_survey_form_saves_text_status_and_translations(client, app, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(
        app, workspace.workspace.id, translations={"de": {"question": "Empfehlen?", "comment_prompt": ""}}
    )
    token = login(client)
    page = client.get(f"/app/surveys/{survey_id}")
    assert page.status_code == 200
    assert 'name="translations-0-locale" type="text" value="de"' in page.text
    assert ">Empfehlen?</textarea>" in page.text
    assert f'href="/app/surveys/{survey_id}/preview"' in page.text

    saved = client.post(
        f"/app/surveys/{survey_id}",
        data=_fields(
            token,
            status="draft",
            question="How likely are you to recommend us?",
            **{
                "translations-0-locale": "de",
                "translations-0-question": "Wie wahrscheinlich empfehlen Sie uns?",
                "translations-0-comment_prompt": "Warum?",
                "translations-1-locale": "",  # an empty row is ignored
                "translations-1-question": "",
                "translations-1-comment_prompt": "",
                "translations-2-locale": "pt-BR",
                "translations-2-question": "Você nos recomendaria?",
                "translations-2-comment_prompt": "",
            },
        ),
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/app/surveys/{survey_id}")
    survey = _survey(app, survey_id)
    assert survey.status == "draft" and survey.question == "How likely are you to recommend us?"
    assert survey.comment_prompt == "Why?"
    assert survey.translations == {
        "de": {"question": "Wie wahrscheinlich empfehlen Sie uns?", "comment_prompt": "Warum?"},
        "pt-BR": {"question": "Você nos recomendaria?", "comment_prompt": ""},
    }
    # The API reads back what the form stored.
    api = client.get(f"/api/v1/surveys/{survey_id}", headers=workspace.headers).json
    assert api["translations"] == survey.translations and api["status"] == "draft"

    # Removing every row (and the prompt) clears them.
    assert client.post(f"/app/surveys/{survey_id}", data=_fields(token, comment_prompt="")).status_code == 302
    survey = _survey(app, survey_id)
    assert survey.translations == {} and survey.comment_prompt == ""


def test_survey_form_errors_are_the_apis_on_their_rows_and_nothing_is_stored(client, app, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(app, workspace.workspace.id, translations={"fr": {"question": "Recommander ?"}})
    token = login(client)
    bad = client.post(
        f"/app/surveys/{survey_id}",
        data=_fields(
            token,
            name="Renamed",
            question="",
            locale="english",
            status="paused",
            **{
                "translations-0-locale": "fr",
                "translations-0-question": "",  # required in a translation
                "translations-0-comment_prompt": HOSTILE,
                "translations-1-locale": "de_DE",  # not a locale tag
                "translations-1-question": "Frage",
                "translations-1-comment_prompt": "",
                "translations-2-locale": "fr",  # the same language twice
                "translations-2-question": "Encore ?",
                "translations-2-comment_prompt": "",
                "translations-3-locale": "",
                "translations-3-question": "Which language?",
                "translations-3-comment_prompt": "",
            },
        ),
    )
    assert bad.status_code == 422
    errors = field_errors(bad.text)
    locale_error = "not a locale such as en or pt-BR (16 characters at most)"
    assert errors == {
        "s-question": "Missing data for required field.",
        "s-locale": locale_error,
        "s-status": "Must be one of: draft, active, closed.",
        "tr-0-translations.0.question": "Missing data for required field.",
        "tr-1-translations.1.locale": locale_error,
        "tr-2-translations.2.locale": "This language is already translated above.",
        "tr-3-translations.3.locale": "Missing data for required field.",
    }
    # The API refuses the same input with the same messages.
    api = client.patch(
        f"/api/v1/surveys/{survey_id}",
        json={"locale": "english", "translations": {"fr": {"question": ""}, "de_DE": {"question": "Frage"}}},
        headers=workspace.headers,
    )
    assert api.status_code == 422
    assert api.json["errors"]["locale"] == [locale_error]
    assert api.json["errors"]["translations"]["de_DE"]["key"] == [locale_error]
    # Inputs are kept (escaped) and tied to their messages.
    assert 'value="de_DE" autocomplete="off" aria-invalid="true"' in bad.text
    assert HOSTILE not in bad.text and "&lt;img src=x onerror=alert(2)&gt;</textarea>" in bad.text
    survey = _survey(app, survey_id)
    assert survey.name == "Onboarding NPS" and survey.translations == {"fr": {"question": "Recommander ?"}}


def test_survey_form_adds_and_removes_languages_without_saving(client, app, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(app, workspace.workspace.id)
    token = login(client)
    added = client.post(
        f"/app/surveys/{survey_id}", data=_fields(token, name="Typed", action="add_translation")
    )
    assert added.status_code == 200
    assert 'name="translations-0-locale"' in added.text and 'value="Typed"' in added.text
    rows = {
        "translations-0-locale": "de",
        "translations-0-question": "Frage",
        "translations-1-locale": "nl",
        "translations-1-question": "Vraag",
    }
    removed = client.post(
        f"/app/surveys/{survey_id}", data=_fields(token, action="remove_translation:0", **rows)
    )
    assert removed.status_code == 200
    assert (
        'name="translations-0-locale" type="text" value="nl"' in removed.text and "Frage" not in removed.text
    )
    assert _survey(app, survey_id).name == "Onboarding NPS" and _survey(app, survey_id).translations == {}


def test_survey_form_kind_is_fixed_once_answered(client, app, workspace):
    make_user(app, workspace.workspace.id)
    survey_id = make_survey(app, workspace.workspace.id)
    with app.app_context():
        db.session.add(
            Response(
                workspace_id=workspace.workspace.id,
                survey_id=survey_id,
                score=9,
                comment="",
                completed=True,
                source="api",
                meta={},
                attributes={},
                submitted_at=utcnow(),
            )
        )
        db.session.commit()
        db.session.remove()
    token = login(client)
    changed = client.post(f"/app/surveys/{survey_id}", data=_fields(token, kind="csat", name="Renamed"))
    assert changed.status_code == 422
    assert field_errors(changed.text) == {
        "s-kind": "This survey has responses; its kind can no longer change."
    }
    survey = _survey(app, survey_id)
    assert (survey.kind, survey.name) == ("nps", "Onboarding NPS")


def test_survey_form_needs_csrf_and_an_admin(client, app, workspace):
    make_user(app, workspace.workspace.id)
    make_user(app, workspace.workspace.id, role="analyst", email="ana@acme.test")
    survey_id = make_survey(app, workspace.workspace.id)
    login(client)
    assert client.post(f"/app/surveys/{survey_id}", data=_fields("forged", name="X")).status_code == 400
    with app.app_context():
        elsewhere = create_workspace(db.session, name="Other Co", slug="other")
        db.session.commit()
        elsewhere_id = elsewhere.id
        db.session.remove()
    other = make_survey(app, elsewhere_id, name="Other")
    assert client.get(f"/app/surveys/{other}").status_code == 404  # another workspace's survey
    assert client.get("/app/surveys/sv_unknown").status_code == 404

    analyst = app.test_client()
    token = login(analyst, "ana@acme.test")
    assert analyst.get(f"/app/surveys/{survey_id}").status_code == 403
    assert analyst.post(f"/app/surveys/{survey_id}", data=_fields(token, name="X")).status_code == 403
    assert f'href="/app/surveys/{survey_id}"' not in analyst.get("/app/surveys").text
    with app.app_context():
        names = set(db.session.execute(select(Survey.name)).scalars())
        db.session.remove()
    assert names == {"Onboarding NPS", "Other"}
