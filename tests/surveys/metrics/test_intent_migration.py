"""Migration 0025: the tables it changes match the models, and its backfill gives every stored
theme mention the intent of its newest analysis (as the worker would write it)."""

import importlib.util
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text, update

from surveys.analysis.models import ResponseTheme
from surveys.core.db import db
from tests.support.analysis import store_responses
from tests.support.intent import INTENT_COMMENTS

TABLES = {"response_themes", "theme_rollups"}
MIGRATION = Path(__file__).parents[3] / "migrations" / "versions" / "0025_intent.py"


def test_intent_columns_match_the_models(app_ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, db.metadata) if any(t in str(d) for t in TABLES)]
    assert differences == []


def test_backfill_copies_each_mentions_intent_from_its_analysis(app, workspace, run_worker):
    store_responses(app, workspace.workspace.id, [comment for _, _, comment in INTENT_COMMENTS])
    run_worker()
    spec = importlib.util.spec_from_file_location("migration_0025", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context():
        query = select(ResponseTheme.response_id, ResponseTheme.theme_id, ResponseTheme.intent)
        written = set(db.session.execute(query).all())
        assert {"request", "complaint"} <= {intent for *_, intent in written}
        db.session.execute(update(ResponseTheme).values(intent=None))
        db.session.execute(text(migration._BACKFILL))
        assert set(db.session.execute(query).all()) == written
        db.session.rollback()
        db.session.remove()
