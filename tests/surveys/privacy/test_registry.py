"""Every table that holds a person's data says how erasure treats it, and a table that forgets
to (or a free-text column added later) fails here."""

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text

import surveys.models  # noqa: F401 - registers every table
from surveys.core.db import db
from surveys.privacy import registry


def test_registry_every_table_with_a_person_or_free_text_is_declared():
    mapped = registry.mapped_tables()
    # Every table on the metadata is a mapped class, so none escapes the walk below.
    assert set(db.metadata.tables) == set(mapped)
    problems = [p for name, model in mapped.items() for p in registry.problems(model, model.__table__)]
    assert problems == []
    must = [t for t in db.metadata.tables.values() if registry.needs_declaration(t)]
    assert {"responses", "contacts", "events", "invitations", "analyses", "webhook_messages"} <= {
        t.name for t in must
    }


def test_registry_fails_for_an_undeclared_contact_reference_or_free_text():
    meta = MetaData()
    Table("contacts", meta, Column("id", String(40), primary_key=True))
    cases = Table(
        "cases",
        meta,
        Column("id", Integer, primary_key=True),
        Column("contact_id", String(40), ForeignKey("contacts.id")),
    )
    notes = Table("notes", meta, Column("id", Integer, primary_key=True), Column("body", Text))
    plain = Table("counters", meta, Column("id", Integer, primary_key=True), Column("n", Integer))

    class Undeclared:
        pass

    class Partial:
        __privacy__ = {"action": "delete", "free_text": []}

    class Kept:
        __privacy__ = {"action": "keep", "contact": "contact_id", "why": "no"}

    assert registry.problems(Undeclared, cases) == ["cases: no __privacy__ declaration"]
    assert registry.problems(Undeclared, notes) == ["notes: no __privacy__ declaration"]
    assert registry.problems(Undeclared, plain) == []
    assert any("free text not declared" in p for p in registry.problems(Partial, notes))
    assert any("not declared as contact" in p for p in registry.problems(Partial, cases))
    assert any("refers to a person" in p for p in registry.problems(Kept, cases))


def test_registry_orders_answers_first_and_contacts_last():
    names = [d.table.name for d in registry.declarations()]
    assert names[0] == "responses" and names[-1] == "contacts"
    assert names.index("events") < names.index("contacts")
