"""Automatic mapping of responses to roadmap items.

A response is linked (``source='auto'``) to an item when its analysis carries one of the item's
themes, or its comment contains one of the item's keywords the way theme keywords match: whole
words, case-insensitively, in any regular inflection and, for a keyword of several words, in any
order within one sentence (:class:`nlp.keywords.KeywordMatcher`: "Exporting to CSV" finds
``csv export``). The link keeps its evidence: the words that matched each keyword, and the quoted
words of each of the item's themes found in the answer. Two entry points keep the derived links current:

- :func:`map_responses` after a batch of responses got its analysis stored (called by
  ``surveys.analysis.service`` inside the same transaction), for every item of the workspace;
- :func:`remap_item` after an item's themes or keywords changed (a background job), over every
  response of the workspace.

Both rewrite ``auto`` rows only: ``manual`` links and ``excluded`` suppressions are an analyst's
decisions and are never touched, and an excluded pair is never linked automatically again.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from nlp import ANALYZER_VERSION
from nlp.keywords import KeywordMatcher
from surveys.analysis.models import Analysis, ResponseTheme, Theme
from surveys.core import jobs
from surveys.core.db import chunks, contains_pattern, lock_rows, upsert_insert, utcnow
from surveys.response.models import Response
from surveys.roadmap import rollups
from surveys.roadmap.models import RoadmapItem, RoadmapItemTheme, RoadmapLink

CHUNK = 1000


def _chunks(values: list):
    return chunks(values, CHUNK)


Evidence = list[dict]


def keyword_evidence(matcher: KeywordMatcher, comment: str | None) -> Evidence:
    """The words of ``comment`` that matched the item's keywords, each with its keyword."""
    if not comment or not matcher:
        return []
    return [
        {"keyword": found.keyword, "text": text, "start": start, "end": end}
        for found in matcher.find(comment)
        for text, start, end in found.words
    ]


def theme_evidence(hits: list[dict], names: set[str]) -> Evidence:
    """The quoted words of the analysis hits (stored ``ThemeHit`` dicts) of the themes ``names``."""
    return [
        {"theme": hit["name"], "text": e["text"], "start": e["start"], "end": e["end"]}
        for hit in hits
        if hit.get("name") in names
        for e in hit.get("evidence", ())
    ]


def _analysis_hits(session: Session, response_ids: list[str]) -> dict[str, list[dict]]:
    return dict(
        session.execute(
            select(Analysis.response_id, Analysis.themes).where(
                Analysis.response_id.in_(response_ids), Analysis.analyzer_version == ANALYZER_VERSION
            )
        ).all()
    )


def _insert_auto(session: Session, pairs: Iterable[tuple[str, str]], evidence: dict) -> int:
    rows = [
        {
            "item_id": item_id,
            "response_id": response_id,
            "source": "auto",
            "evidence": evidence.get((item_id, response_id), []),
            "created_at": utcnow(),
        }
        for item_id, response_id in pairs
    ]
    if not rows:
        return 0
    # DO NOTHING: a concurrent mapping (or a manual link made meanwhile) already has the pair,
    # and whichever row is there wins.
    statement = upsert_insert(session, RoadmapLink).on_conflict_do_nothing()
    for chunk in _chunks(rows):
        session.execute(statement, chunk)
    return len(rows)


def _refresh_evidence(session: Session, changed: dict[tuple[str, str], Evidence]) -> None:
    """Rewrite the evidence of automatic links whose matched words changed (text or themes)."""
    for (item_id, response_id), evidence in changed.items():
        session.execute(
            update(RoadmapLink)
            .where(
                RoadmapLink.item_id == item_id,
                RoadmapLink.response_id == response_id,
                RoadmapLink.source == "auto",
            )
            .values(evidence=evidence)
            .execution_options(synchronize_session=False)
        )


