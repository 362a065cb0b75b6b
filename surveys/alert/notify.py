"""Telling people about an alert: the ``alert.triggered`` webhook event (written to the outbox in
the transaction that records the alert) and one email per recipient, sent by the
``send_alert_emails`` job from the alert rows themselves (the alert is the email's outbox: the
tick asks for the job again while an alert's email is pending).

Only the workspace's active users are emailed; an endpoint that is disabled is skipped (the rule
page warns about it) and the alert is still recorded and emailed. Customer text is quoted in the
text part as is and escaped in the HTML part.
"""

import hashlib
import logging
from datetime import datetime, timedelta
from email.message import EmailMessage

from markupsafe import escape
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from surveys.alert.models import Alert, AlertRule
from surveys.core import jobs
from surveys.core.db import lock_rows, rfc3339, utcnow
from surveys.invitation import mail
from surveys.invitation.settings import DeliverySettings
from surveys.webhook import outbox
from surveys.webhook.models import WebhookEndpoint
from surveys.workspace.models import User

log = logging.getLogger(__name__)
EVENT = "alert.triggered"
REQUEUE_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 5
BATCH = 50


def recipients(session: Session, rule: AlertRule) -> list[str]:
    wanted = {e.lower() for e in (rule.notify or {}).get("emails") or ()}
    if not wanted:
        return []
    users = session.execute(
        select(User.email).where(User.workspace_id == rule.workspace_id, User.disabled_at.is_(None))
    ).scalars()
    return sorted({e.lower() for e in users} & wanted)


def payload(rule: AlertRule, alert: Alert, base_url: str) -> dict:
    return {
        "alert": {
            "id": alert.id,
            "rule_id": rule.id,
            "rule_name": rule.name,
            "kind": alert.kind,
            "title": alert.title,
            "fired_at": rfc3339(alert.fired_at),
            "window": {"from": rfc3339(alert.window_from), "to": rfc3339(alert.window_to)},
            "figures": alert.figures,
            "p_value": alert.p_value,
            "difference": alert.difference,
            "ci95": alert.ci95,
            "examples": alert.examples,
            "evidence_url": base_url + alert.evidence_path,
        }
    }


def _endpoints(session: Session, rule: AlertRule) -> list[str]:
    named = (rule.notify or {}).get("webhook_endpoint_ids") or []
    if not named:
        return outbox.subscriptions(session, rule.workspace_id).get(EVENT, [])
    return list(
        session.execute(
            select(WebhookEndpoint.id).where(
                WebhookEndpoint.id.in_(named),
                WebhookEndpoint.workspace_id == rule.workspace_id,
                WebhookEndpoint.enabled.is_(True),
            )
        ).scalars()
    )


def announce(session: Session, *, rule: AlertRule, alert: Alert, base_url: str, emails: list[str]) -> None:
    """In the alert's transaction: the webhook event, and the email job after commit."""
    endpoint_ids = _endpoints(session, rule)
    if endpoint_ids:
        outbox.emit(
            session,
            workspace_id=rule.workspace_id,
            event_type=EVENT,
            items=[payload(rule, alert, base_url)],
            endpoint_ids=endpoint_ids,
        )
    if emails:
        jobs.defer_once(session, jobs.SEND_ALERT_EMAILS)


def render(rule: AlertRule, alert: Alert, *, to: str, base_url: str, host: str) -> EmailMessage:
    link = base_url + alert.evidence_path
    lines = [alert.title, "", f"Rule: {rule.name} ({alert.kind})"]
    lines.append(f"Window: {rfc3339(alert.window_from)} to {rfc3339(alert.window_to)}")
    figures = alert.figures or {}
    if alert.difference is not None:
        lines.append(f"Test: {figures.get('test')}")
        lines.append(f"Difference: {alert.difference:+} (95% CI {alert.ci95[0]:+} to {alert.ci95[1]:+})")
        lines.append(f"p-value: {alert.p_value} (alpha {figures.get('alpha')})")
    for example in alert.examples or []:
        quoted = "\n".join("> " + line for line in (example.get("comment") or "").splitlines())
        lines += ["", f"Score {example.get('score')}:", quoted]
    lines += ["", f"See the answers: {link}", f"All alerts: {base_url}/app/alerts"]
    message = mail.plain_message(to=to, subject=f"vocservice alert: {alert.title}", body="\n".join(lines))
    quotes = "".join(
        f"<blockquote><p>Score {escape(e.get('score'))}: {escape(e.get('comment') or '')}</p></blockquote>"
        for e in alert.examples or []
    )
    message.add_alternative(
        f"<!doctype html><html><body><h1>{escape(alert.title)}</h1>"
        f"<p>Rule: {escape(rule.name)} ({escape(alert.kind)})</p>{quotes}"
        f'<p><a href="{escape(link)}">See the answers</a></p></body></html>',
        subtype="html",
    )
    message["Message-ID"] = f"<{alert.id}.{hashlib.sha256(to.encode()).hexdigest()[:12]}@{host}>"
    return message


def due_count(session: Session, *, now: datetime) -> int:
    stale = or_(Alert.email_enqueued_at.is_(None), Alert.email_enqueued_at <= now - REQUEUE_AFTER)
    return len(
        session.execute(select(Alert.id).where(Alert.email_status == "pending", stale).limit(BATCH)).all()
    )


def send_pending(session: Session, *, settings: DeliverySettings, base_url: str) -> dict:
    """Email every pending alert's recipients (each alert under a row lock, skipped by a
    concurrent job); a recipient already emailed for an alert is not emailed again."""
    sent = failed = 0
    while True:
        alert = session.execute(
            lock_rows(
                session,
                select(Alert).where(Alert.email_status == "pending").order_by(Alert.fired_at).limit(1),
                skip_locked=True,
            )
        ).scalar_one_or_none()
        if alert is None:
            break
        rule = session.get(AlertRule, alert.rule_id)
        done = list(alert.emailed_to or [])
        error = None
        for to in recipients(session, rule):
            if to in done:
                continue
            try:
                mail.send_message(
                    render(rule, alert, to=to, base_url=base_url, host=settings.links.host),
                    smtp_url=settings.smtp_url,
                    mail_from=settings.mail_from,
                    outbox_dir=settings.outbox_dir,
                )
            except mail.MailError as exc:
                error = str(exc)[:500]
                break
            done.append(to)
            sent += 1
        alert.emailed_to = done
        alert.email_attempts += 1
        if error is None:
            alert.email_status, alert.email_error = "sent", None
        else:
            failed += 1
            alert.email_error = error
            alert.email_status = "failed" if alert.email_attempts >= MAX_ATTEMPTS else "pending"
            alert.email_enqueued_at = utcnow()  # the tick asks again after REQUEUE_AFTER
        session.commit()
        if error is not None and alert.email_status == "pending":
            break  # the SMTP server is failing: leave the rest to the next job
    return {"sent": sent, "failed": failed}
