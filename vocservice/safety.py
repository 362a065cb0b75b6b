"""Input safety at the door: what no endpoint should ever have to think about.

Every request is checked before a view runs, and every JSON body is read by one strict parser,
whatever reads it (``request.get_json``, flask-smorest/webargs, the signed webhooks):

- a NUL character or a lone UTF-16 surrogate in the path, the query string or a JSON string
  (keys included) is refused: PostgreSQL cannot store NUL and psycopg cannot encode a surrogate,
  so letting either through turns into a 500 much later; form fields have NULs removed;
- JSON numbers must round-trip into our stores and maths: ``NaN``/``Infinity``, floats that
  overflow (``1e400``) and integers outside the signed 64-bit range are refused;
- JSON nested deeper than :data:`MAX_DEPTH` is refused (before it can reach a recursive reader).

A NUL in the path is a 404 (no id holds one), in the query string a 400 ``bad-request``; a bad value inside
a well-formed JSON body or form is a 422 naming the field.
"""

import io
import json
import math
import re

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask.wrappers import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from surveys.core.errors import Invalid, Malformed, NotFound

MAX_DEPTH = 32
MAX_INT = 2**63 - 1
# A NUL, or a surrogate code point (only JSON's \ud800 escapes can produce one in a str).
_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")


def bad_text(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None when it can."""
    match = _BAD_CHAR.search(value)
    if match is None:
        return None
    if match.group() == "\x00":
        return "contains a NUL character (\\u0000)"
    return "contains a lone UTF-16 surrogate (not valid Unicode)"


class _Unstorable:
    """A number the parser met that we cannot store; :func:`_walk` refuses it with its path."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _reject_constant(name: str) -> _Unstorable:
    return _Unstorable(f"{name} is not a number JSON can carry")


def _finite_float(text: str) -> float | _Unstorable:
    value = float(text)
    if not math.isfinite(value):
        return _Unstorable(f"{text[:20]} is outside the range of a double")
    return value


def _bounded_int(text: str) -> int | _Unstorable:
    # Length first: int() of thousands of digits is slow (and raises past 4300 digits).
    if len(text) > 20 or abs(value := int(text)) > MAX_INT:
        shown = text if len(text) <= 20 else text[:20] + "..."
        return _Unstorable(f"{shown} is outside the 64-bit integer range")
    return value


class ItemError:
    """Stands in a batch for an item that broke these rules; the view reports it as that item's
    own result (:func:`item_or_raise`) and stores the rest."""

    __slots__ = ("error",)

    def __init__(self, error: Invalid | Malformed) -> None:
        self.error = error


def item_or_raise(item):
    if isinstance(item, ItemError):
        raise item.error
    return item


def per_item(key: str):
    """Mark a batch view: a bad value inside one element of the body's ``key`` list fails only
    that element (it arrives as an :class:`ItemError`), not the whole request."""

    def mark(view):
        view.voc_per_item = key
        return view

    return mark


def _walk(document, path: str = "", depth: int = 0) -> None:
    """Refuse over-deep nesting and unstorable values; iterative, so depth cannot overflow it."""
    stack = [(document, path, depth)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, _Unstorable):
            where = path or "body"
            detail = f"{where} holds a number we cannot store: {value.reason}."
            raise Invalid(detail, errors={where: [value.reason]})
        if isinstance(value, str):
            if reason := bad_text(value):
                raise Invalid(f"{path or 'the body'} {reason}.", errors={path or "body": [reason]})
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise Malformed(f"The JSON body is nested more than {MAX_DEPTH} levels deep.")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in items:
                child_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and (reason := bad_text(key)):
                    safe = _BAD_CHAR.sub("?", child_path)
                    raise Invalid(f"A key at {safe} {reason}.", errors={safe: [f"key {reason}"]})
                stack.append((child, child_path, depth + 1))


# An escape in JSON text that could decode to a NUL or a (lone) surrogate.
_RISKY_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _plainly_fine(text: str, document) -> bool:
    """True when a parsed document certainly passes :func:`_walk` (so a 1,000-item batch is not
    walked string by string): no string can hold a NUL or a surrogate, because the text holds
    neither raw nor as an escape, and containers nest at most ``MAX_DEPTH`` levels. False means
    "walk it", which gives the exact error (per item in a batch). Unstorable numbers are noted
    by the parser itself (see :func:`loads`)."""
    if "\x00" in text or _SURROGATE.search(text):
        return False
    if "\\u" in text and _RISKY_ESCAPE.search(text):
        return False
    level = [document] if isinstance(document, dict | list) else []
    for _ in range(MAX_DEPTH):
        if not level:
            return True
        deeper = []
        for container in level:
            for value in container.values() if isinstance(container, dict) else container:
                if isinstance(value, dict | list):
                    deeper.append(value)
        level = deeper
    return not level


def loads(data: str | bytes, *, per_item: str | None = None):
    """Parse a JSON document strictly (see the module docstring).

    Raises :class:`Malformed` for text that is not JSON or nests too deep, :class:`Invalid` for a
    number or string that cannot be stored. With ``per_item``, elements of the top-level object's
    ``per_item`` list are checked one by one and a bad one becomes an :class:`ItemError`.
    """
    if isinstance(data, bytes | bytearray):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Malformed("The body is not valid UTF-8.") from None
    unstorable: list[_Unstorable] = []

    def noted(value):
        if isinstance(value, _Unstorable):
            unstorable.append(value)
        return value

    try:
        document = json.loads(
            data,
            parse_constant=lambda name: noted(_reject_constant(name)),
            parse_float=lambda text: noted(_finite_float(text)),
            parse_int=lambda text: noted(_bounded_int(text)),
        )
    except RecursionError:
        raise Malformed(f"The JSON body is nested more than {MAX_DEPTH} levels deep.") from None
    except ValueError as exc:
        raise Malformed(f"The body is not valid JSON: {exc}.") from None
    if not unstorable and _plainly_fine(data, document):
        return document  # what the walk below would have found: nothing
    items = document.get(per_item) if per_item and isinstance(document, dict) else None
    if isinstance(items, list):
        document = {**document, per_item: []}
        _walk(document)
        for index, item in enumerate(items):
            try:
                _walk(item, str(index), 2)
            except (Invalid, Malformed) as exc:
                item = ItemError(exc)
            document[per_item].append(item)
        return document
    _walk(document)
    return document


class StrictJSONProvider(DefaultJSONProvider):
    """``request.get_json()`` and ``flask.json.loads`` go through :func:`loads`."""

    def loads(self, s, **kwargs):
        return loads(s)


class SafeRequest(Request):
    """Form fields lose their NUL characters as they are parsed, whichever view reads them: a
    browser never types one, and a respondent's answer is never refused over an invisible byte.
    (Form data is decoded with replacement characters, so it cannot hold a surrogate.)"""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form and any("\x00" in k or "\x00" in v for k, v in form.items(multi=True)):
            self.__dict__["form"] = ImmutableMultiDict(
                [(k.replace("\x00", ""), v.replace("\x00", "")) for k, v in form.items(multi=True)]
            )
        for storage in (self.__dict__.get("files") or {}).values():
            if storage.filename:
                storage.filename = storage.filename.replace("\x00", "")


def _check_request():
    """Refuse a path or query string that holds a NUL (or a surrogate) before any view sees it."""
    if bad_text(request.path):  # no id or slug holds one, so nothing is there
        raise NotFound("Nothing exists at a URL path that contains a NUL character.")
    if not request.query_string:  # no query: nothing to parse and check
        return
    for key, value in request.args.items(multi=True):
        if bad_text(key) or bad_text(value):
            name = _BAD_CHAR.sub("?", key)
            raise Malformed(
                f"The query parameter {name} contains a NUL character.", errors={name: ["NUL character"]}
            )


class BoundedChunkedBodies:
    """WSGI middleware: a body sent without Content-Length (chunked) is read up to the limit here.

    Werkzeug would silently cut such a body at ``MAX_CONTENT_LENGTH`` (so a too-large JSON body
    became a 400 "not JSON", and a cut body could even parse). Within the limit the body is handed
    on with its length; over it, the request is answered 413 like any other oversized body.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            limit = self.app.config.get("MAX_CONTENT_LENGTH") or 2**31
            body = _read_up_to(environ["wsgi.input"], limit + 1)
            if len(body) > limit:
                environ["voc.body_too_large"] = True
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            # From here on it is a plain body of known length (werkzeug ignores the length of a
            # request still marked chunked).
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.wsgi_app(environ, start_response)


def _read_up_to(stream, size: int) -> bytes:
    """Up to ``size`` bytes; a dechunking stream may hand them over a chunk per read."""
    parts, total = [], 0
    while total < size:
        part = stream.read(min(65536, size - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
    return b"".join(parts)


def _refuse_oversized():
    if request.environ.get("voc.body_too_large"):
        raise RequestEntityTooLarge()


def init_app(app: Flask) -> None:
    app.wsgi_app = BoundedChunkedBodies(app)
    app.request_class = SafeRequest
    app.json = StrictJSONProvider(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _check_request)
    app.before_request_funcs[None].insert(0, _refuse_oversized)
