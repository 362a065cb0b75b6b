"""Property-based fuzzing of the public endpoints the OpenAPI document does not cover: the hosted
form and unsubscribe page (/s/<token>, /u/<token>), the widget (/w/<slug>/...) and the signed
webhooks (/webhooks/<slug>/events, /webhooks/<slug>/roadmap).

Inputs are hostile on purpose: NUL characters, lone surrogates (as raw bytes in URLs and forms,
as \\ud800 escapes in JSON), bidi controls, NaN/Infinity/1e400 and 5,000-digit numbers, deep
nesting, and dates at and past the edges of the calendar. Webhook bodies are signed correctly so
they get past the signature to validation. The property: never a 5xx, JSON endpoints answer a
4xx with an RFC 9457 problem, and a refused form submission changes nothing stored.
"""

import base64
import hashlib
import hmac
import itertools
import json
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from surveys.response.models import Response
from tests.support.helpers import event as journey_event
from tests.support.helpers import make_invitation
from tests.support.helpers import widget_survey as make_widget_survey

SHOP = "https://shop.example"
EXAMPLES = 60
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

# -- hostile values --------------------------------------------------------------------------------

NASTY_CHARS = ["\x00", "\ud800", "\udfff", "\ud83d", "\u202e", "\ufeff", "\uffff", "\x7f", "\n", "'"]
texts = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(NASTY_CHARS)), max_size=40)
long_texts = st.builds(
    lambda s, n: s * n,
    st.sampled_from(["a", "\u00e9", "\U0001f600", "\x00"]),
    st.sampled_from([1, 201, 10_001, 70_000]),
)
ODD_DATETIMES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",  # before year 1 once in UTC
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-14:00",  # past year 9999 once in UTC
    "9999-12-31T23:59:59.999999999Z",
    "0000-01-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:00:00+24:00",
    "+275760-09-13T00:00:00Z",
    "2024-01-01",
    "2024-01-01T00:00:00",
    "1e10",
    "",
    "now",
]
odd_datetimes = st.one_of(
    st.sampled_from(ODD_DATETIMES),
    st.datetimes().map(lambda d: d.isoformat()),
    st.integers(min_value=-(2**70), max_value=2**70),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
    odd_datetimes,
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)
# JSON text that json.dumps never writes: spliced in where a value would go.
RAW_JSON = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1" + "0" * 5000,
    "-9223372036854775809",
    "9223372036854775808",
    "1.0e-400",
    '"\\u0000"',
    '"\\ud800"',
    '"a\\udc00b"',
    '{"\\u0000": 1}',
    '{"\\ud800": 1}',
    "[" * 3000 + "]" * 3000,
    '{"a":' * 500 + "1" + "}" * 500,
    '"' + "x" * 200_000 + '"',
]
RAW = "__raw_json__"
_messages = itertools.count(1)


def _raw_splice(document, raw: str | None) -> bytes:
    text = json.dumps(document)
    if raw is not None and f'"{RAW}"' in text:
        text = text.replace(f'"{RAW}"', raw, 1)
    return text.encode("utf-8", "surrogatepass")


def _body_with(template: dict, keys: list[str]):
    """Strategy: ``template`` with some of ``keys`` replaced by hostile values (one maybe raw)."""
    return st.builds(
        lambda overrides, raw, extra: (
            {**template, **overrides, **extra},
            raw,
        ),
        st.dictionaries(st.sampled_from(keys), st.one_of(json_values, st.just(RAW)), max_size=len(keys)),
        st.one_of(st.none(), st.sampled_from(RAW_JSON)),
        st.dictionaries(texts, json_values, max_size=2),
    )


def _any_body():
    """Raw bytes that may not be JSON at all."""
    return st.one_of(
        st.binary(max_size=200),
        st.sampled_from(RAW_JSON).map(str.encode),
        json_values.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass")),
    )


