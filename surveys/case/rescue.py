"""The rescue rate's facts (``rescue_facts``), kept exact in step with the answers and cases, so
the dashboard's case-loop figures never run a window over 90 days of answers per request.

A fact is one detractor-level answer (completed, scored, with a customer): its score, the score
of the same customer's next completed scored answer to the same survey (ordered by
``submitted_at`` then id, as :func:`surveys.case.stats.rescue` has always ordered them; NULL while
there is none) and whether the answer has a case. Only answers to the same survey by the same
customer decide a fact, so upkeep recomputes whole customers (one ``lead()`` over just those
customers' answers) and writes the facts that differ from the stored ones (a new answer: its own
and its predecessor's), which is exact whatever changed (an answer stored out of order, a score
changed, an answer deleted, a customer unlinked) and cheap (a customer has few answers; both
tables are indexed by customer).

Upkeep, in the writer's transaction (installed by ``surveys.wiring``):

- flushes of answers (:func:`collect` / :func:`apply_collected`): new answers, changes to the
  score, completion, time, survey, workspace or customer (the customer before and after), ORM
  deletions (erasure, retention, ``delete_response``); cases created or deleted through the ORM;
- answers stored set-based (API batches, CSV imports): :func:`on_inserted`
  (``responses_inserted``);
- cases opened (always set-based): :func:`cases_opened`, from
  :func:`surveys.case.service.open_and_assign`;
- a deleted answer's own fact goes by its cascading foreign key, a deleted case's answer's
  ``has_case`` by the flush (cases only go with their answer, or through the ORM); deleting a
  survey, a customer or a workspace by SQL removes whole customers' answers to a survey, so the
  facts left are still exact.

Two transactions writing the same customer's facts take the same PostgreSQL advisory lock (one
of :data:`BUCKETS`, by customer) before recomputing, held to commit: the second one recomputes
from the first one's committed answers and cases, never from a snapshot without them.

Bulk SQL that bypasses the ORM (COPY loads, a raw ``UPDATE`` or ``DELETE`` of answers) is
followed by :func:`rebuild` (``vocservice rollups rebuild``); migration 0026 fills the table from
the answers already stored.
"""

import zlib
from collections.abc import Iterable

