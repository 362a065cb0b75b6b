"""The embedded default's own database: a SQLite file per test, with every table.

Only tests of what the embedded mode itself does differently live here (SQL spelt for SQLite,
ORM reads where PostgreSQL pipelines, no foreign keys, no advisory locks); everything else runs on
the real PostgreSQL and Redis of ``tests/conftest.py``."""

import pytest
from sqlalchemy import create_engine

import surveys.models  # noqa: F401 - every table
from surveys.core.db import db


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'voc.db'}")
    db.metadata.create_all(engine)
    yield engine
    engine.dispose()
