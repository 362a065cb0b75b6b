"""Tag corrections: analysts remove a wrongly found theme from a response or add a missed one.

A correction is stored in ``tag_corrections`` (the latest verdict per response and theme) and
applied at once to the response's stored analysis and ``response_themes`` rows, so filters and
rollups see it immediately. :func:`corrections_for` and :func:`correct_hits` are what
``surveys.analysis`` calls after matching themes, so a later re-analysis keeps the verdict.
"""

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nlp import ANALYZER_VERSION
from surveys.analysis.learning import DEFAULT_LEARN_AFTER, learn_from_correction
from surveys.analysis.models import ACTIONS, Analysis, ResponseTheme, TagCorrection, Theme
from surveys.analysis.steps import after_analysis
from surveys.core.db import among, lock_rows, utcnow
from surveys.core.errors import Invalid, NotFound
from surveys.response.models import Response

NEUTRAL = {"label": "neutral", "compound": 0.0}


def corrections_for(session: Session, response_ids: list[str]) -> dict[str, dict[str, str]]:
    """``{response_id: {theme_name: "add"|"remove"}}`` for the responses that have any."""
    if not response_ids:
        return {}
    rows = session.execute(
        select(TagCorrection.response_id, Theme.name, TagCorrection.action)
        .join(Theme, Theme.id == TagCorrection.theme_id)
        .where(among(session, TagCorrection.response_id, response_ids))
    ).all()
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        found.setdefault(row.response_id, {})[row.name] = row.action
    return found


def correct_hits(
    hits: list[dict], actions: dict[str, str] | None, sentiment: dict | None = None
) -> list[dict]:
    """The analyser's theme hits with the analysts' verdicts applied.

    A removed theme goes whatever the analyser found; an added one the analyser missed is
    appended without evidence (none was found) and with the comment's overall sentiment, the
    best guess available for a theme the analyser could not scope to a clause.
    """
    if not actions:
        return list(hits)
    kept = [hit for hit in hits if actions.get(hit["name"]) != "remove"]
    present = {hit["name"] for hit in kept}
    for name in sorted(actions):
        if actions[name] == "add" and name not in present:
            kept.append(
                {"name": name, "sentiment": dict(sentiment or NEUTRAL), "evidence": [], "corrected": True}
            )
    return kept


def _current(session: Session, response_id: str) -> Analysis | None:
    rows = session.execute(select(Analysis).where(Analysis.response_id == response_id)).scalars().all()
    current = next((a for a in rows if a.analyzer_version == ANALYZER_VERSION), None)
    return current or max(rows, key=lambda a: a.created_at, default=None)


def _store(
    session: Session, *, workspace_id: str, response_id: str, theme_id: str, action: str, user_id: str | None
) -> TagCorrection:
    query = select(TagCorrection).where(
        TagCorrection.response_id == response_id, TagCorrection.theme_id == theme_id
    )
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        row = TagCorrection(
            workspace_id=workspace_id,
            response_id=response_id,
            theme_id=theme_id,
            action=action,
            user_id=user_id,
        )
        try:
            # A savepoint: a concurrent first correction of the same pair wins the insert,
            # and this one then becomes the later verdict below.
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            row = session.execute(query).scalar_one()
    row.action, row.user_id, row.created_at = action, user_id, utcnow()
    session.flush()
    return row


def correct_tag(
    session: Session,
    *,
    workspace_id: str,
    response_id: str,
    theme_id: str,
    action: str,
    user_id: str | None,
    learn_after: int = DEFAULT_LEARN_AFTER,
) -> TagCorrection:
    """Record a verdict and apply it to the stored analysis now, and learn from it for the
    workspace (surveys.analysis.learning; ``learn_after`` identical lessons make a rule active).
    The caller commits."""
    if action not in ACTIONS:
        raise Invalid(f"Unknown correction {action!r}.", errors={"action": ["add or remove"]})
    # Serialise with a worker analysing this response (it locks the same row and reads the
    # corrections after locking), so neither overwrites the other's result.
    query = lock_rows(session, select(Response).where(Response.id == response_id), of=Response)
    response = session.execute(query).unique().scalar_one_or_none()
    if response is None or response.workspace_id != workspace_id:
        raise NotFound(f"No response with id {response_id!r} in this workspace.")
    theme = session.get(Theme, theme_id)
    if theme is None or theme.workspace_id != workspace_id:
        raise NotFound(
            f"No theme with id {theme_id!r} in this workspace.", errors={"theme_id": ["unknown theme"]}
        )
    correction = _store(
        session,
        workspace_id=workspace_id,
        response_id=response.id,
        theme_id=theme.id,
        action=action,
        user_id=user_id,
    )

    analysis = _current(session, response.id)
    learn_from_correction(
        session,
        workspace_id=workspace_id,
        response=response,
        theme=theme,
        action=action,
        hits=list(analysis.themes) if analysis is not None else [],
        noun_phrases=list(analysis.noun_phrases) if analysis is not None else [],
        user_id=user_id,
        learn_after=learn_after,
    )
    sentiment = None
    if analysis is not None:
        if analysis.sentiment_label is not None:
            sentiment = {"label": analysis.sentiment_label, "compound": analysis.sentiment_compound}
        # A new list, so the JSON column is seen as changed.
        analysis.themes = correct_hits(list(analysis.themes), {theme.name: action}, sentiment)
        # Theme rollups fold in analyses newer than their mark: re-dating this one makes readers
        # use raw rows until the tick has recomputed its day (surveys.metrics.theme_rollups).
        analysis.created_at = utcnow()
    session.execute(
        delete(ResponseTheme).where(
            ResponseTheme.response_id == response.id, ResponseTheme.theme_id == theme.id
        )
    )
    if action == "add":
        hit = next(
            (h for h in (analysis.themes if analysis else []) if h["name"] == theme.name),
            {"sentiment": sentiment or NEUTRAL},
        )
        session.add(
            ResponseTheme(
                response_id=response.id,
                theme_id=theme.id,
                workspace_id=workspace_id,
                sentiment_label=hit["sentiment"]["label"],
                sentiment_compound=hit["sentiment"]["compound"],
                intent=hit.get("intent"),
            )
        )
    session.flush()
    # The answer's themes changed: incremental exports (by updated_at) pick it up again. Plain
    # SQL, so no answer-level flush listener (rollups, webhooks) takes it for a changed answer.
    session.execute(
        update(Response)
        .where(Response.id == response.id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    # What follows a new analysis (roadmap links) follows a correction too.
    after_analysis.run(session, workspace_id=workspace_id, response_ids=[response.id])
    return correction
