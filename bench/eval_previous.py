"""Run a previous version of the analyser (``nlp/`` as of a git commit) on texts, in a subprocess.

``bench/eval_nlp.py`` reports every figure beside the analyser version before the current one.
Two versions of the ``nlp`` package cannot live in one process, so :func:`previous_analyses`
extracts ``nlp/`` at :data:`PREVIOUS_REF` with ``git archive`` into a temporary directory (once per
run), runs it in a child Python with that directory first on ``sys.path``, sends the texts as
JSON on stdin and reads ``Analysis.to_dict()`` items back. Same spaCy model and VADER; nothing is
downloaded.
"""

from __future__ import annotations

import functools
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from nlp.results import Analysis

# The last commit of ANALYZER_VERSION 1.2.0 (before the issue 13 theme vocabulary, place
# descriptions and keywords per language).
PREVIOUS_REF = "cd9dc02"
PREVIOUS_VERSION = "1.2.0"
ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from nlp.analyzer import Analyzer
texts = json.load(sys.stdin)
json.dump([a.to_dict() for a in Analyzer(sys.argv[2]).analyze_many(texts)], sys.stdout)
"""


@functools.cache
def _checkout(ref: str) -> str:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "nlp"], capture_output=True, check=True
    ).stdout
    target = tempfile.mkdtemp(prefix="voc-nlp-previous-")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def previous_analyses(taxonomy: str, texts: list[str], ref: str = PREVIOUS_REF) -> list[Analysis]:
    """The analyses the version at ``ref`` makes of ``texts`` with a built-in taxonomy."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, _checkout(ref), taxonomy],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),  # so the current nlp/ is not importable from the cwd
    )
    return [Analysis.from_dict(d) for d in json.loads(done.stdout)]
