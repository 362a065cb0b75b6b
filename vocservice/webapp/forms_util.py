"""Loading HTML form posts through the API's marshmallow schemas, so the web app and the API
accept exactly the same values; errors come back as field -> messages for the template."""

from marshmallow import Schema, ValidationError


def load_form(schema: Schema, form, fields: tuple[str, ...]) -> tuple[dict | None, dict]:
    """Read ``fields`` from the form (empty text counts as absent) and load them."""
    raw: dict = {}
    for name in fields:
        value = (form.get(name) or "").strip()
        if value == "":
            continue
        raw[name] = value  # marshmallow converts and validates numbers itself
    try:
        return schema.load(raw), {}
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_": error.messages}
        return None, {k: v if isinstance(v, list) else [str(v)] for k, v in messages.items()}
