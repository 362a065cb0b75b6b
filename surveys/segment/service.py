"""Saved segments: named conditions over the attribute snapshot each response carries, e.g.
``[{"field": "attributes.plan", "op": "eq", "value": "enterprise"}]``.

The operators mean exactly what they mean for touchpoint conditions (:mod:`surveys.core.conditions`): a
missing attribute matches only ``ne``, comparing a string with a number simply does not match,
``exists`` is "present and not null". :func:`segment_clause` translates them to SQL over JSONB on
PostgreSQL and JSON1 on SQLite, so a segment filters millions of rows inside the database.
Numbers compare as numbers only when they are JSON numbers within ±(2**53 - 1): a value stored
before :mod:`surveys.core.values` refused such things (a 400-digit integer) is "not a number"
and matches no ``eq/gt/gte/lt/lte``, as in Python, rather than failing the query.
"""

from sqlalchemy import Numeric, and_, case, cast, false, func, literal, not_, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surveys.core.db import is_postgres, workspace_row
from surveys.core.errors import Conflict, NotFound
from surveys.core.values import MAX_SAFE_INTEGER, check_value, is_number
from surveys.response.models import Response
from surveys.segment.models import Segment
from surveys.segment.steps import segment_deleted, segment_saved
from surveys.workspace.models import Workspace


def _json_type(postgres: bool, name: str):
    """The JSON type of ``attributes.name``, spelt the same on both databases; NULL if absent."""
    if postgres:
        return func.jsonb_typeof(Response.attributes[name])
    raw = func.json_type(Response.attributes, f'$."{name}"')
    return case(
        (raw.in_(("integer", "real")), "number"),
        (raw == "text", "string"),
        (raw.in_(("true", "false")), "boolean"),
        else_=raw,
    )


def _number(postgres: bool, name: str, kind):
    """``attributes.name`` as a number, or NULL when it is not one we accept: not a JSON number,
    or beyond ±(2**53 - 1) (:mod:`surveys.core.values`; a value stored before those checks).

    Nested CASEs, because only CASE fixes the order of evaluation in SQL: the cast runs on JSON
    numbers only, and never a cast that can overflow (PostgreSQL numeric holds any JSON number,
    a float cast of a 400-digit one raises)."""
    if postgres:
        raw = cast(Response.attributes[name].as_string(), Numeric)
    else:  # SQLite's json_extract yields the number itself (a real, maybe Inf, when huge)
        raw = Response.attributes[name].as_float()
    in_range = case((func.abs(raw) <= MAX_SAFE_INTEGER, raw), else_=None)
    return case((kind == "number", in_range), else_=None)


def _expected_number(postgres: bool, value):
    # Compared as numeric on PostgreSQL: exact, and no float cast of the column is needed.
    return (
        cast(literal(repr(value) if isinstance(value, float) else str(value)), Numeric) if postgres else value
    )


def _typed(postgres: bool, name: str, value):
    """(type test, comparable SQL value) for comparing ``attributes.name`` with ``value``."""
    kind = _json_type(postgres, name)
    if isinstance(value, bool):
        return kind == "boolean", Response.attributes[name].as_string(), ("true" if value else "false")
    if isinstance(value, int | float):
        if not is_number(value):  # a stored condition older than the checks: matches nothing
            return false(), literal(1), 1
        return kind == "number", _number(postgres, name, kind), _expected_number(postgres, value)
    if value is None:
        return kind == "null", literal(1), 1
    text = Response.attributes[name].as_string()
    if postgres:
        text = text.collate("C")  # code-point order, as Python compares strings
    return kind == "string", text, value


def _boolean(condition):
    # Never NULL: "not (x = 1)" must be true when the attribute is missing, as in Python.
    return case((condition, True), else_=False)


def _eq(postgres: bool, name: str, value):
    if not postgres and isinstance(value, bool):  # SQLite
        kind = func.json_type(Response.attributes, f'$."{name}"')
        return _boolean(kind == ("true" if value else "false"))
    test, column, expected = _typed(postgres, name, value)
    return _boolean(and_(test, column == expected))


