"""A workspace's themes: seeded from a built-in taxonomy, edited by analysts, compiled for the
analyser.

Every change bumps ``workspace.taxonomy_version`` and puts the responses it may affect back to
``pending`` (completed responses whose comment contains an old or new keyword of the theme, or
that carry the theme now), and enqueues their re-analysis after commit. The keyword test is a
case-insensitive substring prefilter: it over-selects (harmless, the analyser decides) and only
misses irregular inflections of a keyword that the comment does not also contain literally.
A change to a theme's keywords for other languages (``keywords_by_language``) puts back the
answers whose analysis found one of the changed languages: the keyword prefilter cannot see
through accents ("delai" in "délai"), and only comments in that language can match.
"""

from collections import OrderedDict
from collections.abc import Iterable

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nlp import Analyzer, Taxonomy
from nlp.learning import apply_rules
from nlp.taxonomies import BUILTIN
from surveys.analysis.models import Analysis, LearnedRule, ResponseTheme, Theme
from surveys.core import jobs
from surveys.core.db import contains_pattern, utcnow, workspace_row
from surveys.core.errors import Conflict, Invalid, NotFound
from surveys.response.models import Response
from surveys.workspace.models import Workspace

DEFAULT_TAXONOMY = "saas"
_ANALYZERS: "OrderedDict[tuple[str, int], Analyzer]" = OrderedDict()
_ANALYZER_CACHE_SIZE = 32


def seed_themes(session: Session, *, workspace: Workspace, taxonomy: str = DEFAULT_TAXONOMY) -> list[Theme]:
    """Give a new workspace a copy of a built-in taxonomy (no re-analysis: nothing to redo)."""
    if taxonomy not in BUILTIN:
        raise Invalid(
            f"Unknown taxonomy {taxonomy!r}.", errors={"taxonomy": [f"one of {', '.join(BUILTIN)}"]}
        )
    themes = [
        Theme(
            workspace_id=workspace.id,
            name=raw["name"],
            description=raw.get("description") or "",
            keywords=list(raw["keywords"]),
            keywords_by_language={k: list(v) for k, v in (raw.get("keywords_by_language") or {}).items()},
        )
        for raw in BUILTIN[taxonomy]
    ]
    session.add_all(themes)
    session.flush()
    by_name = {t.name: t for t in themes}
    for raw, theme in zip(BUILTIN[taxonomy], themes, strict=True):
        if raw.get("parent") in by_name:
            theme.parent_id = by_name[raw["parent"]].id
    session.flush()
    return themes


def list_themes(session: Session, *, workspace_id: str) -> list[Theme]:
    return list(
        session.execute(select(Theme).where(Theme.workspace_id == workspace_id).order_by(Theme.id)).scalars()
    )


def get_theme(session: Session, *, workspace_id: str, theme_id: str) -> Theme:
    theme = workspace_row(session, Theme, theme_id, workspace_id=workspace_id)
    if theme is None:
        raise NotFound(f"No theme with id {theme_id!r} in this workspace.")
    return theme


def resolve_theme_ids(session: Session, *, workspace_id: str, name_or_id: str) -> list[str]:
    """The theme named (case-insensitively) or with that id, plus all its descendants."""
    themes = list_themes(session, workspace_id=workspace_id)
    root = next((t for t in themes if t.id == name_or_id), None) or next(
        (t for t in themes if t.name.lower() == name_or_id.strip().lower()), None
    )
    if root is None:
        raise Invalid(
            f"No theme {name_or_id!r} in this workspace.", errors={"theme": ["no such theme name or id"]}
        )
    found, frontier = [root.id], [root.id]
    while frontier:
        frontier = [t.id for t in themes if t.parent_id in frontier and t.id not in found]
        found.extend(frontier)
    return found


def _check_name(session: Session, workspace_id: str, name: str, theme_id: str | None) -> None:
    clash = session.execute(
        select(Theme.id).where(
            Theme.workspace_id == workspace_id,
            func.lower(Theme.name) == name.lower(),
            Theme.id != (theme_id or ""),
        )
    ).first()
    if clash:
        raise Conflict(f"A theme named {name!r} already exists in this workspace.")


