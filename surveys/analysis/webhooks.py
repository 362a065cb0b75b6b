"""``response.analyzed`` webhook events: registered on the ``after_analysis`` hook, so they are
written in the transaction that stores an analysis or a tag correction, with the answer, its
sentiment, its intent and its themes (each with its sentiment, the quoted evidence and what the
mention wants)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.analysis.models import Analysis
from surveys.core.db import among
from surveys.response.models import Response
from surveys.response.webhooks import COLUMNS, response_data
from surveys.webhook import outbox


def _analysis(row: Analysis | None) -> dict:
    if row is None:
        return {"sentiment": None, "intent": None, "themes": []}
    sentiment = None
    if row.sentiment_label is not None:
        sentiment = {"label": row.sentiment_label, "compound": row.sentiment_compound}
    # A mention analysed before intents existed, or a theme added by a correction, has none.
    themes = [{**hit, "intent": hit.get("intent")} for hit in row.themes or []]
    return {"sentiment": sentiment, "intent": row.intent, "themes": themes}


def emit_analyzed(session: Session, *, workspace_id: str, response_ids: list[str]) -> None:
    endpoint_ids = outbox.subscriptions(session, workspace_id).get("response.analyzed")
    if not endpoint_ids or not response_ids:
        return
    columns = [getattr(Response, name) for name in COLUMNS]
    rows = [
        row._asdict()
        for row in session.execute(select(*columns).where(among(session, Response.id, response_ids)))
    ]
    latest: dict[str, Analysis] = {}
    query = (
        select(Analysis)
        .where(among(session, Analysis.response_id, response_ids))
        .order_by(Analysis.created_at)
    )
    query = query.execution_options(populate_existing=True)  # rows upserted by plain SQL
    for analysis in session.execute(query).scalars():
        latest[analysis.response_id] = analysis  # the newest wins
    data = response_data(session, rows)
    outbox.emit(
        session,
        workspace_id=workspace_id,
        event_type="response.analyzed",
        items=[{"response": data[row["id"]], "analysis": _analysis(latest.get(row["id"]))} for row in rows],
        endpoint_ids=endpoint_ids,
    )
