"""Schemas of the analysis API: themes in and out, and the emerging-phrases query."""

from marshmallow import Schema, ValidationError, fields, post_load, validate

from nlp.foreign_keywords import LANGUAGES, MAX_KEYWORD_CHARS, MAX_KEYWORDS_PER_LANGUAGE
from surveys.core.schemas import Base, ListArgsSchema, Time

MAX_KEYWORDS = 200


def _clean_keywords(values: list[str]) -> list[str]:
    """Collapse whitespace and drop blanks and case-insensitive repeats, keeping the order."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for value in values:
        keyword = " ".join(value.split())
        if keyword and keyword.lower() not in seen:
            seen.add(keyword.lower())
            cleaned.append(keyword)
    return cleaned


def _language(value: str) -> None:
    if value == "en":
        raise ValidationError("English keywords go in 'keywords'")
    if value not in LANGUAGES:
        raise ValidationError(f"not a language the analyser detects; use one of {', '.join(LANGUAGES)}")


def _keywords_by_language(required: bool = False) -> fields.Dict:
    """Language code -> keywords for comments in that language (nlp.foreign_keywords)."""
    extra = {"load_default": dict} if required else {}
    return fields.Dict(
        keys=fields.String(validate=_language),
        values=fields.List(
            fields.String(validate=[validate.Length(1, MAX_KEYWORD_CHARS), _name]),
            validate=validate.Length(max=MAX_KEYWORDS_PER_LANGUAGE),
        ),
        metadata={
            "description": "keywords for comments in other languages, by language code "
            f'({", ".join(LANGUAGES)}), e.g. {{"fr": ["livraison"], "de": ["Lieferung"]}}; '
            "matched casefolded, without accents, as whole words, with a plural s/x/e/n/en/es "
            "on words of 4+ letters. A PATCH changes only the languages it names; an empty list "
            "removes a language"
        },
        **extra,
    )


def clean_keywords_by_language(value: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each language's keywords cleaned like ``keywords``, by language code in order. A language
    left empty stays (as ``[]``): on a PATCH it removes that language's keywords."""
    return {language: _clean_keywords(value[language]) for language in sorted(value)}


def _name(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


class ThemeCreateSchema(Base):
    name = fields.String(required=True, validate=[validate.Length(1, 100), _name])
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    keywords = fields.List(
        fields.String(validate=validate.Length(1, 100)),
        load_default=list,
        validate=validate.Length(max=MAX_KEYWORDS),
    )
    keywords_by_language = _keywords_by_language(required=True)
    parent_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 40))

    @post_load
    def normalise(self, data: dict, **kwargs) -> dict:
        if "name" in data:
            data["name"] = " ".join(data["name"].split())
        if "keywords" in data:
            data["keywords"] = _clean_keywords(data["keywords"])
        if "keywords_by_language" in data:
            data["keywords_by_language"] = clean_keywords_by_language(data["keywords_by_language"])
        return data


class ThemeUpdateSchema(ThemeCreateSchema):
    """Every field optional; only those sent change."""

    name = fields.String(validate=[validate.Length(1, 100), _name])
    description = fields.String(validate=validate.Length(max=2000))
    keywords = fields.List(
        fields.String(validate=validate.Length(1, 100)), validate=validate.Length(max=MAX_KEYWORDS)
    )
    keywords_by_language = _keywords_by_language()
    parent_id = fields.String(allow_none=True, validate=validate.Length(1, 40))


class ThemeSchema(Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String()
    keywords = fields.List(fields.String())
    keywords_by_language = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    parent_id = fields.String(allow_none=True)
    created_at = Time()
    updated_at = Time()


class EmergingArgsSchema(Schema):
    survey_id = fields.String(load_default=None, validate=validate.Length(1, 40))
    start = Time(data_key="from", load_default=None)
    end = Time(data_key="to", load_default=None)
    min_count = fields.Integer(load_default=3, validate=validate.Range(2, 10_000))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class LearnedRuleSchema(Schema):
    """A rule corrections taught the workspace (surveys.analysis.learning)."""

    id = fields.String()
    theme_id = fields.String()
    theme = fields.String(attribute="theme_name", metadata={"description": "the theme's name"})
    kind = fields.String(
        metadata={"description": "exclude: a negative context for the theme; keyword: a phrase that finds it"}
    )
    phrase = fields.String(metadata={"description": "the learned words (lower-case, base forms)"})
    status = fields.String(metadata={"description": "proposed, active or undone"})
    corrections = fields.Integer(metadata={"description": "how many corrections taught it"})
    response_ids = fields.List(fields.String(), metadata={"description": "the answers they were made on"})
    created_by = fields.String(allow_none=True, metadata={"description": "the user who taught it first"})
    created_at = Time()
    decided_by = fields.String(allow_none=True, metadata={"description": "who confirmed or undid it"})
    decided_at = Time(allow_none=True)
    reason = fields.String(
        allow_none=True,
        metadata={
            "description": "why the service applied or withdrew it by itself (null when someone decided)"
        },
    )


class LearnedRuleListArgsSchema(ListArgsSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(("proposed", "active", "undone")))
