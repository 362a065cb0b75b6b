"""Analysing stored responses: the worker side of text analysis.

:func:`analyze_responses` takes response ids and, for those completed and still ``pending``:

1. *claims* them in a short committed transaction (row locks with ``SKIP LOCKED`` on PostgreSQL):
   ``analysis_attempts`` goes up by one and ``analysis_enqueued_at`` is refreshed, so a worker
   that dies or times out mid-batch leaves a durable trace;
2. *analyses* them under row locks, one ``Analyzer.analyze_many`` call per workspace, and stores
   the result in the same transaction that marks them ``done``: an upsert keyed on (response,
   analyser version) plus a rewrite of their ``response_themes`` rows. A crash before the commit
   leaves nothing behind; a rerun replaces rather than adds.

Rows that come back with attempts already counted were in a batch that did not finish: on their
first retry they are analysed in small units of :data:`RETRY_UNIT`, and after that one at a time,
so that one poisonous comment (one that kills the worker) fails alone after :data:`MAX_ATTEMPTS`
instead of taking the whole batch with it, while a batch that died for another reason (a deploy,
an operator's kill) is redone at nearly batch speed.

A claim also takes a short *lease* (``analysis_lease_until``, :data:`LEASE`): while it runs, no
other worker claims the row; once it has passed, the row is free again, so answers claimed by a
worker that was killed are picked up within the lease (the worker's own watcher and the tick ask
for a job when they see one) rather than after the sweeper's window. The row locks taken while
analysing, and the ``pending`` condition re-checked under them, are what keep an answer from being
analysed twice; the lease only decides when abandoned work is taken up again.

:func:`analyze_pending` is the job the port asks for: the oldest claimable answers, at most
:data:`~surveys.core.jobs.ANALYSIS_BATCH`, asking for a successor once it has claimed them if
more are waiting, so a backlog drains in full batches and spreads over as many workers as run.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, not_, or_, select, update
from sqlalchemy.orm import Session

from nlp import ANALYZER_VERSION
from nlp import Analysis as NlpAnalysis
from surveys.analysis.corrections import correct_hits, corrections_for
from surveys.analysis.models import Analysis, ResponseTheme, Theme
from surveys.analysis.steps import after_analysis
from surveys.analysis.themes import workspace_analyzer
from surveys.core import jobs
from surveys.core.bulk import insert_rows
from surveys.core.db import among, is_postgres, lock_rows, new_id, upsert_insert, utcnow
from surveys.core.errors import NotFound
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
BATCH = 200
RETRY_UNIT = 25
# How long a claim keeps other workers off an answer: well above the seconds a batch of
# ANALYSIS_BATCH comments takes, and short enough that a killed worker's answers resume promptly.
LEASE = timedelta(seconds=30)
# A comment whose analysis raised is tried again after this long.
RETRY_AFTER = timedelta(minutes=5)


@dataclass
class AnalyzeResult:
    done: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0  # missing, partial, already analysed, or being analysed by another worker


def _locked(session: Session, query):
    # Rows another worker is analysing are skipped, not waited for.
    return lock_rows(session, query, of=Response, skip_locked=True)


def claimable(now: datetime):
    """Completed answers waiting for analysis that no live worker holds."""
    return (
        (Response.analysis_status == "pending")
        & Response.completed.is_(True)
        & or_(Response.analysis_lease_until.is_(None), Response.analysis_lease_until <= now)
    )


def _claim(session: Session, ids: list[str], result: AnalyzeResult) -> dict[str, list[str]]:
    """Count an attempt on each claimable row, lease it and commit; returns claimed ids by workspace."""
    now = utcnow()
    rows = session.execute(
        _locked(
            session,
            select(Response.id, Response.workspace_id, Response.analysis_attempts).where(
                among(session, Response.id, ids), claimable(now)
            ),
        )
    ).all()
    exhausted = [r.id for r in rows if r.analysis_attempts >= MAX_ATTEMPTS]
    if exhausted:
        session.execute(
            update(Response)
            .where(among(session, Response.id, exhausted))
            .values(
                analysis_status="failed",
                analysis_enqueued_at=None,
                analysis_lease_until=None,
                analysis_error=f"gave up after {MAX_ATTEMPTS} attempts: the worker died or timed out"
                " while analysing this comment",
            )
            .execution_options(synchronize_session=False)
        )
        result.failed += len(exhausted)
    claimed: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.analysis_attempts < MAX_ATTEMPTS:
            claimed[row.workspace_id].append(row.id)
    flat = [i for group in claimed.values() for i in group]
    if flat:
        session.execute(
            update(Response)
            .where(among(session, Response.id, flat))
            .values(
                analysis_attempts=Response.analysis_attempts + 1,
                analysis_enqueued_at=now,
                analysis_lease_until=now + LEASE,
            )
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return claimed


def _analyse_texts(analyzer, texts: list[str]) -> list[NlpAnalysis | Exception]:
    try:
        return list(analyzer.analyze_many(texts))
    except Exception:  # noqa: BLE001 - find the culprit(s); the rest of the batch is kept
        log.warning("batch analysis failed; retrying its %d comments one by one", len(texts))
    outcomes: list[NlpAnalysis | Exception] = []
    for text in texts:
        try:
            outcomes.append(analyzer.analyze(text))
        except Exception as exc:  # noqa: BLE001
            outcomes.append(exc)
    return outcomes


_UPDATED = (
    "taxonomy_version",
    "sentiment_label",
    "sentiment_compound",
    "themes",
    "noun_phrases",
    "intent",
    "cues",
    "language",
    "created_at",
)


def _upsert(session: Session, rows: list[dict]) -> None:
    if is_postgres(session):  # one small statement for the whole batch (surveys.core.bulk)
        insert_rows(
            session,
            Analysis.__table__,
            rows,
            on_conflict=(
                "ON CONFLICT (response_id, analyzer_version) DO UPDATE SET "
                + ", ".join(f"{name} = EXCLUDED.{name}" for name in _UPDATED)
            ),
        )
        return
    stmt = upsert_insert(session, Analysis)
    stmt = stmt.on_conflict_do_update(
        index_elements=["response_id", "analyzer_version"],
        set_={name: stmt.excluded[name] for name in _UPDATED},
    )
    session.execute(stmt, rows)


def _analyse_unit(session: Session, workspace_id: str, ids: list[str], result: AnalyzeResult) -> None:
    # Plain columns, not entities: loading 200 full rows (JSON snapshots and all) would cost
    # more than storing their results.
    responses = session.execute(
        _locked(
            session,
            select(
                Response.id,
                Response.comment,
                Response.analysis_attempts,
            ).where(
                among(session, Response.id, ids),
                Response.completed.is_(True),
                Response.analysis_status == "pending",
            ),
        )
    ).all()
    result.skipped += len(ids) - len(responses)
    if not responses:
        session.rollback()
        return
    # Read after the rows are locked: a theme change committing later waits for our commit
    # and then marks these rows pending again, so a newer taxonomy is never lost.
    with_text = [r for r in responses if r.comment and r.comment.strip()]
    outcomes: dict[str, NlpAnalysis | Exception | None] = {r.id: None for r in responses}
    if with_text:
        analyzer, version = workspace_analyzer(session, workspace_id)
        texts = _analyse_texts(analyzer, [r.comment for r in with_text])
        outcomes.update(zip([r.id for r in with_text], texts, strict=True))
    else:
        version = session.get(Workspace, workspace_id).taxonomy_version

    now = utcnow()
    stored, theme_rows = [], []
    theme_ids = dict(
        session.execute(select(Theme.name, Theme.id).where(Theme.workspace_id == workspace_id)).all()
    )
    # Read under the row locks, like the themes: analysts' tag corrections win over the analyser.
    corrections = corrections_for(session, [r.id for r in responses])
    for response in responses:
        outcome = outcomes[response.id]
        if isinstance(outcome, Exception):
            give_up = response.analysis_attempts >= MAX_ATTEMPTS
            session.execute(
                update(Response)
                .where(Response.id == response.id)
                .values(
                    analysis_status="failed" if give_up else "pending",
                    analysis_error=f"{type(outcome).__name__}: {outcome}"[:2000],
                    analysis_enqueued_at=now,
                    analysis_lease_until=now + RETRY_AFTER,  # then free for a worker again
                )
                .execution_options(synchronize_session=False)
            )
            result.failed += give_up
            result.retrying += not give_up
            continue
        data = outcome.to_dict() if outcome is not None else None
        hits = correct_hits(
            data["themes"] if data else [], corrections.get(response.id), data["sentiment"] if data else None
        )
        stored.append(
            {
                "id": new_id("an"),
                "response_id": response.id,
                "analyzer_version": ANALYZER_VERSION,
                "taxonomy_version": version,
                "sentiment_label": data["sentiment"]["label"] if data else None,
                "sentiment_compound": data["sentiment"]["compound"] if data else None,
                "themes": hits,
                "noun_phrases": data["noun_phrases"] if data else [],
                "intent": data["intent"] if data else None,
                "cues": data["cues"] if data else [],
                "language": data["language"] if data else None,
                "created_at": now,
            }
        )
        for hit in hits:
            if hit["name"] in theme_ids:
                theme_rows.append(
                    {
                        "response_id": response.id,
                        "theme_id": theme_ids[hit["name"]],
                        "workspace_id": workspace_id,
                        "sentiment_label": hit["sentiment"]["label"],
                        "sentiment_compound": hit["sentiment"]["compound"],
                        "intent": hit.get("intent"),
                    }
                )
    done_ids = [row["response_id"] for row in stored]
    if done_ids:
        _upsert(session, stored)
        session.execute(
            delete(ResponseTheme)
            .where(among(session, ResponseTheme.response_id, done_ids))
            .execution_options(synchronize_session=False)
        )
        insert_rows(session, ResponseTheme.__table__, theme_rows)
        after_analysis.run(session, workspace_id=workspace_id, response_ids=done_ids)
        session.execute(
            update(Response)
            .where(among(session, Response.id, done_ids))
            .values(
                analysis_status="done",
                analysis_enqueued_at=None,
                analysis_lease_until=None,
                analysis_attempts=0,
                analysis_error=None,
            )
            .execution_options(synchronize_session=False)
        )
    session.commit()
    result.done += len(done_ids)


def analyze_responses(session: Session, *, response_ids: list[str], _on_claimed=None) -> AnalyzeResult:
    """Analyse the completed, pending responses among ``response_ids``; idempotent."""
    result = AnalyzeResult()
    ids = list(dict.fromkeys(response_ids))
    if not ids:
        return result
    attempts = dict(
        session.execute(
            select(Response.id, Response.analysis_attempts).where(
                among(session, Response.id, ids),
                Response.completed.is_(True),
                Response.analysis_status == "pending",
            )
        ).all()
    )
    session.rollback()  # end the read-only transaction before claiming
    result.skipped += len(ids) - len(attempts)
    return _analyse_claimable(session, ids, attempts, result, _on_claimed)


def _analyse_claimable(
    session: Session, ids: list[str], attempts: dict[str, int], result: AnalyzeResult, _on_claimed
) -> AnalyzeResult:
    """Claim and analyse ``ids`` (pending when read, with these attempts counted), in units."""
    fresh = [i for i in ids if attempts.get(i) == 0]
    once = [i for i in ids if attempts.get(i) == 1]
    retried = [i for i in ids if attempts.get(i, 0) > 1]
    units = [fresh] + [once[n : n + RETRY_UNIT] for n in range(0, len(once), RETRY_UNIT)]
    units += [[i] for i in retried]
    try:
        for unit in units:
            if not unit:
                continue
            claimed = _claim(session, unit, result)
            result.skipped += len(unit) - sum(len(v) for v in claimed.values())
            if _on_claimed is not None:
                _on_claimed()
                _on_claimed = None
            groups = list(claimed.items())
            for index, (workspace_id, group) in enumerate(groups):
                if index:  # the later workspaces' answers wait unlocked: keep them leased
                    _renew(session, [i for _, g in groups[index:] for i in g])
                _analyse_unit(session, workspace_id, group, result)
    except Exception:
        session.rollback()
        raise
    return result


def _renew(session: Session, ids: list[str]) -> None:
    session.execute(
        update(Response)
        .where(among(session, Response.id, ids), Response.analysis_status == "pending")
        .values(analysis_lease_until=utcnow() + LEASE)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def analyze_pending(session: Session, *, limit: int = jobs.ANALYSIS_BATCH) -> AnalyzeResult:
    """Analyse the oldest claimable answers, at most ``limit``; the port's ``analyze_pending`` job.

    Once they are claimed, and if more are waiting, it defers another ``analyze_pending`` (sent
    when it commits), which a second worker can start while this one analyses.
    """
    attempts = dict(
        session.execute(
            select(Response.id, Response.analysis_attempts)
            .where(claimable(utcnow()))
            .order_by(Response.id)
            .limit(limit)
        ).all()
    )
    session.rollback()
    if not attempts:
        return AnalyzeResult()
    ids = list(attempts)

    def successor() -> None:
        # Claimable beyond this job's answers (NOT IN as one array parameter, see surveys.core.db.among).
        more = session.execute(
            select(exists().where(claimable(utcnow()), not_(among(session, Response.id, ids))))
        ).scalar()
        if more:
            jobs.defer(session, jobs.ANALYZE_PENDING)
        session.commit()

    return _analyse_claimable(session, ids, attempts, AnalyzeResult(), successor)


def abandoned(session: Session, *, now: datetime | None = None) -> bool:
    """Whether some pending answer's lease has passed: a claim that died with its worker (or a
    failed analysis due for its retry). Read by the worker's watcher, which then asks for a job."""
    now = now or utcnow()
    found = session.execute(
        select(
            exists().where(
                Response.analysis_status == "pending",
                Response.completed.is_(True),
                Response.analysis_lease_until <= now,
            )
        )
    ).scalar()
    session.rollback()
    return bool(found)


