"""Corrections teach the workspace: learned rules from analysts' tag corrections.

Removing a theme from an answer teaches two negative contexts for that theme from each quoted
mention: the trigger alone (:func:`nlp.learning.trigger_context`, "fast") and the trigger with the
content word beside it (:func:`nlp.learning.exclusion_context`, "slack channel"). Adding a theme
the analyser missed proposes the lemma of the answer most specific to the theme among the
workspace's own answers (:func:`nlp.learning.propose_keyword`; a lemma keyword finds its
inflections). A rule starts ``proposed``; it becomes ``active`` when an analyst confirms it (one
click), or by itself once taught by ``learn_after`` corrections (``VOC_LEARN_AFTER``, default 2)
*and* borne out by the workspace's answers (:func:`nlp.learning.exclusion_holds`: the analysts
removed the theme from a fair share of the answers the context matches and hardly ever kept it
there; :func:`nlp.learning.keyword_holds`: most answers with the word already carry the theme).
An analyst undoes a rule (``undone``); the service withdraws an active one itself (``undone``
with no one deciding) when a correction contradicts it: a theme removed where a learned keyword
found it, or added to an answer a learned context may have kept it from. Activating or undoing a
rule changes the workspace's taxonomy (``surveys.analysis.themes.workspace_taxonomy`` reads the
active rules) and triggers the same targeted re-analysis a theme edit does. Each rule keeps who
taught it, when, and from which answers. ``bench/learning_curve.py`` simulates this policy with
the same functions.
"""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nlp.keywords import base_form
from nlp.learning import (
    answer_words,
    common_phrases,
    covered_words,
    exclusion_context,
    exclusion_holds,
    in_context,
    keyword_candidates,
    keyword_holds,
    mentions,
    propose_keyword,
    stems,
    trigger_context,
    trigger_words,
    word_stats,
)
from surveys.analysis.models import Analysis, LearnedRule, ResponseTheme, TagCorrection, Theme
from surveys.analysis.themes import taxonomy_changed
from surveys.core.db import contains_pattern, utcnow
from surveys.core.errors import Conflict, NotFound
from surveys.response.models import Response
from surveys.workspace.models import Workspace

DEFAULT_LEARN_AFTER = 2
MAX_RESPONSE_IDS = 50
# The workspace's answers read to judge a lesson: the most recent analyses (phrases, themes).
SAMPLE = 5000


def _sample(session: Session, workspace_id: str) -> dict[str, tuple[list[str], set[str]]]:
    """(noun phrases, theme names) of the workspace's most recent analyses, by answer."""
    rows = session.execute(
        select(Analysis.response_id, Analysis.noun_phrases, Analysis.themes)
        .join(Response, Response.id == Analysis.response_id)
        .where(Response.workspace_id == workspace_id)
        .order_by(Analysis.created_at.desc())
        .limit(SAMPLE)
    ).all()
    seen: dict[str, tuple[list[str], set[str]]] = {}
    for response_id, phrases, themes in rows:
        if response_id not in seen:
            seen[response_id] = (list(phrases or ()), {t["name"] for t in themes or ()})
    return seen


def _exclusion_holds(
    session: Session, workspace_id: str, theme: Theme, rule: LearnedRule, learn_after: int, response_id: str
) -> str | None:
    """Judge a negative context against the answers that still carry the theme (not the answer
    being corrected: its analysis loses the theme after this)."""
    rows = session.execute(
        select(Response.id, Response.comment, Analysis.themes)
        .join(ResponseTheme, ResponseTheme.response_id == Response.id)
        .join(Analysis, Analysis.response_id == Response.id)
        .where(
            ResponseTheme.theme_id == theme.id,
            Response.workspace_id == workspace_id,
            *(Response.comment.ilike(contains_pattern(stem), escape="\\") for stem in stems(rule.phrase)),
        )
        .order_by(Analysis.created_at.desc())
        .limit(SAMPLE)
    ).all()
    matched_ids: list[str] = []
    seen: set[str] = set()
    for answer, comment, themes in rows:
        if answer in seen or answer == response_id:
            continue  # an older analysis of the same answer, or the one corrected now
        seen.add(answer)
        hit = next((h for h in themes or () if h.get("name") == theme.name), None)
        spans = [(e["start"], e["end"]) for e in (hit or {}).get("evidence", ())]
        if spans and in_context(comment or "", spans, rule.phrase):
            matched_ids.append(answer)
    # Of those, the answers an analyst corrected (and so kept the theme in): only the matched ones
    # are looked up, not every correction of the workspace.
    kept = (
        session.execute(
            select(func.count(func.distinct(TagCorrection.response_id))).where(
                TagCorrection.workspace_id == workspace_id, TagCorrection.response_id.in_(matched_ids)
            )
        ).scalar_one()
        if matched_ids
        else 0
    )
    matched = len(matched_ids)
    if not exclusion_holds(rule.corrections, kept, matched, learn_after):
        return None
    return (
        f"applied after {rule.corrections} corrections: removed from {rule.corrections} of the "
        f"{rule.corrections + matched} answers it matches, kept in {kept} corrected"
    )


