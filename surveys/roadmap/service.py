"""The product roadmap: items (what we might build), the themes and keywords that tie customer
feedback to them, and manual links an analyst adds or removes.

Changing an item's themes or keywords records ``remap_requested_at`` and enqueues the
``remap_roadmap_item`` job after commit (the tick re-enqueues it if the queue lost it), so a
request never waits for a scan of every response. Automatic mapping itself lives in
:mod:`surveys.roadmap.mapping`, impact figures in :mod:`surveys.roadmap.impact`.
"""

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys.analysis.models import Theme
from surveys.core import jobs
from surveys.core.db import utcnow, workspace_row
from surveys.core.errors import Conflict, Invalid, NotFound
from surveys.response.models import Response
from surveys.roadmap.models import (
    LINKED,
    STATUSES,
    RoadmapImpact,
    RoadmapItem,
    RoadmapItemCustomer,
    RoadmapItemTheme,
    RoadmapLink,
    RoadmapLinkFact,
)
from surveys.webhook import outbox
from surveys.workspace.models import Workspace

# Issue trackers' states, spelt loosely (case, spaces, "-" and "_" are ignored), to ours.
TRACKER_STATES = {
    "idea": "idea",
    "open": "idea",
    "new": "idea",
    "backlog": "idea",
    "planned": "planned",
    "todo": "planned",
    "to do": "planned",
    "in progress": "in_progress",
    "doing": "in_progress",
    "started": "in_progress",
    "done": "shipped",
    "closed": "shipped",
    "resolved": "shipped",
    "shipped": "shipped",
    "released": "shipped",
}


def normalise_status(value: str) -> str:
    """Our status for one of ours or a common tracker state; Invalid for anything else."""
    key = " ".join(value.replace("_", " ").replace("-", " ").lower().split())
    if key not in TRACKER_STATES:
        raise Invalid(
            f"Unknown status {value!r}.",
            errors={"status": [f"one of {', '.join(STATUSES)} (or open, todo, in progress, done, closed)"]},
        )
    return TRACKER_STATES[key]


def get_item(session: Session, *, workspace_id: str, item_id: str) -> RoadmapItem:
    item = workspace_row(session, RoadmapItem, item_id, workspace_id=workspace_id)
    if item is None:
        raise NotFound(f"No roadmap item with id {item_id!r} in this workspace.")
    return item


def find_by_ref(session: Session, *, workspace_id: str, external_ref: str) -> RoadmapItem | None:
    return session.execute(
        select(RoadmapItem).where(
            RoadmapItem.workspace_id == workspace_id, RoadmapItem.external_ref == external_ref
        )
    ).scalar_one_or_none()


def _check_themes(session: Session, workspace_id: str, theme_ids: list[str]) -> None:
    known = set(
        session.execute(
            select(Theme.id).where(Theme.workspace_id == workspace_id, Theme.id.in_(theme_ids))
        ).scalars()
    )
    unknown = [t for t in theme_ids if t not in known]
    if unknown:
        raise Invalid(
            f"No theme with id {unknown[0]!r} in this workspace.",
            errors={"theme_ids": [f"unknown theme {t!r}" for t in unknown]},
        )


def themes_by_name(session: Session, *, workspace_id: str, names: list[str]) -> list[str]:
    """Theme ids for names (case-insensitive), for imports; Invalid names the unknown ones."""
    rows = dict(
        session.execute(
            select(func.lower(Theme.name), Theme.id).where(Theme.workspace_id == workspace_id)
        ).all()
    )
    unknown = [n for n in names if n.lower() not in rows]
    if unknown:
        raise Invalid(
            f"No theme named {unknown[0]!r} in this workspace.",
            errors={"themes": [f"unknown theme {n!r}" for n in unknown]},
        )
    return list(dict.fromkeys(rows[n.lower()] for n in names))


def _check_ref(session: Session, workspace_id: str, ref: str | None, item_id: str | None) -> None:
    if ref is None:
        return
    other = find_by_ref(session, workspace_id=workspace_id, external_ref=ref)
    if other is not None and other.id != item_id:
        raise Conflict(f"Roadmap item {other.id} already has external_ref {ref!r}.")


def _flush(session: Session, ref: str | None) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # A concurrent request took the external_ref between our check and our insert.
        raise Conflict(f"Another roadmap item already has external_ref {ref!r}.") from None


def request_remap(session: Session, item: RoadmapItem) -> None:
    """Record that the item's automatic links are due and enqueue the job after commit."""
    item.remap_requested_at = utcnow()
    jobs.defer(session, jobs.REMAP_ROADMAP_ITEM, item.id)


def _set_themes(item: RoadmapItem, theme_ids: list[str]) -> None:
    item.theme_links = [RoadmapItemTheme(theme_id=t) for t in theme_ids]


def create_item(session: Session, *, workspace: Workspace, data: dict) -> RoadmapItem:
    _check_themes(session, workspace.id, data.get("theme_ids") or [])
    _check_ref(session, workspace.id, data.get("external_ref"), None)
    item = RoadmapItem(
        workspace_id=workspace.id,
        title=data["title"],
        description=data.get("description") or "",
        status=data.get("status") or "idea",
        keywords=data.get("keywords") or [],
        external_ref=data.get("external_ref"),
    )
    if item.status == "shipped":
        item.shipped_at = utcnow()
    _set_themes(item, data.get("theme_ids") or [])
    session.add(item)
    _flush(session, item.external_ref)
    if item.theme_links or item.keywords:
        request_remap(session, item)
    return item


