"""The job port: how the domain asks for background work without knowing the transport.

A domain function names a job (one of the constants below) and its arguments with :func:`defer`;
nothing runs yet. When the session commits, the web shell's queue (installed on the app's session
by ``create_app``) takes the deferred jobs with :func:`take_deferred` and puts them on RQ, or runs
them in process without Redis; a rollback drops them. Jobs take ids, never objects.

:func:`defer_analysis` owns the one batching rule for text analysis: ids gathered during a
transaction, from any path, go out as jobs of at most :data:`ANALYSIS_BATCH` answers.
"""

from sqlalchemy.orm import Session

SEND_INVITATION = "send_invitation"
SEND_REMINDER = "send_reminder"
ANALYZE_RESPONSES = "analyze_responses"
REMAP_ROADMAP_ITEM = "remap_roadmap_item"
NAMES = (SEND_INVITATION, SEND_REMINDER, ANALYZE_RESPONSES, REMAP_ROADMAP_ITEM)

# Comments per analysis job: large enough that spaCy's batching pays off, small enough that a
# job finishes in seconds and a lost one costs little.
ANALYSIS_BATCH = 500

_JOBS = "voc_deferred_jobs"
_ANALYSIS = "voc_analysis_ids"


def defer(session: Session, name: str, *args) -> None:
    """Run job ``name(*args)`` once ``session`` commits; forget it if the session rolls back."""
    if name not in NAMES:
        raise ValueError(f"unknown job {name!r}")
    session.info.setdefault(_JOBS, []).append((name, args))


def defer_analysis(session: Session, response_ids) -> None:
    """Analyse these answers after commit, in jobs of at most :data:`ANALYSIS_BATCH`."""
    session.info.setdefault(_ANALYSIS, []).extend(response_ids)


def take_deferred(session: Session) -> list[tuple[str, tuple]]:
    """The jobs deferred on ``session`` since its last commit, analysis ids batched and deduplicated."""
    jobs = session.info.pop(_JOBS, None) or []
    ids = list(dict.fromkeys(session.info.pop(_ANALYSIS, None) or ()))
    for start in range(0, len(ids), ANALYSIS_BATCH):
        jobs.append((ANALYZE_RESPONSES, (ids[start : start + ANALYSIS_BATCH],)))
    return jobs


def drop_deferred(session: Session) -> None:
    session.info.pop(_JOBS, None)
    session.info.pop(_ANALYSIS, None)
