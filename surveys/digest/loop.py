"""Digest sections of the loop domains: the alerts that fired in the period (and, once cases
have landed, the new and overdue cases). Registered in :mod:`surveys.wiring`."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from surveys.alert.models import Alert
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