from sqlalchemy import (
    delete,
    exists,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from surveys.case.models import Case, RescueFact
from surveys.case.rules import detractor_level
from surveys.core.db import among, chunks, is_postgres
from surveys.response.models import Response
from surveys.survey.models import Survey

CHUNK = 500
BUCKETS = 64  # advisory locks by customer: at most this many per transaction
LOCK_KEY = zlib.crc32(b"vocservice.rescue_facts") & 0x7FFFFFFF
# session.info keys: customers whose facts a flush may have changed, answers whose customer is
# read after the flush, and answers whose case the flush deletes.
DIRTY = "voc_rescue_dirty"
CHANGED = "voc_rescue_changed"
UNCASED = "voc_rescue_uncased"
_TRACKED = (
    "workspace_id",
    "survey_id",
    "submitted_at",
    "contact_id",
    "score",
    "completed",
    "survey",
    "contact",
)
COLUMNS = [
    "response_id",
    "workspace_id",
    "survey_id",
    "contact_id",
    "submitted_at",
    "score",
    "next_score",
    "has_case",
]


def _chunks(values: list):
    return chunks(values, CHUNK)


def facts_query(*where):
    """The facts of the answers ``where`` keeps (conditions on ``responses``), as
    :data:`COLUMNS`: each detractor-level answer with the score of its customer's next answer."""
    answers = (
        select(
            Response.id,
            Response.workspace_id,
            Response.survey_id,
            Response.contact_id,
            Response.submitted_at,
            Response.score,
            Survey.kind,
            func.lead(Response.score)
            .over(
                partition_by=(Response.workspace_id, Response.contact_id, Response.survey_id),
                order_by=(Response.submitted_at, Response.id),
            )
            .label("next_score"),
        )
        .join(Survey, Survey.id == Response.survey_id)
        .where(
            Response.completed.is_(True),
            Response.score.is_not(None),
            Response.contact_id.is_not(None),
            *where,
        )
        .subquery()
    )
    return select(
        answers.c.id,
        answers.c.workspace_id,
        answers.c.survey_id,
        answers.c.contact_id,
        answers.c.submitted_at,
        answers.c.score,
        answers.c.next_score,
        exists().where(Case.response_id == answers.c.id),
    ).where(detractor_level(answers.c.kind, answers.c.score))


def _lock(session: Session, contact_ids: Iterable[str] | None) -> None:
    """Hold (to commit) the advisory locks of these customers' facts (None: all of them), in
    one fixed order, so two writers of the same customer take turns."""
    if not is_postgres(session):
        return  # SQLite: one writer at a time anyway
    if contact_ids is None:
        buckets = list(range(BUCKETS))
    else:
        buckets = sorted({zlib.crc32(c.encode()) % BUCKETS for c in contact_ids})
    if buckets:
        session.connection().execute(
            text(
                "SELECT count(pg_advisory_xact_lock(:key, b)) FROM unnest(CAST(:buckets AS integer[])) AS b"
            ),
            {"key": LOCK_KEY, "buckets": buckets},
        )


def _fact(row) -> tuple:
    """A fact as a comparable tuple (SQLite gives the case flag as 0/1)."""
    return (*row[:-1], bool(row[-1]))


def refresh(session: Session, contact_ids: Iterable[str | None]) -> int:
    """Recompute every fact of these customers from their answers and cases, and write the
    ones that changed (a new answer usually changes its own fact and its predecessor's next
    score); returns how many facts were written or removed."""
    ids = sorted({c for c in contact_ids if c})
    if not ids:
        return 0
    _lock(session, ids)
    conn = session.connection()
    table = RescueFact.__table__
    written = 0
    for chunk in _chunks(ids):
        desired = {
            row[0]: _fact(row)
            for row in conn.execute(facts_query(among(session, Response.contact_id, chunk)))
        }
        stored = {
            row[0]: _fact(row)
            for row in conn.execute(
                select(*[table.c[name] for name in COLUMNS]).where(among(session, table.c.contact_id, chunk))
            )
        }
        stale = sorted(key for key, fact in stored.items() if desired.get(key) != fact)  # gone or changed
        fresh = sorted(key for key, fact in desired.items() if stored.get(key) != fact)  # new or changed
        # A fresh fact replaces its answer's row wherever it is (also under another customer's
        # chunk, when the answer changed customer).
        for part in _chunks(sorted({*stale, *fresh})):
            conn.execute(delete(table).where(among(session, table.c.response_id, part)))
        if fresh:
            conn.execute(insert(table), [dict(zip(COLUMNS, desired[key], strict=True)) for key in fresh])
        written += len(stale) + len(fresh)
    return written


def cases_opened(session: Session, opened: list[dict]) -> None:
    """Cases were just opened (dicts with ``response_id`` and ``contact_id``): their answers'
    facts have a case now."""
    with_contact = [row for row in opened if row.get("contact_id")]
    if not with_contact:
        return
    _lock(session, [row["contact_id"] for row in with_contact])
    table = RescueFact.__table__
    for chunk in _chunks(sorted(row["response_id"] for row in with_contact)):
        session.connection().execute(
            update(table)
            .where(among(session, table.c.response_id, chunk), table.c.has_case.is_not(True))
            .values(has_case=True)
        )


def on_inserted(session: Session, *, rows: list[dict]) -> None:
    """``responses_inserted``: answers stored set-based (API batches, CSV imports)."""
    refresh(session, [row.get("contact_id") for row in rows])


# ---- upkeep on flush ---------------------------------------------------------------------------


def _customer_before(obj: Response):
    """The answer's customer before this flush (as loaded, or as last flushed)."""
    history = inspect(obj).attrs.contact_id.history
    return history.deleted[0] if history.deleted else obj.contact_id


def collect(session: Session, flush_context, instances) -> None:
    """``before_flush``: the customers of answers changed or deleted (before the change), and
    the answers whose customer after the change is read once the flush has run."""
    dirty: set[str] = session.info.setdefault(DIRTY, set())
    changed: list[Response] = session.info.setdefault(CHANGED, [])
    for obj in session.dirty:
        if isinstance(obj, Response) and session.is_modified(obj):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in _TRACKED):
                dirty.add(_customer_before(obj))
                changed.append(obj)
    for obj in session.deleted:
        if isinstance(obj, Response):
            dirty.add(_customer_before(obj))
        elif isinstance(obj, Case):
            session.info.setdefault(UNCASED, set()).add(obj.response_id)


def apply_collected(session: Session, flush_context) -> None:
    """``after_flush``: recompute those customers' facts, with the customers of new answers and
    of answers whose case the flush created or deleted, in the same transaction."""
    dirty: set = session.info.pop(DIRTY, None) or set()
    dirty.update(obj.contact_id for obj in session.info.pop(CHANGED, None) or ())
    cased = set(session.info.pop(UNCASED, None) or ())
    for obj in session.new:
        if isinstance(obj, Response):
            dirty.add(obj.contact_id)
        elif isinstance(obj, Case):
            cased.add(obj.response_id)
    for chunk in _chunks(sorted(cased)):
        dirty.update(
            session.connection()
            .execute(select(Response.contact_id).where(among(session, Response.id, chunk)))
            .scalars()
        )
    refresh(session, dirty)


def drop_collected(session: Session) -> None:
    """``after_rollback``: nothing of the failed flush was stored."""
    for key in (DIRTY, CHANGED, UNCASED):
        session.info.pop(key, None)


# ---- rebuild -----------------------------------------------------------------------------------


def rebuild(session: Session, *, workspace_id: str | None = None) -> int:
    """Recompute the facts from the stored answers and cases (all workspaces or one); returns
    how many there are. After bulk SQL that bypassed the ORM, and what tests compare against."""
    _lock(session, None)
    table = RescueFact.__table__
    scope = [table.c.workspace_id == workspace_id] if workspace_id else []
    conn = session.connection()
    conn.execute(delete(table).where(*scope))
    answers = [Response.workspace_id == workspace_id] if workspace_id else []
    conn.execute(insert(table).from_select(COLUMNS, facts_query(*answers)))
    return conn.execute(select(func.count()).select_from(table).where(*scope)).scalar_one()
