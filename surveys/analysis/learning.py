"""Corrections teach the workspace: learned rules from analysts' tag corrections.

Removing a theme from an answer learns a negative context for that theme from each quoted
mention (:func:`nlp.learning.exclusion_context`: the trigger and the content word beside it);
adding a theme the analyser missed proposes the answer's first specific phrase no keyword covers
(:func:`nlp.learning.propose_phrase`). A rule starts ``proposed``; it becomes ``active`` when an
analyst confirms it (one click) or once the same rule was taught by ``learn_after`` corrections
(a setting the caller passes, ``VOC_LEARN_AFTER``, default 3), and ``undone`` when an analyst
undoes it. Activating or undoing a rule changes the workspace's taxonomy
(``surveys.analysis.themes.workspace_taxonomy`` reads the active rules) and triggers the same targeted
re-analysis a theme edit does. Each rule keeps who taught it, when, and from which answers.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nlp.learning import common_phrases, exclusion_context, propose_phrase
from surveys.analysis.models import Analysis, LearnedRule, Theme
from surveys.analysis.themes import taxonomy_changed
from surveys.core.db import utcnow
from surveys.core.errors import Conflict, NotFound
from surveys.response.models import Response
from surveys.workspace.models import Workspace

DEFAULT_LEARN_AFTER = 3
MAX_RESPONSE_IDS = 50
# Comments read to tell a specific phrase from one found everywhere ("app", "place").
COMMON_SAMPLE = 2000


def _common(session: Session, workspace_id: str) -> frozenset[str]:
    rows = session.execute(
        select(Analysis.noun_phrases)
        .join(Response, Response.id == Analysis.response_id)
        .where(Response.workspace_id == workspace_id)
        .order_by(Analysis.created_at.desc())
        .limit(COMMON_SAMPLE)
    ).scalars()
    return common_phrases(list(rows))


def _teach(
    session: Session,
    *,
    workspace: Workspace,
    theme: Theme,
    kind: str,
    phrase: str,
    response_id: str,
    user_id: str | None,
    learn_after: int,
) -> LearnedRule:
    query = select(LearnedRule).where(
        LearnedRule.workspace_id == workspace.id,
        LearnedRule.theme_id == theme.id,
        LearnedRule.kind == kind,
        LearnedRule.phrase == phrase,
    )
    rule = session.execute(query.with_for_update()).scalar_one_or_none()
    if rule is None:
        rule = LearnedRule(
            workspace_id=workspace.id,
            theme_id=theme.id,
            kind=kind,
            phrase=phrase,
            status="proposed",
            corrections=0,
            response_ids=[],
            created_by=user_id,
        )
        try:
            with session.begin_nested():  # a concurrent correction may teach the same rule first
                session.add(rule)
                session.flush()
        except IntegrityError:
            rule = session.execute(query.with_for_update()).scalar_one()
    if response_id not in rule.response_ids:
        rule.corrections += 1
        rule.response_ids = [*rule.response_ids, response_id][-MAX_RESPONSE_IDS:]
    if rule.status == "proposed" and rule.corrections >= learn_after:
        _set_status(session, workspace, theme, rule, "active", user_id=None)
    session.flush()
    return rule


def learn_from_correction(
    session: Session,
    *,
    workspace_id: str,
    response: Response,
    theme: Theme,
    action: str,
    hits: list[dict],
    noun_phrases: list[str],
    user_id: str | None,
    learn_after: int = DEFAULT_LEARN_AFTER,
) -> list[LearnedRule]:
    """The rules one correction teaches (``hits`` are the analysis' theme hits before it)."""
    workspace = session.get(Workspace, workspace_id)
    comment = response.comment or ""
    rules: list[LearnedRule] = []
    if action == "remove":
        hit = next((h for h in hits if h.get("name") == theme.name), None)
        contexts = {exclusion_context(comment, e["start"], e["end"]) for e in (hit or {}).get("evidence", ())}
        for context in sorted(c for c in contexts if c):
            rules.append(
                _teach(
                    session,
                    workspace=workspace,
                    theme=theme,
                    kind="exclude",
                    phrase=context[:200],
                    response_id=response.id,
                    user_id=user_id,
                    learn_after=learn_after,
                )
            )
    elif action == "add" and comment:
        keywords = session.execute(select(Theme.keywords).where(Theme.workspace_id == workspace_id)).scalars()
        covered = {k.lower() for words in keywords for k in words}
        phrase = propose_phrase(noun_phrases, covered, _common(session, workspace_id))
        if phrase:
            rules.append(
                _teach(
                    session,
                    workspace=workspace,
                    theme=theme,
                    kind="keyword",
                    phrase=phrase[:200],
                    response_id=response.id,
                    user_id=user_id,
                    learn_after=learn_after,
                )
            )
    return rules


def _set_status(
    session: Session,
    workspace: Workspace,
    theme: Theme,
    rule: LearnedRule,
    status: str,
    *,
    user_id: str | None,
) -> None:
    changes_taxonomy = "active" in (rule.status, status)
    rule.status, rule.decided_by, rule.decided_at = status, user_id, utcnow()
    session.flush()
    if changes_taxonomy:
        # Answers tagged with the theme may lose it; answers with the phrase (or, for a context,
        # any of its words, as base forms every inflection contains) may gain it.
        keywords = [rule.phrase] if rule.kind == "keyword" else rule.phrase.split()
        taxonomy_changed(session, workspace, theme_id=theme.id, keywords=keywords)


def _owned(session: Session, workspace_id: str, rule_id: str) -> LearnedRule:
    rule = session.get(LearnedRule, rule_id, with_for_update=True) if "\x00" not in rule_id else None
    if rule is None or rule.workspace_id != workspace_id:
        raise NotFound(f"No learned rule with id {rule_id!r} in this workspace.")
    return rule


def decide(
    session: Session, *, workspace: Workspace, rule_id: str, status: str, user_id: str | None
) -> LearnedRule:
    """Confirm (``active``) or undo (``undone``) a learned rule. The caller commits."""
    rule = _owned(session, workspace.id, rule_id)
    if rule.status == status:
        raise Conflict(f"The rule is already {status}.")
    _set_status(session, workspace, session.get(Theme, rule.theme_id), rule, status, user_id=user_id)
    return rule


def list_rules_query(workspace_id: str, status: str | None = None):
    query = select(LearnedRule).where(LearnedRule.workspace_id == workspace_id)
    return query.where(LearnedRule.status == status) if status else query


def rules_taught_by(session: Session, *, theme_id: str, response_id: str) -> list[LearnedRule]:
    """The theme's rules a correction of this answer taught (proposed or active)."""
    rules = session.execute(
        select(LearnedRule).where(LearnedRule.theme_id == theme_id, LearnedRule.status != "undone")
    ).scalars()
    return [r for r in rules if response_id in (r.response_ids or [])]
