"""Schemas of the privacy API: who a request is about (an e-mail address or an external id,
exactly one), the erasure's acknowledgement and the shape of the export document."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from surveys.core.schemas import Base, Time


def _subject_fields():
    return {
        "email": fields.String(
            validate=validate.Length(1, 320),
            metadata={"description": "Case and spaces are ignored."},
        ),
        "external_id": fields.String(validate=validate.Length(1, 200)),
    }


class _Subject:
    @validates_schema
    def _exactly_one(self, data, **kwargs):
        given = [name for name in ("email", "external_id") if (data.get(name) or "").strip()]
        if len(given) != 1:
            raise ValidationError("Give exactly one of email or external_id (not blank).", "_schema")
        if "\x00" in data[given[0]]:
            raise ValidationError("NUL is not allowed.", given[0])

    def subject(self, data: dict) -> tuple[str, str]:
        kind = "email" if (data.get("email") or "").strip() else "external_id"
        return kind, data[kind]


class ErasureCreateSchema(_Subject, Base):
    email = _subject_fields()["email"]
    external_id = _subject_fields()["external_id"]


class ExportArgsSchema(_Subject, Schema):
    class Meta:
        unknown = "exclude"

    email = _subject_fields()["email"]
    external_id = _subject_fields()["external_id"]


class ErasureAcceptedSchema(Schema):
    id = fields.String(
        metadata={"description": "The erasure request (the same answer whether or not anyone matched)."}
    )
    status = fields.String(metadata={"enum": ["pending", "done"]})
    requested_at = Time()


class ExportDocumentSchema(Schema):
    exported_at = Time()
    subject = fields.Dict(metadata={"description": "{'kind': 'email'|'external_id'}: never the value."})
    contacts = fields.List(fields.Dict())
    events = fields.List(fields.Dict())
    invitations = fields.List(fields.Dict())
    responses = fields.List(
        fields.Dict(), metadata={"description": "Each with its analyses (themes, evidence)."}
    )
    webhook_messages = fields.List(
        fields.Dict(), metadata={"description": "Messages mentioning them, with deliveries."}
    )