def condition_clause(postgres: bool, condition: dict):
    name = condition["field"].split(".", 1)[1]
    op, value = condition["op"], condition.get("value", True)
    if op == "exists":
        kind = _json_type(postgres, name)
        present = _boolean(and_(kind.is_not(None), kind != "null"))
        return present if value else not_(present)
    if op == "eq":
        return _eq(postgres, name, value)
    if op == "ne":
        return not_(_eq(postgres, name, value))
    if op == "in":
        return or_(false(), *[_eq(postgres, name, item) for item in value])
    test, column, expected = _typed(postgres, name, value)
    compare = {
        "gt": column > expected,
        "gte": column >= expected,
        "lt": column < expected,
        "lte": column <= expected,
    }[op]
    return _boolean(and_(test, compare))


def segment_clause(session: Session, conditions: list[dict]):
    postgres = is_postgres(session)
    return and_(true(), *[condition_clause(postgres, c) for c in conditions])


def get_segment(session: Session, *, workspace_id: str, segment_id: str) -> Segment:
    segment = workspace_row(session, Segment, segment_id, workspace_id=workspace_id)
    if segment is None:
        raise NotFound(
            f"No segment with id {segment_id!r} in this workspace.",
            errors={"segment_id": ["unknown segment"]},
        )
    return segment


def filter_for(session: Session, *, workspace_id: str, segment_id: str | None):
    """The SQL condition of a saved segment, or None when no segment is asked for."""
    if not segment_id:
        return None
    segment = get_segment(session, workspace_id=workspace_id, segment_id=segment_id)
    return segment_clause(session, segment.conditions)


def list_segments(session: Session, *, workspace_id: str) -> list[Segment]:
    return list(
        session.execute(
            select(Segment).where(Segment.workspace_id == workspace_id).order_by(Segment.name)
        ).scalars()
    )


def _check_conditions(conditions: list[dict]) -> None:
    """Condition values follow the free-form rules (finite numbers within ±(2**53 - 1)), even
    when they did not come through the API's schema."""
    for index, condition in enumerate(conditions or []):
        check_value(condition.get("value"), f"conditions.{index}.value")


def _save(session: Session, segment: Segment) -> Segment:
    try:
        with session.begin_nested():
            session.add(segment)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"A segment named {segment.name!r} already exists.", errors={"name": ["already used"]}
        ) from None
    return segment


def create_segment(session: Session, *, workspace: Workspace, data: dict) -> Segment:
    _check_conditions(data.get("conditions") or [])
    segment = _save(
        session,
        Segment(
            workspace_id=workspace.id,
            name=data["name"],
            description=data.get("description") or "",
            conditions=data.get("conditions") or [],
        ),
    )
    segment_saved.run(session, segment=segment)
    return segment


def update_segment(session: Session, *, workspace: Workspace, segment_id: str, data: dict) -> Segment:
    segment = get_segment(session, workspace_id=workspace.id, segment_id=segment_id)
    _check_conditions(data.get("conditions") or [])
    before = segment.conditions
    for name in ("name", "description", "conditions"):
        if name in data:
            setattr(segment, name, data[name])
    _save(session, segment)
    segment_saved.run(session, segment=segment, conditions_changed=segment.conditions != before)
    return segment


def delete_segment(session: Session, *, workspace: Workspace, segment_id: str) -> None:
    segment = get_segment(session, workspace_id=workspace.id, segment_id=segment_id)
    session.delete(segment)
    session.flush()
    segment_deleted.run(session, workspace_id=workspace.id, segment_id=segment_id)


DEMO_SEGMENTS = (
    (
        "Starter in EMEA",
        "Small teams in Europe, the Middle East and Africa: price-sensitive.",
        [
            {"field": "attributes.plan", "op": "eq", "value": "starter"},
            {"field": "attributes.region", "op": "eq", "value": "emea"},
        ],
    ),
    (
        "Enterprise in North America",
        "The accounts behind most of the SSO and Salesforce complaints.",
        [
            {"field": "attributes.plan", "op": "eq", "value": "enterprise"},
            {"field": "attributes.region", "op": "eq", "value": "na"},
        ],
    ),
)


def seed_demo_segments(session: Session, workspace: Workspace) -> None:
    """The demo's plan-by-region segments (skipping names another seeding step created)."""
    existing = {s.name for s in list_segments(session, workspace_id=workspace.id)}
    for name, description, conditions in DEMO_SEGMENTS:
        if name not in existing:
            create_segment(
                session,
                workspace=workspace,
                data={"name": name, "description": description, "conditions": conditions},
            )
