"""Tests for nlp.pipeline: model configuration, excluded components and warm-up."""

from __future__ import annotations

import pytest

from nlp import pipeline


def test_pipeline_keeps_only_needed_components() -> None:
    nlp = pipeline.get_nlp()
    assert set(nlp.pipe_names) <= pipeline.KEEP_COMPONENTS
    assert "ner" not in nlp.pipe_names
    assert {"parser", "lemmatizer"} <= set(nlp.pipe_names)


def test_pipeline_is_cached_and_warm_up_loads_both() -> None:
    pipeline.warm_up()
    assert pipeline.get_nlp() is pipeline.get_nlp()
    assert pipeline.get_vader() is pipeline.get_vader()


def test_pipeline_model_name_comes_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pipeline.MODEL_ENV, "no_such_model_pkg")
    assert pipeline.model_name() == "no_such_model_pkg"
    with pytest.raises(RuntimeError, match="not installed"):
        pipeline.get_nlp()
    monkeypatch.delenv(pipeline.MODEL_ENV)
    assert pipeline.model_name() == pipeline.DEFAULT_MODEL
