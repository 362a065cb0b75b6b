"""Theme taxonomies: the named lists of themes (each with keywords) that comments are tagged with.

A :class:`Taxonomy` is immutable data: a name and a tuple of :class:`Theme` objects, each with the
keywords or short phrases that signal it. Three taxonomies are built in (``saas``, the default,
``restaurant`` and ``app-reviews``, defined in :mod:`nlp.taxonomies`); :func:`load_taxonomy` also
reads a JSON file of the same shape, and :meth:`Taxonomy.from_dicts` builds one from plain
mappings such as database rows. Validation errors are ``ValueError`` with a message a user can
act on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.foreign_keywords import LANGUAGES

DEFAULT_TAXONOMY = "saas"
# The built-in taxonomies' theme for generic praise or blame ("love the app", "lovely place").
GENERIC_THEME = "overall"


@dataclass(frozen=True)
class Theme:
    """One theme: its unique name, the keywords/phrases that signal it, and optional metadata."""

    name: str
    keywords: tuple[str, ...]
    description: str = ""
    parent: str | None = None
    # Negative contexts learned from corrections (nlp.learning): a mention whose neighbourhood
    # contains one of these word sequences does not count.
    excludes: tuple[str, ...] = ()
    # Keywords for comments in other languages (nlp.foreign_keywords), as (language, keywords)
    # pairs sorted by language: {"fr": ["livraison"]} is (("fr", ("livraison",)),).
    keywords_by_language: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def language_keywords(self) -> dict[str, list[str]]:
        """:attr:`keywords_by_language` as a mapping of language code to keywords."""
        return {language: list(keywords) for language, keywords in self.keywords_by_language}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "keywords": list(self.keywords),
            "description": self.description,
            "parent": self.parent,
        }
        if self.excludes:
            data["excludes"] = list(self.excludes)
        if self.keywords_by_language:
            data["keywords_by_language"] = self.language_keywords
        return data


@dataclass(frozen=True)
class Taxonomy:
    """A named, ordered set of themes with unique names."""

    name: str
    themes: tuple[Theme, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for theme in self.themes:
            if theme.name in seen:
                raise ValueError(f"taxonomy {self.name!r}: duplicate theme name {theme.name!r}")
            seen.add(theme.name)

    @property
    def theme_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.themes)

    @classmethod
    def from_dicts(cls, name: str, themes: Iterable[Mapping[str, Any]]) -> Taxonomy:
        """Build a taxonomy from mappings with ``name``, ``keywords`` and optional
        ``description``, ``parent`` and ``keywords_by_language`` (language code -> keywords,
        codes from :data:`nlp.foreign_keywords.LANGUAGES`): the shape of the JSON file and of
        theme rows."""
        built = []
        for index, raw in enumerate(themes):
            if not isinstance(raw, Mapping):
                raise ValueError(f"taxonomy {name!r}: theme #{index} is not an object")
            built.append(_theme_from_mapping(name, index, raw))
        return cls(name=str(name), themes=tuple(built))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "themes": [t.to_dict() for t in self.themes]}


def _keyword_list(where: str, field: str, keywords: Any) -> list[str]:
    if isinstance(keywords, str) or not isinstance(keywords, Iterable):
        raise ValueError(f"{where}: '{field}' must be a list of strings")
    cleaned: list[str] = []
    for keyword in keywords:
        if not isinstance(keyword, str):
            raise ValueError(f"{where}: keyword {keyword!r} is not a string")
        keyword = " ".join(keyword.split())
        if keyword and keyword.lower() not in {k.lower() for k in cleaned}:
            cleaned.append(keyword)
    return cleaned


def _language_keywords(where: str, raw: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: 'keywords_by_language' must be an object of language code -> keywords")
    pairs = []
    for language, keywords in raw.items():
        if language not in LANGUAGES:
            raise ValueError(
                f"{where}: 'keywords_by_language' has {language!r}, not one of {', '.join(LANGUAGES)}"
            )
        cleaned = _keyword_list(where, f"keywords_by_language.{language}", keywords)
        if cleaned:
            pairs.append((language, tuple(cleaned)))
    return tuple(sorted(pairs))


def _theme_from_mapping(taxonomy: str, index: int, raw: Mapping[str, Any]) -> Theme:
    where = f"taxonomy {taxonomy!r}, theme #{index}"
    theme_name = raw.get("name")
    if not isinstance(theme_name, str) or not theme_name.strip():
        raise ValueError(f"{where}: 'name' must be a non-empty string")
    cleaned = _keyword_list(f"{where} ({theme_name})", "keywords", raw.get("keywords", []))
    by_language = _language_keywords(f"{where} ({theme_name})", raw.get("keywords_by_language"))
    description = raw.get("description") or ""
    parent = raw.get("parent")
    if not isinstance(description, str):
        raise ValueError(f"{where} ({theme_name}): 'description' must be a string")
    if parent is not None and not isinstance(parent, str):
        raise ValueError(f"{where} ({theme_name}): 'parent' must be a string or null")
    excludes = raw.get("excludes") or []
    if isinstance(excludes, str) or not all(isinstance(e, str) for e in excludes):
        raise ValueError(f"{where} ({theme_name}): 'excludes' must be a list of strings")
    contexts = tuple(dict.fromkeys(" ".join(e.lower().split()) for e in excludes if e.strip()))
    return Theme(theme_name.strip(), tuple(cleaned), description, parent or None, contexts, by_language)


def builtin_names() -> tuple[str, ...]:
    """Names of the built-in taxonomies."""
    from nlp.taxonomies import BUILTIN

    return tuple(BUILTIN)


def load_taxonomy(name_or_path: str | Path | Taxonomy = DEFAULT_TAXONOMY) -> Taxonomy:
    """Return a built-in taxonomy by name, or read one from a JSON file path.

    The file holds ``{"name": ..., "themes": [{"name", "keywords", "description", "parent",
    "keywords_by_language"}]}`` (the last optional: ``{"fr": ["livraison"], ...}``).
    Raises ``ValueError`` for an unknown name, an unreadable file or a malformed document.
    """
    if isinstance(name_or_path, Taxonomy):
        return name_or_path
    from nlp.taxonomies import BUILTIN

    key = str(name_or_path)
    if key in BUILTIN:
        return Taxonomy.from_dicts(key, BUILTIN[key])
    path = Path(key)
    if not (path.suffix.lower() == ".json" or path.exists()):
        raise ValueError(
            f"unknown taxonomy {key!r}: use one of {', '.join(BUILTIN)} or a path to a JSON file"
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"taxonomy file {key!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"taxonomy file {key!r} cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"taxonomy file {key!r} is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("themes"), list):
        raise ValueError(f"taxonomy file {key!r} must be an object with a 'themes' list")
    name = document.get("name") or path.stem
    if not isinstance(name, str):
        raise ValueError(f"taxonomy file {key!r}: 'name' must be a string")
    return Taxonomy.from_dicts(name, document["themes"])
