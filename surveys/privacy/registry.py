"""What personal data each table holds and how erasure treats it, read from the models.

Every mapped class whose table references a person (a foreign key to ``contacts`` or
``responses``) or holds free text (Text, JSON, or a String of 200 characters or more) declares
``__privacy__``, a plain dict (so lower domains import nothing from here):

- ``action``: ``"delete"`` (rows of the erased person go), ``"anonymise"`` (never used by erasure,
  which deletes; retention anonymises answers), ``"keep"`` (no customer's personal data: say
  ``why``), or ``"mentions"`` (logs: rows whose free text mentions the person go);
- ``contact``: the column holding a contact id; rows with an erased contact's id are deleted;
- ``response``: the column holding an answer id; rows of an erased answer are deleted;
- ``free_text``: every free-text column (checked against the table: a new column must be
  declared too);
- ``orm``: delete through the session (one object at a time, in batches), so the flush listeners
  that keep rollups exact see each row go;
- ``why``: for ``keep``, in a few words.

Erasure (:mod:`surveys.privacy.erasure`) walks these declarations, so a new table that holds a
contact or answer reference is erased by declaring it; ``tests/surveys/privacy/test_registry.py``
fails for a table that holds such data and declares nothing.
"""

from dataclasses import dataclass

from sqlalchemy import JSON, String, Table, Text

from surveys.core.db import db

ACTIONS = ("delete", "anonymise", "keep", "mentions")
KEYS = {"action", "contact", "response", "free_text", "orm", "why"}
PERSON_TABLES = ("contacts", "responses")


@dataclass(frozen=True)
class Declaration:
    table: Table
    model: type
    action: str
    contact: str | None
    response: str | None
    free_text: tuple[str, ...]
    orm: bool


def is_free_text(column) -> bool:
    kind = column.type
    if isinstance(kind, JSON | Text) or getattr(kind, "impl", None).__class__ is JSON:
        return True
    if isinstance(kind, String) and not isinstance(kind, Text):
        return (kind.length or 10_000) >= 200
    return False


def free_text_columns(table: Table) -> set[str]:
    return {column.name for column in table.columns if is_free_text(column)}


def person_references(table: Table) -> set[str]:
    """Columns of ``table`` that point at a contact or an answer (by foreign key)."""
    by_key = {fk.parent.name for fk in table.foreign_keys if fk.column.table.name in PERSON_TABLES}
    # Derived tables copy the ids without a foreign key (so deletes reach them in order).
    by_name = {name for name in ("contact_id", "response_id") if name in table.columns}
    return by_key | by_name


def needs_declaration(table: Table) -> bool:
    return bool(person_references(table) or free_text_columns(table)) or table.name in PERSON_TABLES


def problems(model, table: Table) -> list[str]:
    """What is wrong with ``model``'s declaration (empty when it is complete)."""
    spec = model.__dict__.get("__privacy__")
    if spec is None:
        return [f"{table.name}: no __privacy__ declaration"] if needs_declaration(table) else []
    found = []
    if set(spec) - KEYS:
        found.append(f"{table.name}: unknown keys {sorted(set(spec) - KEYS)}")
    if spec.get("action") not in ACTIONS:
        found.append(f"{table.name}: action must be one of {ACTIONS}")
    missing = free_text_columns(table) - set(spec.get("free_text", ()))
    if missing:
        found.append(f"{table.name}: free text not declared: {sorted(missing)}")
    for key in ("contact", "response"):
        if spec.get(key) and spec[key] not in table.columns:
            found.append(f"{table.name}: {key} column {spec[key]!r} does not exist")
    referenced = {spec.get("contact"), spec.get("response")}
    undeclared = person_references(table) - referenced
    if undeclared and spec.get("action") != "keep":
        found.append(f"{table.name}: references {sorted(undeclared)} not declared as contact/response")
    if spec.get("action") == "keep" and (person_references(table) or spec.get("contact")):
        found.append(f"{table.name}: refers to a person but keeps its rows")
    if spec.get("action") == "keep" and not spec.get("why"):
        found.append(f"{table.name}: 'keep' needs a 'why'")
    return found


def mapped_tables() -> dict[str, type]:
    """table name -> mapped class, for every class on the shared metadata."""
    found = {}
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        if isinstance(table, Table):
            found.setdefault(table.name, mapper.class_)
    return found


def declarations() -> list[Declaration]:
    """Every declaration, children first: rows that point at answers, answers, rows that point at
    contacts, contacts."""
    found = []
    for model in mapped_tables().values():
        spec = model.__dict__.get("__privacy__") or {}
        if spec.get("action") not in ("delete", "mentions"):
            continue
        found.append(
            Declaration(
                table=model.__table__,
                model=model,
                action=spec["action"],
                contact=spec.get("contact"),
                response=spec.get("response"),
                free_text=tuple(spec.get("free_text", ())),
                orm=bool(spec.get("orm")),
            )
        )

    def order(decl: Declaration) -> tuple[int, str]:
        if decl.table.name == "contacts":
            return (3, decl.table.name)
        if decl.table.name == "responses":
            return (0, decl.table.name)
        return (1 if decl.response else 2, decl.table.name)

    return sorted(found, key=order)
