"""The theme editor (``/app/themes``): the workspace's themes with their keywords, in English and
in other languages; analysts add a theme or edit one through the same schemas, service and
re-analysis as ``/api/v1/themes``.

Keywords are one text box, separated by commas or new lines. Keywords in other languages are one
line per language, ``fr: livraison, colis``; the page builds the API's
``keywords_by_language`` object from it (a language whose line was removed is sent as ``[]``, so
its keywords go) and shows the API's validation messages beside the box.
"""

from flask import flash, g, redirect, render_template, request, url_for

from nlp.foreign_keywords import LANGUAGES
from surveys.analysis import themes as service
from surveys.analysis.models import Theme
from surveys.analysis.schemas import ThemeCreateSchema, ThemeUpdateSchema
from surveys.core.db import db
from surveys.core.errors import DomainError
from vocservice.errors import status_of
from vocservice.webapp import bp
from vocservice.webapp.forms_util import load_data

LANGUAGE_NAMES = {
    "ar": "Arabic",
    "de": "German",
    "el": "Greek",
    "es": "Spanish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "pt": "Portuguese",
    "ru": "Russian",
    "th": "Thai",
    "zh": "Chinese",
}
MAX_LINES = 100  # more lines than languages exist is never a real form
MAX_FORM_CHARS = 100_000
LANGUAGES_FIELD = "keywords_by_language"


def split_keywords(text: str) -> list[str]:
    """Keywords typed in one box, separated by commas or new lines (blanks dropped)."""
    return [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]


def parse_languages(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """``fr: livraison, colis`` lines as ``{"fr": ["livraison", "colis"]}``, and the errors of
    lines that are not ``code: keywords``. A language on two lines gets both lines' keywords."""
    parsed: dict[str, list[str]] = {}
    errors: list[str] = []
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        return {}, [f"at most {MAX_LINES} lines, one per language"]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        code, colon, rest = line.partition(":")
        code = code.strip().lower()
        if not colon or not code:
            errors.append(
                f"line {number}: write a language code, a colon, then keywords (fr: livraison, colis)"
            )
            continue
        parsed.setdefault(code, []).extend(split_keywords(rest))
    return parsed, errors


def format_languages(by_language: dict[str, list[str]]) -> str:
    return "\n".join(f"{code}: {', '.join(words)}" for code, words in sorted(by_language.items()))


def _form_of(theme: Theme | None) -> dict:
    if theme is None:
        return {"name": "", "description": "", "keywords": "", LANGUAGES_FIELD: "", "parent_id": ""}
    return {
        "name": theme.name,
        "description": theme.description,
        "keywords": ", ".join(theme.keywords),
        LANGUAGES_FIELD: format_languages(theme.keywords_by_language or {}),
        "parent_id": theme.parent_id or "",
    }


def _posted() -> tuple[dict, dict, dict[str, list[str]]]:
    """The raw form (to show again), the API's JSON body built from it, and form-level errors."""
    form = {
        key: (request.form.get(key) or "")[:MAX_FORM_CHARS]
        for key in ("name", "description", "keywords", LANGUAGES_FIELD, "parent_id")
    }
    by_language, line_errors = parse_languages(form[LANGUAGES_FIELD])
    body = {
        "name": form["name"],
        "description": form["description"].strip(),
        "keywords": split_keywords(form["keywords"]),
        LANGUAGES_FIELD: by_language,
        "parent_id": form["parent_id"].strip() or None,
    }
    return form, body, ({LANGUAGES_FIELD: line_errors} if line_errors else {})


def _field_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Flattened schema errors (``keywords_by_language.xx.key``) folded onto the form's boxes."""
    folded: dict[str, list[str]] = {}
    for key, messages in errors.items():
        field, _, rest = key.partition(".")
        if field == LANGUAGES_FIELD and rest:
            code = rest.split(".")[0]
            messages = [f"{code}: {m}" for m in messages]
        elif field == "keywords" and rest:
            messages = [f"keyword {int(rest.split('.')[0]) + 1}: {m}" for m in messages]
        folded.setdefault(field, []).extend(messages)
    return folded


def _page(theme: Theme | None, *, form: dict, errors: dict, status: int = 200):
    themes = service.list_themes(db.session, workspace_id=g.workspace.id)
    return (
        render_template(
            "app/themes.html",
            themes=themes,
            names={t.id: t.name for t in themes},
            theme=theme,
            form=form,
            errors=errors,
            languages=[(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES],
            language_names=LANGUAGE_NAMES,
        ),
        status,
    )


@bp.get("/themes")
def themes():
    return _page(None, form=_form_of(None), errors={})


@bp.get("/themes/<theme_id>")
def theme(theme_id: str):
    found = service.get_theme(db.session, workspace_id=g.workspace.id, theme_id=theme_id)
    return _page(found, form=_form_of(found), errors={})


@bp.post("/themes")
def create_theme():
    form, body, errors = _posted()
    data, schema_errors = load_data(ThemeCreateSchema(), body)
    errors = {**_field_errors(schema_errors), **errors}
    if data is not None and not errors:
        try:
            created = service.create_theme(db.session, workspace=g.workspace, data=data)
        except DomainError as error:
            db.session.rollback()
            return _page(
                None, form=form, errors=error.errors or {"name": [error.detail]}, status=status_of(error)
            )
        db.session.commit()
        flash(f"Theme “{created.name}” added; answers that mention it are re-analysed.", "success")
        return redirect(url_for("webapp.theme", theme_id=created.id))
    return _page(None, form=form, errors=errors, status=422)


@bp.post("/themes/<theme_id>")
def update_theme(theme_id: str):
    found = service.get_theme(db.session, workspace_id=g.workspace.id, theme_id=theme_id)
    form, body, errors = _posted()
    # Languages whose line was removed are sent empty, so their keywords go (a PATCH merges).
    removed = {code: [] for code in (found.keywords_by_language or {}) if code not in body[LANGUAGES_FIELD]}
    body[LANGUAGES_FIELD] = {**removed, **body[LANGUAGES_FIELD]}
    data, schema_errors = load_data(ThemeUpdateSchema(), body)
    errors = {**_field_errors(schema_errors), **errors}
    if data is not None and not errors:
        try:
            service.update_theme(db.session, workspace=g.workspace, theme_id=theme_id, data=data)
        except DomainError as error:
            errors = error.errors or {"name": [error.detail]}
            db.session.rollback()
            found = service.get_theme(db.session, workspace_id=g.workspace.id, theme_id=theme_id)
            return _page(found, form=form, errors=errors, status=status_of(error))
        db.session.commit()
        flash("Theme saved; the answers it may change are re-analysed.", "success")
        return redirect(url_for("webapp.theme", theme_id=theme_id))
    return _page(found, form=form, errors=errors, status=422)