def _delete_auto(session: Session, pairs: Iterable[tuple[str, str]]) -> int:
    by_item: dict[str, list[str]] = defaultdict(list)
    for item_id, response_id in pairs:
        by_item[item_id].append(response_id)
    removed = 0
    for item_id, response_ids in by_item.items():
        for chunk in _chunks(response_ids):
            # The source condition is in the statement so a link made manual meanwhile stays.
            removed += session.execute(
                delete(RoadmapLink)
                .where(
                    RoadmapLink.item_id == item_id,
                    RoadmapLink.response_id.in_(chunk),
                    RoadmapLink.source == "auto",
                )
                .execution_options(synchronize_session=False)
            ).rowcount
    return removed


def _theme_names(session: Session, workspace_id: str) -> dict[str, str]:
    return dict(session.execute(select(Theme.id, Theme.name).where(Theme.workspace_id == workspace_id)).all())


def map_responses(session: Session, *, workspace_id: str, response_ids: list[str]) -> int:
    """Rewrite the automatic links of these responses to every item; returns links changed."""
    if not response_ids:
        return 0
    items = session.execute(
        select(RoadmapItem.id, RoadmapItem.keywords).where(RoadmapItem.workspace_id == workspace_id)
    ).all()
    if not items:
        return 0  # no item, so no link can exist either
    themes_of_item: dict[str, set[str]] = defaultdict(set)
    for item_id, theme_id in session.execute(
        select(RoadmapItemTheme.item_id, RoadmapItemTheme.theme_id)
        .join(RoadmapItem, RoadmapItem.id == RoadmapItemTheme.item_id)
        .where(RoadmapItem.workspace_id == workspace_id)
    ):
        themes_of_item[item_id].add(theme_id)
    matchers = {item.id: KeywordMatcher(item.keywords or ()) for item in items}
    names = _theme_names(session, workspace_id)

    desired: dict[tuple[str, str], Evidence] = {}
    existing: dict[tuple[str, str], tuple[str, Evidence]] = {}
    for chunk in _chunks(list(dict.fromkeys(response_ids))):
        responses = session.execute(
            select(Response.id, Response.comment).where(
                Response.id.in_(chunk), Response.workspace_id == workspace_id, Response.completed.is_(True)
            )
        ).all()
        themes_of_response: dict[str, set[str]] = defaultdict(set)
        for response_id, theme_id in session.execute(
            select(ResponseTheme.response_id, ResponseTheme.theme_id).where(
                ResponseTheme.response_id.in_(chunk)
            )
        ):
            themes_of_response[response_id].add(theme_id)
        hits = _analysis_hits(session, chunk)
        for response in responses:
            for item in items:
                shared = themes_of_item[item.id] & themes_of_response[response.id]
                words = keyword_evidence(matchers[item.id], response.comment)
                if shared or words:
                    shared_names = {names[t] for t in shared if t in names}
                    desired[(item.id, response.id)] = words + theme_evidence(
                        hits.get(response.id) or [], shared_names
                    )
        existing.update(
            {
                (row.item_id, row.response_id): (row.source, row.evidence or [])
                for row in session.execute(
                    select(
                        RoadmapLink.item_id, RoadmapLink.response_id, RoadmapLink.source, RoadmapLink.evidence
                    ).where(RoadmapLink.response_id.in_(chunk))
                )
            }
        )
    stale = [pair for pair, (source, _) in existing.items() if source == "auto" and pair not in desired]
    changed = _delete_auto(session, stale) + _insert_auto(
        session, sorted(pair for pair in desired if pair not in existing), desired
    )
    _refresh_evidence(
        session,
        {
            pair: desired[pair]
            for pair, (source, evidence) in existing.items()
            if source == "auto" and pair in desired and desired[pair] != evidence
        },
    )
    # Links and the answers' theme sentiment (the negative share) may have changed.
    rollups.refresh(session, workspace_id=workspace_id, response_ids=response_ids)
    return changed


