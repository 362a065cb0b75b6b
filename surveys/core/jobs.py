"""The job port: how the domain asks for background work without knowing the transport.

A domain function names a job (one of the constants below) and its arguments with :func:`defer`;
nothing runs yet. When the session commits, the web shell's queue (installed on the app's session
by ``create_app``) takes the deferred jobs with :func:`take_deferred` and puts them on RQ, or runs
them in process without Redis; a rollback drops them. Jobs take ids, never objects.

:func:`defer_analysis` owns the one batching rule for text analysis: answers marked pending during
a transaction, from any path, are not sent as ids; the commit asks for one ``analyze_pending`` job,
which takes the oldest pending answers (at most :data:`ANALYSIS_BATCH`) from the database and asks
for a successor while more are waiting. The transport keeps at most one such job queued, so
answers that arrive together, in one transaction or in many near-simultaneous ones, are analysed
together, and a backlog drains in jobs of :data:`ANALYSIS_BATCH`.
"""

from sqlalchemy.orm import Session

SEND_INVITATION = "send_invitation"
SEND_REMINDER = "send_reminder"
# Analyse these ids (the older form; still run for jobs already queued).
ANALYZE_RESPONSES = "analyze_responses"
# Analyse the oldest pending answers, at most ANALYSIS_BATCH; no arguments.
ANALYZE_PENDING = "analyze_pending"
REMAP_ROADMAP_ITEM = "remap_roadmap_item"
# Deliver the outbound webhooks that are due; no arguments (the delivery rows say what is due).
DELIVER_WEBHOOKS = "deliver_webhooks"
# Send one digest email (the digests row says what and to whom).
SEND_DIGEST = "send_digest"
# Carry out one erasure request (surveys.privacy.erasure); its row says what is due.
ERASE_PERSON = "erase_person"
# Email the recipients of alerts whose email is pending; no arguments (the alert rows say what).
SEND_ALERT_EMAILS = "send_alert_emails"
# Email case owners what was assigned to them or went overdue, one email each; no arguments.
NOTIFY_CASE_OWNERS = "notify_case_owners"
# Score the customers whose answers or attributes arrived set-based since they were last scored;
# no arguments (the rows say who: surveys.customer.steps.score_stale).
SCORE_CUSTOMERS = "score_customers"
NAMES = (
    SEND_INVITATION,
    SEND_REMINDER,
    ANALYZE_RESPONSES,
    ANALYZE_PENDING,
    REMAP_ROADMAP_ITEM,
    DELIVER_WEBHOOKS,
    SEND_DIGEST,
    ERASE_PERSON,
    SEND_ALERT_EMAILS,
    NOTIFY_CASE_OWNERS,
    SCORE_CUSTOMERS,
)

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


def defer_once(session: Session, name: str, *args) -> None:
    """:func:`defer`, unless the same job is already deferred on ``session``."""
    if (name, args) not in session.info.get(_JOBS, ()):
        defer(session, name, *args)


def defer_analysis(session: Session, response_ids) -> None:
    """These answers, marked pending in this transaction, are to be analysed after commit.

    The ids only say that there is work: the worker finds pending answers in the database.
    """
    found = session.info.get(_ANALYSIS, 0)
    session.info[_ANALYSIS] = found + len(list(response_ids))


def take_deferred(session: Session) -> list[tuple[str, tuple]]:
    """The jobs deferred on ``session`` since its last commit; one ``analyze_pending`` for any
    number of answers marked pending."""
    jobs = session.info.pop(_JOBS, None) or []
    if session.info.pop(_ANALYSIS, 0) and (ANALYZE_PENDING, ()) not in jobs:
        jobs.append((ANALYZE_PENDING, ()))
    return jobs


def drop_deferred(session: Session) -> None:
    session.info.pop(_JOBS, None)
    session.info.pop(_ANALYSIS, None)
