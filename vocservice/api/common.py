"""Helpers shared by the API handlers: cursor pagination and workspace-scoped lookups."""

from flask import g
from sqlalchemy import Select
from sqlalchemy.orm import Session

from surveys.core.errors import NotFound


def paginate(
    session: Session, query: Select, id_column, *, limit: int, cursor: str | None
) -> tuple[list, str | None]:
    """Newest first by time-ordered id; the cursor is the last id of the previous page."""
    if cursor:
        query = query.where(id_column < cursor)
    rows = session.execute(query.order_by(id_column.desc()).limit(limit + 1)).unique().scalars().all()
    items = list(rows[:limit])
    next_cursor = items[-1].id if len(rows) > limit else None
    return items, next_cursor


def owned(session: Session, model, object_id: str, what: str):
    """Fetch ``object_id`` of the caller's workspace; another workspace's id is simply unknown."""
    obj = session.get(model, object_id)
    if obj is None or obj.workspace_id != g.workspace.id:
        raise NotFound(f"No {what} with id {object_id!r} in this workspace.")
    return obj


SECURITY = [{"bearer": []}]
