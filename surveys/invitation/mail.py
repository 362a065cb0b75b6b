"""Invitation email: rendering (text + HTML with one-click score links, RFC 8058 unsubscribe),
sending over SMTP, and honouring unsubscribes.

Message-IDs are derived from the invitation (and whether it is the reminder), so a retried
delivery carries the same id and receivers can drop the duplicate. Without an SMTP server the
message is written to ``instance/mail/`` instead (the embedded demo mode).
"""

import logging
import re
import smtplib
import ssl
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from surveys.contact.models import Contact
from surveys.core.db import utcnow
from surveys.core.errors import NotFound
from surveys.core.hooks import Hook
from surveys.invitation.models import Invitation
from surveys.invitation.settings import Links
from surveys.survey import i18n
from surveys.survey.models import Survey
from surveys.survey.scales import SCALES
from surveys.workspace.models import Workspace

log = logging.getLogger(__name__)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")

# HTML is escaped; the text part is plain text, where HTML escaping would only garble names.
_env = Environment(
    loader=PackageLoader("surveys.invitation", "templates/email"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


# Steps ``step(session, invitation, strings) -> str | None`` that add a line of news above the
# question (a roadmap re-survey tells the customer what shipped); the first line given is shown.
invitation_notes = Hook("invitation_notes")


class MailError(RuntimeError):
    """Sending failed; the message was not accepted by the SMTP server."""


def render_invitation(invitation: Invitation, *, links: Links, reminder: bool = False) -> EmailMessage:
    session = object_session(invitation)
    workspace = session.get(Workspace, invitation.workspace_id) if session else None
    contact = invitation.contact
    if not contact.email:
        raise MailError(f"contact {contact.external_id!r} has no email address")
    locale = i18n.pick_locale(None, contact.locale, (), invitation.survey)
    notes = invitation_notes.collect(session, invitation, i18n.strings(locale)) if session else []
    return compose(
        survey=invitation.survey,
        workspace=workspace,
        contact_name=contact.name,
        contact_email=contact.email,
        locale=locale,
        token=invitation.token,
        message_id=f"{invitation.id}{'.reminder' if reminder else ''}",
        links=links,
        reminder=reminder,
        note=notes[0] if notes else None,
    )


def compose(
    *,
    survey: Survey,
    workspace: Workspace | None,
    contact_name: str | None,
    contact_email: str,
    locale: str,
    token: str,
    message_id: str,
    links: Links,
    reminder: bool = False,
    note: str | None = None,
) -> EmailMessage:
    """The invitation email for one recipient, in ``locale`` (one the survey has text in).

    Needs no stored invitation, so the web app previews exactly what :func:`render_invitation`
    sends, with sample values and without sending anything."""
    text = i18n.strings(locale)
    brand = i18n.branding(workspace)
    sender_name = brand["name"] or "us"
    form_url = links.survey_url(token)
    low, high = SCALES[survey.kind]
    low_label, high_label = i18n.scale_labels(survey.kind, locale)
    context = {
        "lang": locale,
        "t": text,
        "brand": brand,
        "reminder": reminder,
        "survey": i18n.survey_text(survey, locale),
        "greeting": (
            text["email_greeting"].format(name=contact_name)
            if contact_name
            else text["email_greeting_anonymous"]
        ),
        "scores": [(n, f"{form_url}?score={n}") for n in range(low, high + 1)],
        "low_label": low_label,
        "high_label": high_label,
        "form_url": form_url,
        "unsubscribe_url": links.unsubscribe_url(token),
        "why": text["email_why"].format(name=sender_name),
        "note": note,
    }
    message = EmailMessage()
    subject_key = "reminder_subject" if reminder else "email_subject"
    # Header values must be one line; names come from customers' systems.
    message["Subject"] = _one_line(text[subject_key].format(name=sender_name))
    message["To"] = Address(display_name=_one_line(contact_name or ""), addr_spec=contact_email)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = f"<{message_id}@{links.host}>"
    message["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"  # tells auto-responders not to answer
    message.set_content(_env.get_template("invitation.txt").render(context))
    message.add_alternative(_env.get_template("invitation.html").render(context), subtype="html")
    return message


def plain_message(*, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text notice to a user of the service (not a respondent)."""
    message = EmailMessage()
    message["Subject"] = _one_line(subject)
    message["To"] = to
    message["Date"] = format_datetime(utcnow())
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _recipients(message: EmailMessage) -> list[str]:
    return [
        address.addr_spec
        for field in ("To", "Cc", "Bcc")
        for address in getattr(message[field], "addresses", ())
        if address.addr_spec
    ]


def send_message(
    message: EmailMessage, *, smtp_url: str | None, mail_from: str, outbox_dir: Path = Path("instance/mail")
) -> Path | None:
    """Send ``message``; returns the file written to ``outbox_dir`` when there is no SMTP server."""
    if "From" not in message:
        message["From"] = mail_from
    if not smtp_url:
        return _write_eml(message, outbox_dir)
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError(
            f"SMTP_URL must look like smtp://host:port or smtps://user:pass@host:465, "
            f"not {parts.scheme or '?'}://..."
        )
    host, port = parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25)
    recipients = _recipients(message)
    if not recipients:
        raise MailError("the message has no recipients")
    context = ssl.create_default_context()
    try:
        if parts.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=30, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=30)
        with client:
            client.ehlo()
            if parts.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            refused = client.send_message(message, from_addr=parseaddr(mail_from)[1], to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
        raise MailError(f"SMTP delivery via {host}:{port} failed: {exc}") from exc
    if refused:
        raise MailError(f"SMTP server at {host}:{port} refused {', '.join(refused)}")
    return None


def _write_eml(message: EmailMessage, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", (message["Message-ID"] or "message").strip("<>"))
    path = folder / f"{datetime.now().strftime('%Y%m%dT%H%M%S')}-{stem}.eml"
    path.write_bytes(message.as_bytes())
    log.info("no SMTP_URL: wrote email to %s for %s", path, message["To"])
    return path


def _by_token(session: Session, token: str) -> Invitation:
    invitation = None
    if _TOKEN.fullmatch(token or ""):  # NUL bytes and the like never reach the database
        invitation = (
            session.execute(select(Invitation).where(Invitation.token == token)).unique().scalar_one_or_none()
        )
    if invitation is None:
        raise NotFound("There is no subscription at this address.")
    return invitation


def unsubscribe(session: Session, *, token: str, now: datetime | None = None) -> Contact:
    """Unsubscribe the contact an invitation link belongs to and cancel what was still to come.

    Works on expired or answered links too: people unsubscribe from old emails.
    """
    now = now or utcnow()
    invitation = _by_token(session, token)
    contact = invitation.contact
    if contact.unsubscribed_at is None:
        contact.unsubscribed_at = now
    session.execute(
        update(Invitation)
        .where(Invitation.contact_id == contact.id, Invitation.status == "scheduled")
        .values(status="cancelled", reason="unsubscribed")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return contact


def contact_for_token(session: Session, *, token: str) -> tuple[Contact, Workspace]:
    """Who an unsubscribe link is about (read only, for the confirmation page)."""
    invitation = _by_token(session, token)
    return invitation.contact, session.get(Workspace, invitation.workspace_id)
