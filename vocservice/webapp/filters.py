"""The feedback filter shared by the explorer page and its CSV export: parsed from the query
string, validated against the user's workspace, turned into one SQLAlchemy query.

Pages are ordered newest answer first by (submitted_at, id); the cursor is that pair of the
last row shown, so paging stays stable while new answers arrive.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, and_, or_, select
from werkzeug.datastructures import MultiDict

from nlp import ANALYZER_VERSION
from nlp.results import INTENTS, LABELS
from surveys.analysis.models import Analysis, ResponseTheme, Theme
from surveys.core.db import contains_pattern, db
from surveys.core.errors import Invalid, NotFound
from surveys.core.schemas import in_range_day, in_range_utc
from surveys.response.models import Response
from surveys.survey.models import Survey

# Score ranges of each category, per survey kind (surveys.survey.scales.category in reverse).
CATEGORIES: dict[str, tuple[str, int, int]] = {
    "promoter": ("nps", 9, 10),
    "passive": ("nps", 7, 8),
    "detractor": ("nps", 0, 6),
    "satisfied": ("csat", 4, 5),
    "dissatisfied": ("csat", 1, 2),
    "easy": ("ces", 5, 7),
    "difficult": ("ces", 1, 3),
}
NEUTRAL_RANGES = (("csat", 3, 3), ("ces", 4, 4))
ATTRIBUTE_NAME_MAX = 64


@dataclass
class FeedbackFilter:
    survey_id: str = ""
    start: date | None = None
    end: date | None = None
    category: str = ""
    theme_id: str = ""
    sentiment: str = ""
    intent: str = ""
    segment_id: str = ""
    attribute: str = "plan"
    value: str = ""
    q: str = ""
    # One answer alone (links from Slack messages and emails): ?response=rsp_...
    response_id: str = ""
    cursor: str = ""
    errors: dict = field(default_factory=dict)

    def args(self, **changes) -> dict:
        """The filter as query-string arguments (for links and the CSV export)."""
        raw = {
            "survey": self.survey_id,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "category": self.category,
            "theme": self.theme_id,
            "sentiment": self.sentiment,
            "intent": self.intent,
            "segment": self.segment_id,
            "attribute": self.attribute if self.value else "",
            "value": self.value,
            "q": self.q,
            "response": self.response_id,
        }
        raw.update(changes)
        return {k: v for k, v in raw.items() if v}


def page_number(raw: str | None, maximum: int) -> int | None:
    """A ``?page=`` value: 1 when absent, None when it is not a whole number from 1 to
    ``maximum`` written in ASCII digits (each page says how it refuses that)."""
    raw = (raw or "1").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(maximum)) and 1 <= int(raw) <= maximum:
        return int(raw)
    return None


def parse_day(raw: str, name: str) -> date:
    """A ``YYYY-MM-DD`` query value between 1900 and 2999, else a 422 naming ``name``."""
    try:
        return in_range_day(date.fromisoformat(raw))
    except ValueError:
        raise Invalid(
            f"'{name}' must be a date like 2026-01-31, between 1900 and 2999.", errors={name: ["not a date"]}
        ) from None


def _date(args: MultiDict, name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    return parse_day(raw, name) if raw else None


def parse(args: MultiDict) -> FeedbackFilter:
    flt = FeedbackFilter(
        survey_id=(args.get("survey") or "").strip(),
        start=_date(args, "from"),
        end=_date(args, "to"),
        category=(args.get("category") or "").strip(),
        theme_id=(args.get("theme") or "").strip(),
        sentiment=(args.get("sentiment") or "").strip(),
        intent=(args.get("intent") or "").strip(),
        segment_id=(args.get("segment") or "").strip(),
        attribute=(args.get("attribute") or "plan").strip()[:ATTRIBUTE_NAME_MAX],
        value=(args.get("value") or "").strip()[:200],
        q=(args.get("q") or "").strip()[:200],
        response_id=(args.get("response") or "").strip()[:40],
        cursor=(args.get("cursor") or "").strip(),
    )
    if flt.category and flt.category not in CATEGORIES and flt.category != "neutral":
        raise Invalid(f"Unknown category {flt.category!r}.", errors={"category": ["unknown"]})
    if flt.sentiment and flt.sentiment not in LABELS:
        raise Invalid(f"Unknown sentiment {flt.sentiment!r}.", errors={"sentiment": ["unknown"]})
    if flt.intent and flt.intent not in INTENTS:
        raise Invalid(f"Unknown intent {flt.intent!r}.", errors={"intent": ["unknown"]})
    if not flt.attribute.replace("_", "").replace("-", "").isalnum():
        raise Invalid(
            "Attribute names are letters, digits, '-' and '_'.", errors={"attribute": ["invalid name"]}
        )
    return flt


def _owned(model, object_id: str, workspace_id: str, what: str) -> None:
    obj = db.session.get(model, object_id) if "\x00" not in object_id else None
    if obj is None or obj.workspace_id != workspace_id:
        raise NotFound(f"No {what} with id {object_id!r} in this workspace.")


def _category_clause(name: str):
    ranges = NEUTRAL_RANGES if name == "neutral" else (CATEGORIES[name],)
    return or_(
        *(
            and_(
                Response.survey_id.in_(select(Survey.id).where(Survey.kind == kind)),
                Response.score.between(low, high),
            )
            for kind, low, high in ranges
        )
    )


def _cursor(raw: str):
    stamp, _, last_id = raw.partition("~")
    try:
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None or not last_id:
            raise ValueError("naive time or no id")
        when = in_range_utc(when)
    except ValueError:
        raise Invalid("The page cursor is not valid.", errors={"cursor": ["invalid"]}) from None
    return or_(Response.submitted_at < when, and_(Response.submitted_at == when, Response.id < last_id))


def cursor_of(response: Response) -> str:
    return f"{response.submitted_at.isoformat()}~{response.id}"


def build_query(flt: FeedbackFilter, workspace_id: str, segment_clause=None) -> Select:
    """Completed responses of the workspace matching ``flt``, newest first."""
    query = select(Response).where(Response.workspace_id == workspace_id, Response.completed.is_(True))
    if flt.survey_id:
        _owned(Survey, flt.survey_id, workspace_id, "survey")
        query = query.where(Response.survey_id == flt.survey_id)
    if flt.start:
        query = query.where(Response.submitted_at >= datetime.combine(flt.start, time(), UTC))
    if flt.end:  # inclusive: the whole "to" day
        query = query.where(
            Response.submitted_at < datetime.combine(flt.end + timedelta(days=1), time(), UTC)
        )
    if flt.category:
        query = query.where(_category_clause(flt.category))
    if flt.theme_id:
        _owned(Theme, flt.theme_id, workspace_id, "theme")
        # With a theme, the intent is the mention's (asks about this theme), as the dashboard counts.
        mention = [ResponseTheme.intent == flt.intent] if flt.intent else []
        query = query.where(
            Response.id.in_(
                select(ResponseTheme.response_id).where(
                    ResponseTheme.workspace_id == workspace_id,
                    ResponseTheme.theme_id == flt.theme_id,
                    *mention,
                )
            )
        )
    if flt.sentiment:
        query = query.where(
            Response.id.in_(
                select(Analysis.response_id).where(
                    Analysis.analyzer_version == ANALYZER_VERSION, Analysis.sentiment_label == flt.sentiment
                )
            )
        )
    if flt.intent and not flt.theme_id:
        query = query.where(
            Response.id.in_(
                select(Analysis.response_id).where(
                    Analysis.analyzer_version == ANALYZER_VERSION, Analysis.intent == flt.intent
                )
            )
        )
    if segment_clause is not None:
        query = query.where(segment_clause)
    if flt.value:
        query = query.where(Response.attributes[flt.attribute].as_string() == flt.value)
    if flt.q:
        pattern = contains_pattern(flt.q)
        query = query.where(Response.comment.ilike(pattern, escape="\\"))
    if flt.response_id:
        query = query.where(Response.id == flt.response_id)
    if flt.cursor:
        query = query.where(_cursor(flt.cursor))
    return query.order_by(Response.submitted_at.desc(), Response.id.desc())