def _check_parent(session: Session, workspace_id: str, parent_id: str | None, theme_id: str | None) -> None:
    if parent_id is None:
        return
    parents = dict(
        session.execute(select(Theme.id, Theme.parent_id).where(Theme.workspace_id == workspace_id)).all()
    )
    if parent_id not in parents:
        raise Invalid(
            f"No theme with id {parent_id!r} in this workspace.",
            errors={"parent_id": ["no such theme in this workspace"]},
        )
    cursor: str | None = parent_id
    while cursor is not None:  # walk up: reaching the theme itself means a cycle
        if cursor == theme_id:
            raise Invalid(
                "A theme cannot be its own ancestor.", errors={"parent_id": ["would create a cycle"]}
            )
        cursor = parents.get(cursor)


def _flush(session: Session, name: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # A concurrent request took the name between our check and our insert.
        raise Conflict(f"A theme named {name!r} already exists in this workspace.") from None


def create_theme(session: Session, *, workspace: Workspace, data: dict) -> Theme:
    _check_name(session, workspace.id, data["name"], None)
    _check_parent(session, workspace.id, data.get("parent_id"), None)
    theme = Theme(
        workspace_id=workspace.id,
        name=data["name"],
        description=data.get("description", ""),
        keywords=data.get("keywords", []),
        keywords_by_language=merge_languages({}, data.get("keywords_by_language", {})),
        parent_id=data.get("parent_id"),
    )
    session.add(theme)
    _flush(session, theme.name)
    taxonomy_changed(
        session, workspace, theme_id=None, keywords=theme.keywords, languages=theme.keywords_by_language
    )
    return theme


def merge_languages(old: dict[str, list[str]], changes: dict[str, list[str]]) -> dict[str, list[str]]:
    """``old`` keywords by language with the languages in ``changes`` replaced; an empty list
    removes its language. Ordered by language code."""
    merged = {**old, **changes}
    return {language: merged[language] for language in sorted(merged) if merged[language]}


def changed_languages(old: dict[str, list[str]], new: dict[str, list[str]]) -> list[str]:
    """The languages whose keyword lists differ between two ``keywords_by_language`` values."""
    return sorted(lang for lang in {*old, *new} if old.get(lang, []) != new.get(lang, []))


def update_theme(session: Session, *, workspace: Workspace, theme_id: str, data: dict) -> Theme:
    theme = get_theme(session, workspace_id=workspace.id, theme_id=theme_id)
    if "name" in data:
        _check_name(session, workspace.id, data["name"], theme.id)
    if "parent_id" in data:
        _check_parent(session, workspace.id, data["parent_id"], theme.id)
    old_keywords = list(theme.keywords)
    old_languages = dict(theme.keywords_by_language or {})
    if "keywords_by_language" in data:
        data = {**data, "keywords_by_language": merge_languages(old_languages, data["keywords_by_language"])}
    languages = changed_languages(old_languages, data.get("keywords_by_language", old_languages))
    matching_changed = (
        data.get("name", theme.name) != theme.name
        or ("keywords" in data and data["keywords"] != old_keywords)
        or bool(languages)
    )
    for field, value in data.items():
        setattr(theme, field, value)
    theme.updated_at = utcnow()
    _flush(session, theme.name)
    if matching_changed:
        taxonomy_changed(
            session,
            workspace,
            theme_id=theme.id,
            keywords=[*old_keywords, *theme.keywords],
            languages=languages,
        )
    else:  # description or hierarchy only: what the analyser finds stays the same
        _bump_version(session, workspace)
    return theme


def delete_theme(session: Session, *, workspace: Workspace, theme_id: str) -> None:
    theme = get_theme(session, workspace_id=workspace.id, theme_id=theme_id)
    taxonomy_changed(session, workspace, theme_id=theme.id, keywords=theme.keywords)
    # Done here as well as by the foreign keys: SQLite does not enforce them by default.
    session.execute(
        update(Theme)
        .where(Theme.parent_id == theme.id)
        .values(parent_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(ResponseTheme).where(
            ResponseTheme.workspace_id == workspace.id, ResponseTheme.theme_id == theme.id
        )
    )
    session.delete(theme)
    session.flush()


def _bump_version(session: Session, workspace: Workspace) -> None:
    session.execute(
        update(Workspace)
        .where(Workspace.id == workspace.id)
        .values(taxonomy_version=Workspace.taxonomy_version + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(workspace, ["taxonomy_version"])


def taxonomy_changed(
    session: Session,
    workspace: Workspace,
    *,
    theme_id: str | None,
    keywords: Iterable[str],
    languages: Iterable[str] = (),
) -> list[str]:
    """Bump the version and put affected responses back to pending; enqueue them after commit.

    Affected: comments containing one of ``keywords``, answers carrying the theme, and answers
    whose analysis found one of ``languages`` (whose keywords for the theme changed)."""
    _bump_version(session, workspace)
    affected = [Response.comment.ilike(contains_pattern(k), escape="\\") for k in set(keywords) if k.strip()]
    languages = sorted(set(languages))
    if languages:
        affected.append(
            Response.id.in_(
                select(Analysis.response_id)
                .join(Response, Response.id == Analysis.response_id)
                .where(Response.workspace_id == workspace.id, Analysis.language.in_(languages))
            )
        )
    if theme_id is not None:
        affected.append(
            Response.id.in_(
                select(ResponseTheme.response_id).where(
                    ResponseTheme.workspace_id == workspace.id, ResponseTheme.theme_id == theme_id
                )
            )
        )
    if not affected:
        return []
    now = utcnow()
    # No status condition: a row being analysed right now is locked by its worker, so this
    # waits for it and then sets it pending again, and the new taxonomy is never missed.
    ids = list(
        session.execute(
            update(Response)
            .where(Response.workspace_id == workspace.id, Response.completed.is_(True), or_(*affected))
            .values(
                analysis_status="pending", analysis_attempts=0, analysis_error=None, analysis_enqueued_at=now
            )
            .returning(Response.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    jobs.defer_analysis(session, ids)
    return ids


def learned_rules(session: Session, workspace_id: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Active learned keywords and negative contexts (surveys.analysis.learning), by theme name."""
    keywords: dict[str, list[str]] = {}
    excludes: dict[str, list[str]] = {}
    rows = session.execute(
        select(Theme.name, LearnedRule.kind, LearnedRule.phrase)
        .join(Theme, Theme.id == LearnedRule.theme_id)
        .where(LearnedRule.workspace_id == workspace_id, LearnedRule.status == "active")
        .order_by(LearnedRule.created_at, LearnedRule.id)
    )
    for name, kind, phrase in rows:
        (keywords if kind == "keyword" else excludes).setdefault(name, []).append(phrase)
    return keywords, excludes


def workspace_taxonomy(session: Session, workspace_id: str) -> Taxonomy:
    """The workspace's themes as an ``nlp.Taxonomy`` (parents by name), in creation order, with
    the keywords and negative contexts its corrections taught."""
    themes = list_themes(session, workspace_id=workspace_id)
    names = {t.id: t.name for t in themes}
    taxonomy = Taxonomy.from_dicts(
        workspace_id,
        [
            {
                "name": t.name,
                "keywords": t.keywords,
                "keywords_by_language": t.keywords_by_language or {},
                "description": t.description,
                "parent": names.get(t.parent_id),
            }
            for t in themes
        ],
    )
    return apply_rules(taxonomy, *learned_rules(session, workspace_id))


def workspace_analyzer(session: Session, workspace_id: str) -> tuple[Analyzer, int]:
    """A compiled analyser for the workspace's current themes and the taxonomy version it has.

    Cached per (workspace, version) in this process. The version is read before the themes:
    if a change commits in between, the entry is keyed by the older version and simply unused.
    """
    version = session.execute(
        select(Workspace.taxonomy_version).where(Workspace.id == workspace_id)
    ).scalar_one()
    key = (workspace_id, version)
    analyzer = _ANALYZERS.get(key)
    if analyzer is None:
        analyzer = Analyzer(workspace_taxonomy(session, workspace_id))
        _ANALYZERS[key] = analyzer
        while len(_ANALYZERS) > _ANALYZER_CACHE_SIZE:
            _ANALYZERS.popitem(last=False)
    else:
        _ANALYZERS.move_to_end(key)
    return analyzer, version
