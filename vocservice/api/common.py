"""Helpers shared by the API handlers: the blueprint class every API module uses (security and list
responses documented once), cursor pagination and workspace-scoped lookups."""

from collections.abc import Callable

import flask_smorest
from flask import current_app, g
from marshmallow import Schema, fields
from sqlalchemy import Select
from sqlalchemy.orm import Session
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request

from surveys.core.db import workspace_row
from surveys.core.errors import DomainError, NotFound
from vocservice import safety
from vocservice.errors import status_of

SECURITY = [{"bearer": []}]
PAGE_DESCRIPTION = (
    "One page of the list: pass next_cursor back as ?cursor= for the next page; null on the last page."
)


class StrictParser(FlaskParser):
    """webargs reads JSON bodies with the service's one strict parser (vocservice/safety.py)."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return missing
        data = req.get_data(cache=True)
        if not data:
            return missing
        view = current_app.view_functions.get(req.endpoint)
        return safety.loads(data, per_item=getattr(view, "voc_per_item", None))


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprint.

    Security is documented here, once: every view guarded by :func:`vocservice.auth.require` (which
    marks the view with the roles it accepts) is documented with the bearer scheme, so a view
    without that guard is never shown as secured. :meth:`page_response` documents a list's 200
    answer.
    """

    ARGUMENTS_PARSER = StrictParser()

    def route(self, rule, *, parameters=None, tags=None, **options):
        register = super().route(rule, parameters=parameters, tags=tags, **options)

        def decorator(func):
            if getattr(func, "_voc_roles", None) is not None:
                func = doc_only(self.doc(security=SECURITY))(func)
            return register(func)

        return decorator

    def page_response(self, item_schema: type[Schema], *, description: str = PAGE_DESCRIPTION):
        """Document a list's 200 answer as ``{"items": [item_schema], "next_cursor"}``.

        Documentation only: the view returns the body :func:`page` built, unchanged (nothing is
        dumped a second time through the page schema).
        """
        return self.alt_response(200, schema=page_schema(item_schema), description=description, success=True)


def doc_only(decorator: Callable) -> Callable:
    """Apply a flask-smorest decorator (``doc``, ``arguments``, ``response``...) for what it
    writes in the OpenAPI document, without the layer it would add around every call of the
    view: the view (a ``functools.wraps`` wrapper of our own, never a shared function) is
    returned itself, carrying the documentation the decorator built. A view given
    ``arguments`` or ``response`` this way parses its body and builds its answer itself."""

    def apply(func):
        func._apidoc = decorator(func)._apidoc
        return func

    return apply


_PAGE_SCHEMAS: dict[type[Schema], type[Schema]] = {}


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """``<Name>PageSchema``: DESIGN.md's list answer around ``item_schema`` (one class per item
    schema, so the OpenAPI document names it once, e.g. ``SurveyPage``)."""
    if item_schema not in _PAGE_SCHEMAS:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _PAGE_SCHEMAS[item_schema] = type(
            name,
            (Schema,),
            {
                "__doc__": f"A page of {item_schema.__name__.removesuffix('Schema')} items.",
                "items": fields.List(fields.Nested(item_schema)),
                "next_cursor": fields.String(
                    allow_none=True,
                    metadata={"description": "the ?cursor= of the next page; null on the last"},
                ),
            },
        )
    return _PAGE_SCHEMAS[item_schema]


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


def page(
    session: Session,
    query: Select,
    id_column,
    *,
    limit: int,
    cursor: str | None,
    dump: Callable[[object], dict],
) -> dict:
    """One page of ``query`` (see :func:`paginate`) as the list answer ``{"items", "next_cursor"}``,
    each row turned into its body by ``dump`` (e.g. ``SurveySchema().dump``)."""
    items, next_cursor = paginate(session, query, id_column, limit=limit, cursor=cursor)
    return {"items": [dump(item) for item in items], "next_cursor": next_cursor}


def owned(session: Session, model, object_id: str, what: str):
    """Fetch ``object_id`` of the caller's workspace; another workspace's id is simply unknown."""
    obj = workspace_row(session, model, object_id, workspace_id=g.workspace.id)
    if obj is None:
        raise NotFound(f"No {what} with id {object_id!r} in this workspace.")
    return obj


def item_error(index: int, error: DomainError) -> dict:
    """A batch item's result for an item refused on its own (the rest of the batch goes on)."""
    return {"index": index, "status": status_of(error), "detail": error.detail, "errors": error.errors}