def _path_segment(text: str) -> str:
    """Percent-encode every byte, lone surrogates as the invalid UTF-8 they would be on the wire."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _form(fields: dict[str, str]) -> bytes:
    return "&".join(f"{_path_segment(k)}={_path_segment(v)}" for k, v in fields.items()).encode()


def _assert_json_answer(response) -> None:
    event(f"status {response.status_code}")  # --hypothesis-show-statistics: what was reached
    assert response.status_code < 500, (response.status_code, response.get_data()[:500])
    if 400 <= response.status_code < 500:
        assert response.mimetype == "application/problem+json", (response.status_code, response.mimetype)
        body = response.get_json()
        assert body["status"] == response.status_code and body["title"] and body["detail"], body


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def invitation(db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    return invitation.token


@pytest.fixture
def widget_survey(app, db_session, workspace) -> str:
    app.config["WIDGET_RATE_LIMIT"] = "100000/minute"  # restored after the test by conftest
    return make_widget_survey(db_session, workspace.workspace.id, SHOP)


def _stored_answers(db_session) -> list:
    db_session.expire_all()
    rows = db_session.execute(select(Response.id, Response.score, Response.comment)).all()
    return sorted(rows)


# -- the hosted form ------------------------------------------------------------------------------


@FUZZ_SETTINGS
@given(
    token=st.one_of(st.none(), texts),
    score=st.one_of(st.none(), texts, st.integers().map(str)),
    lang=st.one_of(st.none(), texts),
    accept=st.one_of(st.none(), st.text(alphabet=st.characters(max_codepoint=0x7E, min_codepoint=0x20))),
)
def test_fuzz_form_get_never_fails(client, invitation, token, score, lang, accept):
    path = f"/s/{invitation if token is None else _path_segment(token)}"
    query = {k: v for k, v in (("score", score), ("lang", lang)) if v is not None}
    url = path + ("?" + _form(query).decode() if query else "")
    headers = {"Accept-Language": accept} if accept is not None else {}
    for base in (url, url.replace("/s/", "/u/", 1)):
        response = client.get(base, headers=headers)
        assert response.status_code < 500, (base, response.status_code)
        event(f"{base[:2]} status {response.status_code}")
        assert response.mimetype == "text/html"


@FUZZ_SETTINGS
@given(
    fields=st.dictionaries(
        st.one_of(st.sampled_from(["action", "score", "selected", "comment", "lang", "via"]), texts),
        st.one_of(
            texts, long_texts, st.sampled_from(["submit", "save", "email", "7", "-1", "11", " 9 ", "1e3"])
        ),
        max_size=6,
    ),
    real_token=st.booleans(),
)
def test_fuzz_form_post_never_fails_and_refusals_store_nothing(
    client, db_session, workspace, fields, real_token
):
    # A fresh invitation each time, so earlier examples' final answers do not make it a 409.
    token = make_invitation(db_session, workspace.workspace.id).token if real_token else "not-a-token"
    before = _stored_answers(db_session)
    for path in (f"/s/{token}", f"/u/{token}"):
        response = client.post(path, data=_form(fields), content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, (path, fields, response.status_code)
        event(f"{path[:2]} status {response.status_code}")
        if response.status_code >= 400 and path.startswith("/s/"):
            assert _stored_answers(db_session) == before, fields


# -- the widget -----------------------------------------------------------------------------------

WIDGET_START_KEYS = ["survey_id", "score", "contact", "contact_token", "page_url", "lang"]
WIDGET_UPDATE_KEYS = ["edit_token", "score", "comment", "final"]


@FUZZ_SETTINGS
@given(
    survey_part=st.one_of(st.none(), texts),
    lang=st.one_of(st.none(), texts),
    origin=st.one_of(st.just(SHOP), texts.map(lambda t: t.encode("latin-1", "replace").decode("latin-1"))),
)
def test_fuzz_widget_config_never_fails(client, widget_survey, survey_part, lang, origin):
    path = f"/w/acme/surveys/{widget_survey if survey_part is None else _path_segment(survey_part)}"
    if lang is not None:
        path += "?" + _form({"lang": lang}).decode()
    for method in ("GET", "OPTIONS"):
        response = client.open(path, method=method, headers={"Origin": origin})
        _assert_json_answer(response)


@FUZZ_SETTINGS
@given(
    body=_body_with({"survey_id": "", "score": 9}, WIDGET_START_KEYS),
    raw_body=_any_body(),
    use_raw=st.booleans(),
)
def test_fuzz_widget_start_never_fails(client, db_session, widget_survey, body, raw_body, use_raw):
    document, raw = body
    document.setdefault("survey_id", widget_survey)
    if document["survey_id"] == "":
        document["survey_id"] = widget_survey
    data = raw_body if use_raw else _raw_splice(document, raw)
    response = client.post(
        "/w/acme/responses", data=data, headers={"Origin": SHOP, "Content-Type": "application/json"}
    )
    _assert_json_answer(response)


@FUZZ_SETTINGS
@given(
    body=_body_with({"score": 7}, WIDGET_UPDATE_KEYS),
    raw_body=_any_body(),
    use_raw=st.booleans(),
    real=st.booleans(),
    response_part=texts,
)
def test_fuzz_widget_update_never_fails(client, widget_survey, body, raw_body, use_raw, real, response_part):
    started = client.post(
        "/w/acme/responses", json={"survey_id": widget_survey, "score": 9}, headers={"Origin": SHOP}
    )
    assert started.status_code == 201, started.json
    document, raw = body
    if real:
        document.setdefault("edit_token", started.json["edit_token"])
    response_id = started.json["id"] if real else _path_segment(response_part)
    data = raw_body if use_raw else _raw_splice(document, raw)
    response = client.patch(
        f"/w/acme/responses/{response_id}",
        data=data,
        headers={"Origin": SHOP, "Content-Type": "application/json"},
    )
    _assert_json_answer(response)


# -- signed webhooks --------------------------------------------------------------------------------

EVENT_KEYS = ["id", "name", "occurred_at", "contact", "properties"]
CONTACT_KEYS = ["external_id", "email", "name", "locale", "attributes"]


def _signed_post(client, workspace, path: str, data: bytes, msg_id: str | None = None):
    """Sign the exact bytes (even invalid UTF-8) as Standard Webhooks does, and post them."""
    msg_id = msg_id or f"msg_{next(_messages)}"
    timestamp = str(int(time.time()))
    key = base64.b64decode(workspace.workspace.webhook_secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + data, hashlib.sha256).digest()
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
        "content-type": "application/json",
    }
    return client.post(path, data=data, headers=headers)


@FUZZ_SETTINGS
@given(
    body=_body_with(journey_event(), EVENT_KEYS),
    contact=st.dictionaries(st.sampled_from(CONTACT_KEYS), st.one_of(json_values, odd_datetimes), max_size=3),
    raw_body=_any_body(),
    use_raw=st.booleans(),
    msg_id=st.one_of(
        st.none(), st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=300)
    ),
)
def test_fuzz_signed_event_webhook_never_fails(client, workspace, body, contact, raw_body, use_raw, msg_id):
    document, raw = body
    document["id"] = (
        document.get("id") if "id" in document else f"evt-{hash(json.dumps(document, default=str))}"
    )
    if isinstance(document.get("contact"), dict):
        document["contact"] = {**document["contact"], **contact}
    data = raw_body if use_raw else _raw_splice(document, raw)
    response = _signed_post(client, workspace, "/webhooks/acme/events", data, msg_id=msg_id or None)
    _assert_json_answer(response)


@FUZZ_SETTINGS
@given(
    body=_body_with(
        {"external_ref": "JIRA-1", "title": "Faster delivery"},
        ["external_ref", "title", "status", "description"],
    ),
    raw_body=_any_body(),
    use_raw=st.booleans(),
)
def test_fuzz_signed_roadmap_webhook_never_fails(client, workspace, body, raw_body, use_raw):
    document, raw = body
    data = raw_body if use_raw else _raw_splice(document, raw)
    response = _signed_post(client, workspace, "/webhooks/acme/roadmap", data)
    _assert_json_answer(response)


@FUZZ_SETTINGS
@given(
    data=_any_body(),
    headers=st.dictionaries(
        st.sampled_from(["webhook-id", "webhook-timestamp", "webhook-signature", "content-type"]),
        st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=120),
        max_size=4,
    ),
    slug=st.one_of(st.just("acme"), texts),
    kind=st.sampled_from(["events", "roadmap"]),
)
def test_fuzz_unsigned_webhooks_are_refused(client, workspace, data, headers, slug, kind):
    response = client.post(f"/webhooks/{_path_segment(slug)}/{kind}", data=data, headers=headers)
    _assert_json_answer(response)
    assert response.status_code in (400, 401, 404, 405, 413), response.status_code


def test_fuzz_signer_gets_past_the_signature(client, workspace):
    """The fuzzed webhook bodies above are signed well enough to reach validation."""
    accepted = _signed_post(client, workspace, "/webhooks/acme/events", json.dumps(journey_event()).encode())
    assert accepted.status_code == 202, accepted.json
    invalid = _signed_post(client, workspace, "/webhooks/acme/events", b'{"id": "x"}')
    assert invalid.status_code == 422 and invalid.mimetype == "application/problem+json"
