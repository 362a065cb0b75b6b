"""The case tables built by migrations 0016 and 0026 match the models (columns, types, indexes, keys)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from surveys.core.db import db

TABLES = {"case_rules", "cases", "case_notes", "rescue_facts"}


def _ours(diff) -> bool:
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item:
            table = getattr(part, "table", None)
            name = getattr(table, "name", None) or getattr(part, "name", None)
            if name in TABLES or (isinstance(part, str) and part in TABLES):
                return True
    return False


def test_case_tables_match_the_models(app_ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, db.metadata) if _ours(d)]
    assert differences == []
