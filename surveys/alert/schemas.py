"""Schemas of alert rules (create, change, read) and of alerts, and the list filters."""

from marshmallow import Schema, fields, validate

from surveys.alert.models import BASELINES, KINDS, MEASURES
from surveys.core.schemas import Base, Nested, Time

ID = validate.Length(1, 40)


class NotifySchema(Nested):
    emails = fields.List(
        fields.Email(validate=validate.Length(max=320)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "Addresses of the workspace's users to email."},
    )
    webhook_endpoint_ids = fields.List(
        fields.String(validate=ID),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "Endpoints to send alert.triggered to (none: every endpoint subscribed)."},
    )


class AlertAccountSchema(Nested):
    attribute = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_\-]{1,100}\Z", error="letters, digits, '-' and '_'"),
    )
    value = fields.String(required=True, validate=validate.Length(1, 500))


def _fields(required: bool) -> dict:
    """The rule's fields; on creation name and kind are required and the rest have defaults."""

    def opt(field_cls, default, *args, **kwargs):
        if required and default is not None:
            kwargs["load_default"] = default
        elif required:
            kwargs["load_default"] = None
        return field_cls(*args, **kwargs)

    return {
        "name": fields.String(required=required, validate=validate.Length(1, 200)),
        "kind": fields.String(required=required, validate=validate.OneOf(KINDS)),
        "enabled": opt(fields.Boolean, True),
        "survey_id": opt(fields.String, None, allow_none=True, validate=ID),
        "segment_id": opt(fields.String, None, allow_none=True, validate=ID),
        "theme_id": opt(fields.String, None, allow_none=True, validate=ID),
        "touchpoint_id": opt(fields.String, None, allow_none=True, validate=ID),
        "account": opt(fields.Nested, None, AlertAccountSchema, allow_none=True),
        "window_days": opt(fields.Integer, 7, validate=validate.Range(1, 90)),
        "baseline": opt(fields.String, "previous", validate=validate.OneOf(BASELINES)),
        "baseline_windows": opt(
            fields.Integer,
            None,
            allow_none=True,
            validate=validate.Range(1, 26),
            metadata={"description": "Windows in the trailing baseline (default 4; theme_spike 8 weeks)."},
        ),
        "min_responses": opt(
            fields.Integer,
            None,
            allow_none=True,
            validate=validate.Range(1, 1_000_000),
            metadata={
                "description": "Minimum answers in each window (default 30; theme_spike: mentions, 10)."
            },
        ),
        "significance": opt(fields.Float, 0.05, validate=validate.Range(0.0001, 0.2)),
        "k_sigma": opt(fields.Float, 2.0, validate=validate.Range(0.5, 10)),
        "measure": opt(fields.String, "mentions", validate=validate.OneOf(MEASURES)),
        "notify": opt(fields.Nested, None, NotifySchema),
    }


AlertRuleCreateSchema = type("AlertRuleCreateSchema", (Base,), _fields(True))
AlertRuleUpdateSchema = type("AlertRuleUpdateSchema", (Base,), _fields(False))


class AlertRuleSchema(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    enabled = fields.Boolean()
    survey_id = fields.String(allow_none=True)
    segment_id = fields.String(allow_none=True)
    theme_id = fields.String(allow_none=True)
    touchpoint_id = fields.String(allow_none=True)
    account = fields.Dict(allow_none=True)
    window_days = fields.Integer()
    baseline = fields.String()
    baseline_windows = fields.Integer()
    min_responses = fields.Integer()
    significance = fields.Float()
    k_sigma = fields.Float()
    measure = fields.String()
    notify = fields.Dict()
    warnings = fields.List(
        fields.String(),
        metadata={"description": "Why part of the delivery cannot happen, e.g. a disabled endpoint."},
    )
    last_evaluated_at = Time(allow_none=True)
    last_outcome = fields.Dict(
        metadata={"description": "What the latest evaluation found, and why it did not fire."}
    )
    created_at = Time()
    updated_at = Time()


class AlertListArgsSchema(Schema):
    class Meta:
        unknown = "exclude"

    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=60))
    rule_id = fields.String(load_default=None, validate=ID)
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))


class WindowSchema(Schema):
    start = Time(data_key="from", attribute="window_from")
    end = Time(data_key="to", attribute="window_to")


class AlertSchema(Schema):
    id = fields.String()
    rule_id = fields.String()
    kind = fields.String()
    title = fields.String()
    fired_at = Time()
    window = fields.Function(
        lambda a: {
            "from": Time()._serialize(a.window_from, None, None),
            "to": Time()._serialize(a.window_to, None, None),
        },
        metadata={"description": "{from, to}: the period the alert is about."},
    )
    figures = fields.Dict()
    p_value = fields.Float(allow_none=True)
    difference = fields.Float(allow_none=True)
    ci95 = fields.List(fields.Float(), allow_none=True)
    examples = fields.Method("example_ids", metadata={"description": "Ids of up to three quoted answers."})
    quotes = fields.List(fields.Dict(), attribute="examples")
    evidence_path = fields.String(metadata={"description": "The answers behind it in the web app."})
    email_status = fields.String()

    def example_ids(self, alert) -> list[str]:
        return [e["response_id"] for e in alert.examples or []]
