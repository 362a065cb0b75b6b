"""Rollup dimensions a workspace adds to the built-in ones (``rollup_dims``): one per saved
segment, kept from the moment the segment is saved, and any attribute added on purpose.

A new or changed dimension is built from the raw rows in the caller's transaction, holding the
workspace's dimension lock alone (:func:`surveys.metrics.rollups._lock_dims`): answers being
stored meanwhile wait for it, then count themselves with the new dimension, so the rollups stay
exact. Building reads every answer of the workspace once (about a second per million answers),
which a segment's save pays, never a read.
"""

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from surveys.core.db import utcnow
from surveys.core.errors import Invalid
from surveys.metrics import rollups, theme_rollups
from surveys.metrics.models import DailyRollup, RollupDim, RollupMark, ThemeRollup
from surveys.segment.models import Segment

ATTRIBUTE_NAME_MAX = 100


def _replace(session: Session, workspace_id: str, dim: str, conditions: list | None) -> None:
    rollups._lock_dims(session, [workspace_id], exclusive=True)
    session.execute(
        delete(DailyRollup).where(DailyRollup.workspace_id == workspace_id, DailyRollup.dim == dim)
    )
    rollups.insert_extra_dim(session, workspace_id, dim, conditions)
    row = session.get(RollupDim, (workspace_id, dim))
    if row is None:
        session.add(RollupDim(workspace_id=workspace_id, dim=dim, built_at=utcnow()))
    else:
        row.built_at = utcnow()
    session.flush()
    rollups.forget_dims(session)


def segment_saved(session: Session, *, segment: Segment, conditions_changed: bool = True) -> None:
    """After a segment is created or changed: (re)build its daily and theme rollups."""
    dim = rollups.segment_dim(segment.id)
    if not conditions_changed and session.get(RollupDim, (segment.workspace_id, dim)) is not None:
        return
    _replace(session, segment.workspace_id, dim, segment.conditions)
    # Theme rollups per segment exist once theme rollups exist at all (their first build or the
    # tick builds every listed segment's rows with them).
    if session.get(RollupMark, theme_rollups.MARK) is not None:
        theme_rollups.insert_segment(session, segment.workspace_id, segment.id, segment.conditions)


def segment_deleted(session: Session, *, workspace_id: str, segment_id: str) -> None:
    dim = rollups.segment_dim(segment_id)
    rollups._lock_dims(session, [workspace_id], exclusive=True)
    session.execute(
        delete(DailyRollup).where(DailyRollup.workspace_id == workspace_id, DailyRollup.dim == dim)
    )
    session.execute(delete(ThemeRollup).where(ThemeRollup.segment_key == segment_id))
    session.execute(delete(RollupDim).where(RollupDim.workspace_id == workspace_id, RollupDim.dim == dim))
    rollups.forget_dims(session)


def add_attribute(session: Session, *, workspace_id: str, name: str) -> bool:
    """Keep rollups of one more snapshot attribute for a workspace (built now); False when they
    are kept already."""
    if not name or len(name) > ATTRIBUTE_NAME_MAX or not name.replace("_", "").replace("-", "").isalnum():
        raise Invalid("Attribute names are letters, digits, '-' and '_'.", errors={"name": ["invalid name"]})
    dim = f"attributes.{name}"
    if name in rollups.ROLLUP_ATTRIBUTES or session.get(RollupDim, (workspace_id, dim)) is not None:
        return False
    _replace(session, workspace_id, dim, None)
    return True


def attributes(session: Session, *, workspace_id: str) -> list[str]:
    """The attributes whose rollups a workspace keeps (built-in ones first)."""
    added = session.execute(
        select(RollupDim.dim).where(
            RollupDim.workspace_id == workspace_id, RollupDim.dim.startswith("attributes.")
        )
    ).scalars()
    return [*rollups.ROLLUP_ATTRIBUTES, *sorted(d.split(".", 1)[1] for d in added)]
