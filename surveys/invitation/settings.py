"""What delivering an invitation needs from the operator's configuration, passed in as a value.

The web shell builds one :class:`DeliverySettings` from its configuration (``PUBLIC_BASE_URL``,
``SMTP_URL``, ``MAIL_FROM``, ``VOC_ALLOW_PRIVATE_WEBHOOK_URLS``, the instance folder) and hands it
to the delivery functions; the domain never reads the web app's configuration itself. The
respondent-facing pages (hosted form, unsubscribe) belong to the shell, so their addresses arrive
here as URL templates with a ``{token}`` placeholder.
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Links:
    """Where a respondent goes: URL templates containing ``{token}``."""

    survey: str
    unsubscribe: str

    def survey_url(self, token: str) -> str:
        return self.survey.replace("{token}", token)

    def unsubscribe_url(self, token: str) -> str:
        return self.unsubscribe.replace("{token}", token)

    @property
    def host(self) -> str:
        return urlsplit(self.survey).hostname or "localhost"


@dataclass(frozen=True)
class DeliverySettings:
    links: Links
    smtp_url: str | None = None
    mail_from: str = "vocservice <surveys@localhost>"
    allow_private_webhooks: bool = False
    # Where messages are written as .eml files when there is no SMTP server (the demo mode).
    outbox_dir: Path = Path("instance/mail")
