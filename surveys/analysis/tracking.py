"""What needs analysis: a flush listener that notices completed answers whose text analysis is due.

An answer needs (re-)analysis when it is stored complete, when a partial widget answer becomes
complete, or when the comment of a complete answer changes, whichever path stored it (hosted form,
email one-click, widget, API, batch, CSV import). :func:`track_responses` marks such rows pending
and hands their ids to the job port (:func:`surveys.core.jobs.defer_analysis`), which asks for an
analysis job after commit. ``create_app`` installs it on the app's session.

An answer without a comment has nothing to analyse: when it is first stored complete (or a partial
one becomes complete), it is marked ``done`` right here, in the transaction that stores it, and no
worker ever sees it. Its ``analysis`` reads as it would after a job (no sentiment, no themes). An
answer whose comment is *removed* still goes through a job, which clears its earlier themes.
"""

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from surveys.core import jobs
from surveys.core.db import new_id, utcnow
from surveys.response.models import Response, has_text


def needs_analysis(response: Response, *, is_new: bool) -> bool:
    if response.completed is False:  # a partial widget answer: analysed once it is complete
        return False
    if is_new:  # ``completed`` defaults to true
        return (response.analysis_status or "pending") == "pending"
    state = inspect(response)
    if state.attrs.completed.history.added == [True]:
        return True
    return bool(response.completed) and state.attrs.comment.history.has_changes()


def nothing_to_analyse(response: Response, *, is_new: bool) -> bool:
    """No comment, and no earlier analysis whose themes a job would have to clear."""
    if has_text(response.comment):
        return False
    return is_new or inspect(response).attrs.completed.history.added == [True]


def track_responses(session: Session, flush_context, instances) -> None:
    """``before_flush``: mark answers needing analysis pending and defer their analysis."""
    now = None
    ids = []
    for obj in (*session.new, *session.dirty):
        is_new = obj in session.new
        if not isinstance(obj, Response) or not needs_analysis(obj, is_new=is_new):
            continue
        now = now or utcnow()
        obj.analysis_attempts = 0
        obj.analysis_error = None
        obj.analysis_lease_until = None
        if nothing_to_analyse(obj, is_new=is_new):
            obj.analysis_status = "done"
            obj.analysis_enqueued_at = None
            continue
        if obj.id is None:
            obj.id = new_id("rsp")  # the id column's own default, needed now for the job
        obj.analysis_status = "pending"
        obj.analysis_enqueued_at = now  # the sweeper leaves it alone while the job is queued
        ids.append(obj.id)
    if ids:
        jobs.defer_analysis(session, ids)
