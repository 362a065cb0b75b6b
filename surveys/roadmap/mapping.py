"""Automatic mapping of responses to roadmap items.

A response is linked (``source='auto'``) to an item when its analysis carries one of the item's
themes, or its comment contains one of the item's keywords as whole words, case-insensitively.
Two entry points keep the derived links current:

- :func:`map_responses` after a batch of responses got its analysis stored (called by
  ``surveys.analysis.service`` inside the same transaction), for every item of the workspace;
- :func:`remap_item` after an item's themes or keywords changed (a background job), over every
  response of the workspace.

Both rewrite ``auto`` rows only: ``manual`` links and ``excluded`` suppressions are an analyst's
decisions and are never touched, and an excluded pair is never linked automatically again.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from surveys.analysis.models import ResponseTheme
from surveys.core import jobs
from surveys.core.db import lock_rows, upsert_insert, utcnow
from surveys.response.models import Response
from surveys.roadmap import rollups
from surveys.roadmap.models import RoadmapItem, RoadmapItemTheme, RoadmapLink

CHUNK = 1000


def keyword_pattern(keywords: Iterable[str]) -> re.Pattern | None:
    """One regex matching any keyword as whole words; inner spaces match any whitespace run."""
    parts = {
        r"\s+".join(re.escape(word) for word in keyword.split()) for keyword in keywords if keyword.split()
    }
    if not parts:
        return None
    # Longest first, so "per seat" is tried before "per"; \w lookarounds make whole words of
    # keywords that start or end with punctuation too ("c++", ".net").
    alternatives = "|".join(sorted(parts, key=lambda p: (-len(p), p)))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _insert_auto(session: Session, pairs: Iterable[tuple[str, str]]) -> int:
    rows = [
        {"item_id": item_id, "response_id": response_id, "source": "auto", "created_at": utcnow()}
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
    patterns = {item.id: keyword_pattern(item.keywords or ()) for item in items}

    desired: set[tuple[str, str]] = set()
    existing: dict[tuple[str, str], str] = {}
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
        for response in responses:
            for item in items:
                pattern = patterns[item.id]
                if (themes_of_item[item.id] & themes_of_response[response.id]) or (
                    pattern is not None and response.comment and pattern.search(response.comment)
                ):
                    desired.add((item.id, response.id))
        existing.update(
            {
                (row.item_id, row.response_id): row.source
                for row in session.execute(
                    select(RoadmapLink.item_id, RoadmapLink.response_id, RoadmapLink.source).where(
                        RoadmapLink.response_id.in_(chunk)
                    )
                )
            }
        )
    stale = [pair for pair, source in existing.items() if source == "auto" and pair not in desired]
    changed = _delete_auto(session, stale) + _insert_auto(
        session, sorted(pair for pair in desired if pair not in existing)
    )
    # Links and the answers' theme sentiment (the negative share) may have changed.
    rollups.refresh(session, workspace_id=workspace_id, response_ids=response_ids)
    return changed


def _matching_responses(session: Session, item: RoadmapItem) -> set[str]:
    matched: set[str] = set()
    theme_ids = item.theme_ids
    if theme_ids:
        matched.update(
            session.execute(
                select(ResponseTheme.response_id).where(
                    ResponseTheme.workspace_id == item.workspace_id, ResponseTheme.theme_id.in_(theme_ids)
                )
            ).scalars()
        )
    pattern = keyword_pattern(item.keywords or ())
    if pattern is not None:
        # A case-insensitive substring prefilter in the database (over-selects), then the exact
        # whole-word test here.
        words = [" ".join(k.split()) for k in item.keywords if k.split()]
        likes = [Response.comment.ilike(f"%{_escape_like(w)}%", escape="\\") for w in words]
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
        matched.update(row.id for row in rows if pattern.search(row.comment))
    return matched


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def remap_item(session: Session, *, item_id: str) -> dict[str, int] | None:
    """Recompute one item's automatic links over its workspace; None if the item is gone."""
    # An edit of the item committing meanwhile waits for us and then asks for another run,
    # so the newest themes and keywords are never missed.
    query = lock_rows(session, select(RoadmapItem).where(RoadmapItem.id == item_id), of=RoadmapItem)
    item = session.execute(query).scalar_one_or_none()
    if item is None:
        return None
    desired = _matching_responses(session, item)
    existing = dict(
        session.execute(
            select(RoadmapLink.response_id, RoadmapLink.source).where(RoadmapLink.item_id == item.id)
        ).all()
    )
    removed = _delete_auto(
        session, [(item.id, r) for r, source in existing.items() if source == "auto" and r not in desired]
    )
    added = _insert_auto(session, [(item.id, r) for r in sorted(desired) if r not in existing])
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