def _matching_responses(session: Session, item: RoadmapItem) -> dict[str, Evidence]:
    """Every answer of the item's workspace the item should link, with the evidence of each."""
    matched: dict[str, Evidence] = {}
    theme_ids = item.theme_ids
    if theme_ids:
        by_theme: dict[str, set[str]] = defaultdict(set)
        for response_id, theme_id in session.execute(
            select(ResponseTheme.response_id, ResponseTheme.theme_id).where(
                ResponseTheme.workspace_id == item.workspace_id, ResponseTheme.theme_id.in_(theme_ids)
            )
        ):
            by_theme[response_id].add(theme_id)
        names = _theme_names(session, item.workspace_id)
        for chunk in _chunks(list(by_theme)):
            hits = _analysis_hits(session, chunk)
            for response_id in chunk:
                shared = {names[t] for t in by_theme[response_id] if t in names}
                matched[response_id] = theme_evidence(hits.get(response_id) or [], shared)
    matcher = KeywordMatcher(item.keywords or ())
    if matcher:
        # A case-insensitive substring prefilter in the database on a stem every match contains
        # (over-selects), then the exact test here.
        likes = [Response.comment.ilike(contains_pattern(stem), escape="\\") for stem in matcher.stems()]
        rows = session.execute(
            select(Response.id, Response.comment)
            .where(
                Response.workspace_id == item.workspace_id,
                Response.completed.is_(True),
                Response.comment.is_not(None),
                or_(*likes),
            )
            .execution_options(yield_per=2000)
        )
        for row in rows:
            words = keyword_evidence(matcher, row.comment)
            if words:
                matched[row.id] = words + matched.get(row.id, [])
    return matched


def remap_item(session: Session, *, item_id: str) -> dict[str, int] | None:
    """Recompute one item's automatic links over its workspace; None if the item is gone."""
    # An edit of the item committing meanwhile waits for us and then asks for another run,
    # so the newest themes and keywords are never missed.
    query = lock_rows(session, select(RoadmapItem).where(RoadmapItem.id == item_id), of=RoadmapItem)
    item = session.execute(query).scalar_one_or_none()
    if item is None:
        return None
    desired = _matching_responses(session, item)
    existing = {
        row.response_id: (row.source, row.evidence or [])
        for row in session.execute(
            select(RoadmapLink.response_id, RoadmapLink.source, RoadmapLink.evidence).where(
                RoadmapLink.item_id == item.id
            )
        )
    }
    removed = _delete_auto(
        session,
        [(item.id, r) for r, (source, _) in existing.items() if source == "auto" and r not in desired],
    )
    added = _insert_auto(
        session,
        [(item.id, r) for r in sorted(desired) if r not in existing],
        {(item.id, r): evidence for r, evidence in desired.items()},
    )
    _refresh_evidence(
        session,
        {
            (item.id, r): desired[r]
            for r, (source, evidence) in existing.items()
            if source == "auto" and r in desired and desired[r] != evidence
        },
    )
    # Every fact of the item: its themes (the negative share) may have changed, not only links.
    rollups.refresh(session, workspace_id=item.workspace_id, item_id=item.id)
    # Keep updated_at: it tells people when the item was edited, not when it was re-mapped.
    session.execute(
        update(RoadmapItem)
        .where(RoadmapItem.id == item.id)
        .values(remap_requested_at=None, updated_at=RoadmapItem.updated_at)
        .execution_options(synchronize_session=False)
    )
    return {"added": added, "removed": removed}


REMAP_REQUEUE_AFTER = timedelta(minutes=10)
REMAP_SWEEP_LIMIT = 100


def sweep_remaps(session: Session, now: datetime) -> int:
    """Re-enqueue re-mappings requested long ago and never finished (e.g. Redis lost the job)."""
    ids = list(
        session.execute(
            select(RoadmapItem.id)
            .where(RoadmapItem.remap_requested_at < now - REMAP_REQUEUE_AFTER)
            .order_by(RoadmapItem.remap_requested_at)
            .limit(REMAP_SWEEP_LIMIT)
        ).scalars()
    )
    if ids:
        session.execute(
            update(RoadmapItem)
            .where(RoadmapItem.id.in_(ids))
            .values(remap_requested_at=now, updated_at=RoadmapItem.updated_at)
            .execution_options(synchronize_session=False)
        )
    for item_id in ids:
        jobs.defer(session, jobs.REMAP_ROADMAP_ITEM, item_id)
    return len(ids)
