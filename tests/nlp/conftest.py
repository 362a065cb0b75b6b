"""Fixtures for the pure text-analysis tests: no database, Redis or network.

The suite-wide autouse fixture that empties PostgreSQL and Redis is overridden here with a no-op,
so ``pytest tests/nlp`` runs without either server. Analysers are built once per session because
compiling matchers and loading spaCy dominate the cost of these tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nlp.analyzer import Analyzer


@pytest.fixture(autouse=True)
def _clean_stores() -> Iterator[None]:
    yield


@pytest.fixture(scope="session")
def restaurant() -> Analyzer:
    return Analyzer("restaurant")


@pytest.fixture(scope="session")
def saas() -> Analyzer:
    return Analyzer("saas")


@pytest.fixture(scope="session")
def app_reviews() -> Analyzer:
    return Analyzer("app-reviews")


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    override = os.environ.get("VOC_EVAL_DIR")
    path = Path(override) if override else Path(__file__).resolve().parents[3] / "shared/eval/dev"
    if not path.is_dir():
        pytest.skip(f"evaluation data not found at {path}")
    return path