def update_item(session: Session, *, workspace: Workspace, item_id: str, data: dict) -> RoadmapItem:
    item = get_item(session, workspace_id=workspace.id, item_id=item_id)
    if "theme_ids" in data:
        _check_themes(session, workspace.id, data["theme_ids"])
    if "external_ref" in data:
        _check_ref(session, workspace.id, data["external_ref"], item.id)
    matching_changed = ("keywords" in data and data["keywords"] != list(item.keywords)) or (
        "theme_ids" in data and sorted(data["theme_ids"]) != sorted(item.theme_ids)
    )
    previous_status = item.status
    for field in ("title", "description", "status", "keywords", "external_ref"):
        if field in data:
            setattr(item, field, data[field])
    if "theme_ids" in data and sorted(data["theme_ids"]) != sorted(item.theme_ids):
        _set_themes(item, data["theme_ids"])
    item.updated_at = utcnow()
    if item.status != previous_status:
        # The line its outcome is measured from (surveys.roadmap.outcome); every path that
        # changes a status (API, web app, tracker webhook, CSV import) comes through here.
        item.shipped_at = item.updated_at if item.status == "shipped" else None
    _flush(session, item.external_ref)
    if item.status != previous_status:
        outbox.emit(
            session,
            workspace_id=workspace.id,
            event_type="roadmap_item.status_changed",
            items=[
                {
                    "roadmap_item": {
                        "id": item.id,
                        "title": item.title,
                        "status": item.status,
                        "external_ref": item.external_ref,
                    },
                    "previous_status": previous_status,
                }
            ],
        )
    if matching_changed:
        request_remap(session, item)
    return item


def delete_item(session: Session, *, workspace: Workspace, item_id: str) -> None:
    item = get_item(session, workspace_id=workspace.id, item_id=item_id)
    # Done here as well as by the foreign keys: SQLite does not enforce them by default.
    session.execute(delete(RoadmapLink).where(RoadmapLink.item_id == item.id))
    for model in (RoadmapLinkFact, RoadmapItemCustomer, RoadmapImpact):
        session.execute(delete(model).where(model.item_id == item.id))
    session.delete(item)
    session.flush()


def _linkable_response(session: Session, workspace_id: str, response_id: str) -> Response:
    response = session.get(Response, response_id) if "\x00" not in response_id else None
    if response is None or response.workspace_id != workspace_id or not response.completed:
        raise NotFound(
            f"No response with id {response_id!r} in this workspace.",
            errors={"response_id": ["unknown response"]},
        )
    return response


def link_response(
    session: Session, *, workspace: Workspace, item_id: str, response_id: str
) -> tuple[RoadmapLink, bool]:
    """Link manually; True when a link was made, False when the response was already linked
    (an automatic link becomes manual, so re-mapping will not remove it)."""
    item = get_item(session, workspace_id=workspace.id, item_id=item_id)
    _linkable_response(session, workspace.id, response_id)
    link = session.get(RoadmapLink, (item.id, response_id), with_for_update=True)
    if link is None:
        link = RoadmapLink(item_id=item.id, response_id=response_id, source="manual")
        try:
            with session.begin_nested():
                session.add(link)
                session.flush()
        except IntegrityError:  # a concurrent request or re-mapping made the pair first
            link = session.get(RoadmapLink, (item.id, response_id), populate_existing=True)
            if link is None:
                raise
        else:
            return link, True
    created = link.source not in LINKED
    if link.source != "manual":
        link.source = "manual"
        link.created_at = utcnow() if created else link.created_at
        session.flush()
    return link, created


def unlink_response(session: Session, *, workspace: Workspace, item_id: str, response_id: str) -> None:
    """Remove a link; kept as ``excluded`` so automatic re-mapping never brings it back."""
    item = get_item(session, workspace_id=workspace.id, item_id=item_id)
    link = session.get(RoadmapLink, (item.id, response_id), with_for_update=True)
    if link is None or link.source not in LINKED:
        raise NotFound(f"Response {response_id!r} is not linked to roadmap item {item.id}.")
    link.source = "excluded"
    link.created_at = utcnow()
    session.flush()


def linked_responses_query(item: RoadmapItem):
    """Responses linked to the item (automatically or by hand), for the feedback list."""
    return select(Response).where(
        Response.workspace_id == item.workspace_id,
        Response.id.in_(
            select(RoadmapLink.response_id).where(
                RoadmapLink.item_id == item.id, RoadmapLink.source.in_(LINKED)
            )
        ),
    )


def links_of(session: Session, *, item_id: str, response_ids: list[str]) -> dict[str, dict]:
    """``{response_id: {"source", "evidence"}}`` of the item's links to these responses."""
    if not response_ids:
        return {}
    rows = session.execute(
        select(RoadmapLink.response_id, RoadmapLink.source, RoadmapLink.evidence).where(
            RoadmapLink.item_id == item_id, RoadmapLink.response_id.in_(response_ids)
        )
    )
    return {row.response_id: {"source": row.source, "evidence": list(row.evidence or [])} for row in rows}


def response_items(response: Response) -> list[dict]:
    """The ``roadmap_items`` member of a response's analysis."""
    return [{"id": item.id, "title": item.title} for item in response.roadmap_items]
