"""Schemas of segments and of the metrics and theme-insight queries."""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from nlp.results import INTENTS
from surveys.core.schemas import EARLIEST, Time

GROUP_BY = re.compile(r"^(attributes\.[A-Za-z0-9_\-]{1,100}|segment|week|month|theme|touchpoint)\Z")


class _RangeArgs(Schema):
    survey_id = fields.String(required=True, validate=validate.Length(1, 40))
    start = Time(data_key="from", load_default=None)
    end = Time(data_key="to", load_default=None)
    segment_id = fields.String(load_default=None, validate=validate.Length(1, 40))

    @validates_schema
    def check_range(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise ValidationError("'from' must be before 'to'", "to")


class MetricsArgsSchema(_RangeArgs):
    group_by = fields.String(
        load_default=None,
        validate=validate.Regexp(
            GROUP_BY, error="one of attributes.NAME, segment, week, month, theme, touchpoint"
        ),
    )
    compare = fields.String(
        load_default=None,
        validate=validate.OneOf(("previous",)),
        metadata={
            "description": "previous: add the same-length period just before [from, to) and whether "
            "the change is significant (needs from and to; not with week or month)."
        },
    )

    @validates_schema
    def check_compare(self, data, **kwargs):
        if data.get("compare") and not (data.get("start") and data.get("end")):
            raise ValidationError("compare=previous needs both 'from' and 'to'", "compare")
        if data.get("compare") and data.get("group_by") in ("week", "month"):
            raise ValidationError(
                "compare=previous compares periods already: not with week or month", "compare"
            )
        start, end = data.get("start"), data.get("end")
        if data.get("compare") and start < end and start - (end - start) < EARLIEST:
            raise ValidationError("the previous period would start before 1900-01-01", "compare")


class ThemeInsightsArgsSchema(_RangeArgs):
    interval = fields.String(load_default="month", validate=validate.OneOf(("week", "month")))
    intent = fields.String(
        load_default=None,
        validate=validate.OneOf(INTENTS),
        metadata={
            "description": "only themes with mentions of this intent, most such mentions first "
            "(e.g. request: what customers ask for)"
        },
    )


class ResponseRateArgsSchema(Schema):
    start = Time(data_key="from", load_default=None)
    end = Time(data_key="to", load_default=None)
