"""Insights read from stored analyses: recurring phrases that no theme covers yet.

Phrases come from ``analyses.noun_phrases``, stored (lemmatised) by the worker, so the web
process never loads a language model: what the themes already cover is decided from their
keywords with a light, model-free normalisation.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nlp import ANALYZER_VERSION, Sentiment, emerging_phrases
from nlp import Analysis as NlpAnalysis
from surveys.analysis.models import Analysis, Theme
from surveys.response.models import Response

# The newest analysed comments considered: bounds the cost of one request.
MAX_COMMENTS = 5000


def _singular(word: str) -> str:
    # Enough for matching stored lemmas ("invoices" -> "invoice"), not a lemmatiser.
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ses", "s"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2 and not word.endswith("ss"):
            return word[: -len(suffix)] + repl
    return word


def covered_terms(keyword_lists) -> frozenset[str]:
    """Lower-cased keywords and their singular forms, word by word."""
    terms: set[str] = set()
    for keywords in keyword_lists:
        for keyword in keywords or ():
            lowered = keyword.lower().strip()
            terms.add(lowered)
            terms.add(" ".join(_singular(w) for w in lowered.split()))
    return frozenset(terms)


@dataclass(frozen=True)
class EmergingResult:
    comments: int
    items: list[dict]


def emerging(
    session: Session,
    *,
    workspace_id: str,
    survey_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    min_count: int = 3,
    limit: int = 20,
) -> EmergingResult:
    query = (
        select(Response.id, Response.comment, Analysis.noun_phrases)
        .join(Analysis, Analysis.response_id == Response.id)
        .where(
            Response.workspace_id == workspace_id,
            Analysis.analyzer_version == ANALYZER_VERSION,
            Response.comment.is_not(None),
        )
        .order_by(Response.submitted_at.desc())
        .limit(MAX_COMMENTS)
    )
    if survey_id:
        query = query.where(Response.survey_id == survey_id)
    if start:
        query = query.where(Response.submitted_at >= start)
    if end:
        query = query.where(Response.submitted_at < end)
    rows = session.execute(query).all()
    neutral = Sentiment("neutral", 0.0)
    analyses = [NlpAnalysis(neutral, (), tuple(row.noun_phrases or ())) for row in rows]
    texts = [row.comment for row in rows]
    first_id: dict[str, str] = {}
    for row in rows:
        first_id.setdefault(row.comment, row.id)
    keywords = session.execute(select(Theme.keywords).where(Theme.workspace_id == workspace_id)).scalars()
    phrases = emerging_phrases(texts, analyses, covered_terms(keywords), min_count=min_count, limit=limit)
    items = [
        {
            "phrase": p.phrase,
            "count": p.count,
            "examples": [{"response_id": first_id[text], "comment": text} for text in p.examples],
            # At least this many times more often than in everyday English (nlp.phrases).
            "lift": round(p.lift, 1),
            "variants": [{"phrase": v, "count": n} for v, n in p.variants],
        }
        for p in phrases
    ]
    return EmergingResult(comments=len(rows), items=items)
