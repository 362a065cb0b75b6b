"""Insights read from stored analyses: recurring phrases that no theme covers yet.

Phrases come from ``analyses.noun_phrases``, stored by the worker, so this never parses text;
only the workspace's analyser (cached per taxonomy version) is needed, for the lemma forms of
its keywords that decide what is already covered.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nlp import ANALYZER_VERSION, Sentiment, emerging_phrases
from nlp import Analysis as NlpAnalysis
from surveys.analysis_models import Analysis
from surveys.models import Response
from surveys.themes import workspace_analyzer

# The newest analysed comments considered: bounds the cost of one request.
MAX_COMMENTS = 5000


@dataclass(frozen=True)
class EmergingResult:
    comments: int
    items: list[dict]


def emerging(session: Session, *, workspace_id: str, survey_id: str | None = None,
             start: datetime | None = None, end: datetime | None = None, min_count: int = 3,
             limit: int = 20) -> EmergingResult:
    query = (
        select(Response.id, Response.comment, Analysis.noun_phrases)
        .join(Analysis, Analysis.response_id == Response.id)
        .where(Response.workspace_id == workspace_id, Analysis.analyzer_version == ANALYZER_VERSION,
               Response.comment.is_not(None))
        .order_by(Response.submitted_at.desc()).limit(MAX_COMMENTS)
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
    analyzer, _ = workspace_analyzer(session, workspace_id)
    phrases = emerging_phrases(texts, analyses, analyzer.covered_terms, min_count=min_count,
                               limit=limit)
    items = [{"phrase": p.phrase, "count": p.count,
              "examples": [{"response_id": first_id[text], "comment": text} for text in p.examples]}
             for p in phrases]
    return EmergingResult(comments=len(rows), items=items)
