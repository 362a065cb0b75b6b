"""What a digest is made of: sections contributed by the domains through one hook.

A section step is a function ``step(session, context) -> Section | None`` registered on
:data:`digest_sections` (by :mod:`surveys.wiring`, like every other cross-domain step). Steps
return None when they have nothing to say for the period. Sections are shown by ``order``
(score 10, themes 20, cases 30, alerts 40, roadmap 50), whatever order they were registered in,
so a domain built later slots its section where a reader expects it, e.g.::

    digest_sections.register(cases.digest_section)   # returns Section(key="cases", order=30, ...)

Everything in a section is plain text; the email templates escape it, so a step never builds
HTML and customer words (``Entry.quote``) can hold anything.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from surveys.core.hooks import Hook
from surveys.metrics.rollups import day_start
from surveys.workspace.models import User, Workspace

digest_sections = Hook("digest_sections")


@dataclass(frozen=True)
class Period:
    """A digest's period, ``[start, end)`` in UTC days, and the one before it, as long."""

    frequency: str
    start: date
    end: date

    @property
    def previous(self) -> "Period":
        return Period(self.frequency, self.start - (self.end - self.start), self.start)

    @property
    def start_at(self) -> datetime:
        return day_start(self.start)

    @property
    def end_at(self) -> datetime:
        return day_start(self.end)

    @property
    def label(self) -> str:
        if self.frequency == "daily":
            return self.start.strftime("%a %d %b %Y")
        last = self.end - timedelta(days=1)
        return f"{self.start.strftime('%d %b')} – {last.strftime('%d %b %Y')}"

    @classmethod
    def latest(cls, frequency: str, now: datetime) -> "Period":
        """The last complete period before ``now``: yesterday, or last Monday-to-Sunday week."""
        today = now.date()
        if frequency == "daily":
            return cls(frequency, today - timedelta(days=1), today)
        monday = today - timedelta(days=today.weekday())
        return cls(frequency, monday - timedelta(days=7), monday)


@dataclass(frozen=True)
class DigestContext:
    workspace: Workspace
    user: User
    period: Period
    # The web app's address (PUBLIC_BASE_URL), for links back to the evidence.
    base_url: str


@dataclass(frozen=True)
class Entry:
    text: str
    detail: str | None = None
    # Customer words, quoted as they were written (escaped by the HTML template).
    quote: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    order: int
    entries: tuple[Entry, ...] = field(default_factory=tuple)
    summary: str | None = None
    url: str | None = None


def collect(session, context: DigestContext) -> list[Section]:
    """Every registered section with something to say, in reading order."""
    return sorted(digest_sections.collect(session, context), key=lambda s: (s.order, s.key))
