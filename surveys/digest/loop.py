"""Digest sections of the loop domains: the cases opened in the period and those overdue now
(the reader's own first), and the alerts that fired in the period. Registered in
:mod:`surveys.wiring`."""

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from surveys.alert.models import Alert
from surveys.case.models import Case
from surveys.core.db import utcnow
from surveys.digest.sections import DigestContext, Entry, Section

TOP = 3


def alerts_section(session: Session, context: DigestContext) -> Section | None:
    """How many alerts fired in the period, the latest three with their one-line titles."""
    period = context.period
    where = (
        Alert.workspace_id == context.workspace.id,
        Alert.fired_at >= period.start_at,
        Alert.fired_at < period.end_at,
    )
    total = session.execute(select(func.count()).select_from(Alert).where(*where)).scalar_one()
    if not total:
        return None
    latest = session.execute(
        select(Alert.title, Alert.kind, Alert.evidence_path)
        .where(*where)
        .order_by(Alert.fired_at.desc())
        .limit(TOP)
    ).all()
    entries = tuple(
        Entry(text=title, detail=kind.replace("_", " "), url=f"{context.base_url}{path}" if path else None)
        for title, kind, path in latest
    )
    more = f"; the latest {len(entries)} below" if total > len(entries) else ""
    return Section(
        key="alerts",
        title="Alerts fired",
        order=40,
        entries=entries,
        summary=f"{total} alert{'s' if total != 1 else ''} fired{more}.",
        url=f"{context.base_url}/app/alerts",
    )


def cases_section(session: Session, context: DigestContext) -> Section | None:
    """Cases opened in the period and cases overdue now (still open past their due time), with
    how many of each are the reader's; the reader's overdue cases listed first (three at most)."""
    period, workspace_id, user_id = context.period, context.workspace.id, context.user.id
    now = utcnow()
    opened = (
        Case.workspace_id == workspace_id,
        Case.created_at >= period.start_at,
        Case.created_at < period.end_at,
    )
    overdue = (Case.workspace_id == workspace_id, Case.status == "open", Case.due_at <= now)
    mine = Case.owner_id == user_id
    new_total, new_mine = session.execute(
        select(func.count(), func.count().filter(mine)).select_from(Case).where(*opened)
    ).one()
    late_total, late_mine = session.execute(
        select(func.count(), func.count().filter(mine)).select_from(Case).where(*overdue)
    ).one()
    if not new_total and not late_total:
        return None
    late = session.execute(
        select(Case.id, Case.due_at, Case.owner_id)
        .where(*overdue)
        .order_by(case((mine, 0), else_=1), Case.due_at)  # NULL owners too: not by mine.desc()
        .limit(TOP)
    ).all()
    entries = tuple(
        Entry(
            text=f"Overdue since {due_at:%d %b %H:%M} UTC" + (" (yours)" if owner_id == user_id else ""),
            url=f"{context.base_url}/app/cases/{case_id}",
        )
        for case_id, due_at, owner_id in late
    )
    return Section(
        key="cases",
        title="Cases",
        order=30,
        entries=entries,
        summary=(
            f"{new_total} opened in this period ({new_mine} assigned to you); "
            f"{late_total} overdue now ({late_mine} yours)."
        ),
        url=f"{context.base_url}/app/cases?overdue=1",
    )