def _corpus(session: Session, workspace_id: str, theme: Theme, response_id: str, sample=None):
    """The workspace's answers as (words, themes), the one corrected now with the theme added
    (its stored analysis gets it after this)."""
    sample = _sample(session, workspace_id) if sample is None else sample
    return [
        (answer_words(p), t | {theme.name} if rid == response_id else t) for rid, (p, t) in sample.items()
    ]


def _holds(
    session: Session,
    workspace: Workspace,
    theme: Theme,
    rule: LearnedRule,
    learn_after: int,
    response_id: str,
    corpus=None,
) -> str | None:
    """Why the rule applies by itself now, or None while it waits for an analyst."""
    if rule.kind == "exclude":
        return _exclusion_holds(session, workspace.id, theme, rule, learn_after, response_id)
    corpus = _corpus(session, workspace.id, theme, response_id) if corpus is None else corpus
    with_theme, with_word = word_stats(rule.phrase, theme.name, corpus)
    if not keyword_holds(rule.corrections, with_theme, with_word, learn_after):
        return None
    return (
        f"applied after {rule.corrections} corrections: {with_theme} of the {with_word} answers "
        "with the word carry the theme"
    )


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
    corpus=None,
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
    session.flush()
    if rule.status == "proposed" and rule.corrections >= learn_after:
        reason = _holds(session, workspace, theme, rule, learn_after, response_id, corpus)
        if reason:
            _set_status(session, workspace, theme, rule, "active", user_id=None, reason=reason)
    return rule


def _withdraw(session: Session, workspace: Workspace, theme: Theme, kind: str, contradicted) -> None:
    """Undo (as the service) the theme's active rules of ``kind`` a correction contradicts."""
    rules = session.execute(
        select(LearnedRule)
        .where(LearnedRule.theme_id == theme.id, LearnedRule.kind == kind, LearnedRule.status == "active")
        .with_for_update()
    ).scalars()
    for rule in rules:
        if contradicted(rule.phrase):
            _set_status(
                session,
                workspace,
                theme,
                rule,
                "undone",
                user_id=None,
                reason="withdrawn: a later correction contradicted it",
            )


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
        spans = [(e["start"], e["end"]) for e in (hit or {}).get("evidence", ())]
        triggers = {w for start, end in spans for w in trigger_words(comment, start, end)}
        _withdraw(session, workspace, theme, "keyword", lambda k: base_form(k.lower()) in triggers)
        contexts = {
            c
            for start, end in spans
            for c in (trigger_context(comment, start, end), exclusion_context(comment, start, end))
        }
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
        _withdraw(session, workspace, theme, "exclude", lambda c: mentions(comment, c))
        keywords = session.execute(select(Theme.keywords).where(Theme.workspace_id == workspace_id)).scalars()
        covered = covered_words(k for words in keywords for k in words)
        sample = _sample(session, workspace_id)
        common = common_phrases(p for p, _ in sample.values())
        corpus = _corpus(session, workspace_id, theme, response.id, sample)
        word = propose_keyword(keyword_candidates(noun_phrases, covered, common), theme.name, corpus)
        if word:
            rules.append(
                _teach(
                    session,
                    workspace=workspace,
                    theme=theme,
                    kind="keyword",
                    phrase=word[:200],
                    response_id=response.id,
                    user_id=user_id,
                    learn_after=learn_after,
                    corpus=corpus,
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
    reason: str | None = None,
) -> None:
    changes_taxonomy = "active" in (rule.status, status)
    rule.status, rule.decided_by, rule.decided_at, rule.reason = status, user_id, utcnow(), reason
    session.flush()
    if changes_taxonomy:
        # Answers tagged with the theme may lose it; answers with the phrase (or, for a context,
        # any of its words; stems every inflection contains) may gain it.
        keywords = stems(rule.phrase)
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
