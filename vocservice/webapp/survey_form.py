"""The survey form's fields and the API's JSON shape, both ways: the survey's own text plus one
row per translation (locale, question, comment prompt) that can be added and removed.

:func:`to_body` builds the body ``PATCH /api/v1/surveys/{id}`` takes (loaded by the API's own
schema afterwards); :func:`schema_errors` puts the schema's errors (``translations.de.value.question``)
back on the row they belong to.
"""

import re

SIMPLE_FIELDS = ("name", "kind", "question", "comment_prompt", "locale", "status")
MAX_TRANSLATION_ROWS = 20  # rows "Add a language" offers; more sent at once are refused
MAX_POSTED_ROWS = 100
_ROW = re.compile(r"translations-(\d{1,6})-(locale|question|comment_prompt)\Z")


def blank_translation() -> dict:
    return {"locale": "", "question": "", "comment_prompt": ""}


def values_of(survey) -> dict:
    values = {name: getattr(survey, name) or "" for name in SIMPLE_FIELDS}
    values["translations"] = [
        {
            "locale": locale,
            "question": str(text.get("question", "")),
            "comment_prompt": str(text.get("comment_prompt", "")),
        }
        for locale, text in sorted((survey.translations or {}).items())
        if isinstance(text, dict)
    ]
    return values


def posted_values(form) -> tuple[dict, dict[str, list[str]]]:
    values = {name: form.get(name) or "" for name in SIMPLE_FIELDS}
    rows: dict[int, dict] = {}
    errors: dict[str, list[str]] = {}
    for key in form:
        if match := _ROW.match(key):
            rows.setdefault(int(match.group(1)), blank_translation())[match.group(2)] = form.get(key) or ""
    if len(rows) > MAX_POSTED_ROWS:
        errors["translations"] = [f"At most {MAX_POSTED_ROWS} translation rows can be sent."]
        rows = {}
    values["translations"] = [rows[i] for i in sorted(rows)]
    return values, errors


def is_blank(row: dict) -> bool:
    return not any(row[name].strip() for name in ("locale", "question", "comment_prompt"))


def to_body(values: dict, errors: dict[str, list[str]]) -> tuple[dict, dict[str, int]]:
    """The API body, and which row each translated locale came from."""
    body = {name: values[name].strip() for name in SIMPLE_FIELDS if values[name].strip()}
    if "comment_prompt" not in body:
        body["comment_prompt"] = ""  # an emptied prompt is cleared, not left as it was
    translations: dict[str, dict] = {}
    origin: dict[str, int] = {}
    for index, row in enumerate(values["translations"]):
        if is_blank(row):
            continue
        locale = row["locale"].strip()
        if not locale:
            errors[f"translations.{index}.locale"] = ["Missing data for required field."]
            continue
        if locale in translations:
            errors[f"translations.{index}.locale"] = ["This language is already translated above."]
            continue
        text = {"comment_prompt": row["comment_prompt"].strip()}
        if row["question"].strip():
            text["question"] = row["question"].strip()
        translations[locale] = text
        origin[locale] = index
    body["translations"] = translations
    return body, origin


def schema_errors(found: dict[str, list[str]], origin: dict[str, int], errors: dict[str, list[str]]) -> None:
    for key, messages in found.items():
        target = key.split(".")[0]
        if target == "translations" and key != "translations":
            rest = key[len("translations.") :]
            # Locales may hold dots when they are the invalid part: match the longest known one.
            locale = max((loc for loc in origin if rest.startswith(f"{loc}.")), key=len, default=None)
            if locale is None:
                target = "translations"
            else:
                tail = rest[len(locale) + 1 :]
                name = tail.split(".")[-1] if tail.startswith("value.") else "locale"
                name = name if name in ("question", "comment_prompt") or tail == "key" else "question"
                target = f"translations.{origin[locale]}.{'locale' if tail == 'key' else name}"
        errors.setdefault(target, []).extend(m for m in messages if m not in errors.get(target, []))
