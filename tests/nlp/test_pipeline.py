"""Tests for nlp.pipeline: model configuration, excluded components and warm-up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from nlp import pipeline
from nlp.analyzer import Analyzer
from nlp.lexicon import DOMAIN_LEXICON


@pytest.fixture
def cold_pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    """Forget the process's loaded models and count every real load from here on."""
    import spacy
    import vaderSentiment.vaderSentiment as vader_module

    loads: Counter = Counter()
    spacy_load = spacy.load
    vader_class = vader_module.SentimentIntensityAnalyzer

    def counting_spacy_load(*args, **kwargs):
        loads["spacy"] += 1
        return spacy_load(*args, **kwargs)

    class CountingVader(vader_class):
        def __init__(self, *args, **kwargs) -> None:
            loads["vader"] += 1
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(spacy, "load", counting_spacy_load)
    monkeypatch.setattr(vader_module, "SentimentIntensityAnalyzer", CountingVader)
    pipeline._load_nlp.cache_clear()
    pipeline._load_vader.cache_clear()
    yield loads


def test_pipeline_keeps_only_needed_components() -> None:
    nlp = pipeline.get_nlp()
    assert set(nlp.pipe_names) <= pipeline.KEEP_COMPONENTS
    assert "ner" not in nlp.pipe_names
    assert {"parser", "lemmatizer"} <= set(nlp.pipe_names)


def test_pipeline_warm_up_loads_each_model_once(cold_pipeline: Counter) -> None:
    assert cold_pipeline == {}
    pipeline.warm_up()
    assert cold_pipeline == {"spacy": 1, "vader": 1}

    # Everything after warm-up is served from the cache: no second load, the same objects.
    nlp, vader = pipeline.get_nlp(), pipeline.get_vader()
    assert pipeline.get_nlp() is nlp and pipeline.get_vader() is vader
    assert Analyzer("saas").nlp is nlp
    assert cold_pipeline == {"spacy": 1, "vader": 1}
    assert pipeline._load_nlp.cache_info().misses == 1
    assert pipeline._load_vader.cache_info().misses == 1
    # The warmed VADER carries the domain lexicon.
    assert all(vader.lexicon[word] == value for word, value in DOMAIN_LEXICON.items())


def test_pipeline_warm_up_runs_a_document_through_the_cached_model(cold_pipeline: Counter) -> None:
    nlp = pipeline.get_nlp()
    lexemes = len(nlp.vocab)
    warm_words = ("billing", "quickly", "support")  # from warm-up's own sentence
    assert not any(word in nlp.vocab for word in warm_words)

    pipeline.warm_up()
    # Warm-up parsed its sentence with the pipeline already loaded (not a new one), so the
    # vocabulary that forked work horses inherit grew by that sentence's words.
    assert cold_pipeline["spacy"] == 1
    assert pipeline.get_nlp() is nlp
    assert all(word in nlp.vocab for word in warm_words)
    grown = len(nlp.vocab)
    assert grown > lexemes
    # A second warm-up is a no-op: nothing new to load or learn.
    pipeline.warm_up()
    assert len(nlp.vocab) == grown
    assert cold_pipeline == {"spacy": 1, "vader": 1}


def test_pipeline_model_name_comes_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pipeline.MODEL_ENV, "no_such_model_pkg")
    assert pipeline.model_name() == "no_such_model_pkg"
    with pytest.raises(RuntimeError, match="not installed"):
        pipeline.get_nlp()
    monkeypatch.delenv(pipeline.MODEL_ENV)
    assert pipeline.model_name() == pipeline.DEFAULT_MODEL
