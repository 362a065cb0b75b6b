"""The digest email: a text part and an HTML part rendered from the same sections.

The HTML template escapes everything (autoescape), so customer words quoted in a section cannot
become markup; the text part is plain text. ``List-Unsubscribe`` and ``List-Unsubscribe-Post``
(RFC 8058) let a mail client turn the digest off in one click.
"""

from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape

from surveys.core.db import utcnow
from surveys.digest.sections import DigestContext, Section

_env = Environment(
    loader=PackageLoader("surveys.digest", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def compose(
    context: DigestContext, *, sections: list[Section], answers: int, message_id: str, unsubscribe_url: str
) -> EmailMessage:
    period = context.period
    kind = "Daily" if period.frequency == "daily" else "Weekly"
    values = {
        "kind": kind,
        "workspace": context.workspace,
        "period": period,
        "answers": answers,
        "sections": sections,
        "dashboard_url": f"{context.base_url}/app",
        "settings_url": f"{context.base_url}/app/account#digest",
        "unsubscribe_url": unsubscribe_url,
    }
    message = EmailMessage()
    message["Subject"] = _one_line(f"{kind} digest for {context.workspace.name}: {period.label}")
    message["To"] = context.user.email
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = f"<{message_id}@{urlsplit(context.base_url).hostname or 'localhost'}>"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_env.get_template("digest.txt").render(values))
    message.add_alternative(_env.get_template("digest.html").render(values), subtype="html")
    # The unsubscribe URL is one long word: at the default 78 columns the header would be sent
    # as RFC 2047 encoded words, which mail clients do not read as a URL. SMTP allows 998.
    message.policy = message.policy.clone(max_line_length=998)
    return message