def warm_up(session: Session, *, comments: int = 1000, workspaces: int = 20) -> int:
    """Build the busiest workspaces' analysers and run recent comments through them, unstored.

    Called by the worker before it forks: the compiled analysers are then inherited by every
    work horse, and so are the vocabulary entries spaCy adds for words it has not seen (lost
    with each horse otherwise, and re-added by every job at a measurable cost).
    """
    rows = session.execute(
        select(Response.workspace_id, Response.comment)
        .where(Response.comment.is_not(None), Response.completed.is_(True))
        .order_by(Response.id.desc())
        .limit(comments)  # ids are time-ordered: an index scan
    ).all()
    by_workspace: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_workspace[row.workspace_id].append(row.comment)
    busiest = sorted(by_workspace, key=lambda ws: -len(by_workspace[ws]))[:workspaces]
    for workspace_id in busiest:
        analyzer, _ = workspace_analyzer(session, workspace_id)
        analyzer.analyze_many(by_workspace[workspace_id])
    session.rollback()
    return sum(len(by_workspace[ws]) for ws in busiest)


def mark_for_reanalysis(
    session: Session, *, workspace_id: str | None = None, survey_id: str | None = None
) -> list[str]:
    """Put completed responses (all, one workspace's or one survey's) back to pending.

    Only those with a comment: an answer without one has nothing for the analyser, and what its
    stored analysis holds (no sentiment; themes only from analysts' corrections, applied when
    made) would come out of a job unchanged. One whose comment was removed is pending already.
    """
    condition = [
        Response.completed.is_(True),
        Response.comment.is_not(None),
        func.trim(Response.comment) != "",
    ]
    if survey_id is not None:
        survey = session.get(Survey, survey_id)
        if survey is None or (workspace_id and survey.workspace_id != workspace_id):
            raise NotFound(f"No survey with id {survey_id!r}.")
        condition.append(Response.survey_id == survey_id)
    if workspace_id is not None:
        condition.append(Response.workspace_id == workspace_id)
    ids = (
        session.execute(
            update(Response)
            .where(*condition)
            .values(
                analysis_status="pending",
                analysis_attempts=0,
                analysis_error=None,
                analysis_enqueued_at=utcnow(),
                analysis_lease_until=None,
            )
            .returning(Response.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    return sorted(ids)


def current_analysis(response: Response) -> Analysis | None:
    """The analysis of this analyser version, else the newest older one (shown while pending)."""
    rows = list(response.analyses)
    current = next((a for a in rows if a.analyzer_version == ANALYZER_VERSION), None)
    return current or max(rows, key=lambda a: a.created_at, default=None)


def serialize_analysis(response: Response) -> dict:
    """DESIGN.md's ``analysis`` member of a response: status, overall sentiment, themes, and
    (added by issue 13) the comment's intent, language and the cues behind a sentiment no word
    states."""
    row = current_analysis(response)
    sentiment = None
    if row is not None and row.sentiment_label is not None:
        sentiment = {"label": row.sentiment_label, "compound": row.sentiment_compound}
    return {
        "status": response.analysis_status,
        "sentiment": sentiment,
        "intent": row.intent if row is not None else None,
        "language": row.language if row is not None else None,
        "cues": list(row.cues or []) if row is not None else [],
        "themes": list(row.themes) if row is not None else [],
    }
