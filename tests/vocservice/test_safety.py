"""Hostile input at the door (vocservice/safety.py): each class of input that used to reach a 5xx
gets a clear 4xx problem, on authenticated and public endpoints alike, and stores nothing."""

import http.client
import json
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from surveys.contact.models import Contact
from surveys.event.models import Event
from surveys.response.models import Response
from tests.support.helpers import create_survey, create_touchpoint, event, signed, table_count

PROBLEM = "application/problem+json"
NESTED = "[" * 5000 + "]" * 5000


def _post_raw(client, path, raw: str, headers: dict):
    return client.post(
        path,
        data=raw.encode("utf-8", "surrogatepass"),
        headers={**headers, "Content-Type": "application/json"},
    )


def _nothing_stored(db_session) -> None:
    db_session.expire_all()
    assert table_count(db_session, Event) == 0
    assert table_count(db_session, Contact) == 0
    assert table_count(db_session, Response) == 0


# -- NUL characters and lone surrogates --------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/surveys/%00", "/api/v1/responses/a%00b", "/s/%00", "/u/x%00", "/app/roadmap/%00"],
)
def test_nul_in_a_path_is_not_found(client, workspace, path):
    reply = client.get(path, headers=workspace.headers)
    assert reply.status_code == 404


def test_nul_in_a_webhook_path_is_not_found_and_stores_nothing(client, workspace, db_session):
    raw, headers = signed(workspace.workspace.webhook_secret, event())
    reply = client.post("/webhooks/%00/events", data=raw, headers=headers)
    assert reply.status_code == 404 and reply.mimetype == PROBLEM
    _nothing_stored(db_session)


@pytest.mark.parametrize("query", ["cursor=%00", "cursor=a%00b", "survey_id=%00", "x%00=1", "limit=1%00"])
def test_nul_in_a_query_string_is_a_400_problem(client, workspace, query):
    reply = client.get(f"/api/v1/responses?{query}", headers=workspace.headers)
    assert reply.status_code == 400 and reply.mimetype == PROBLEM
    assert "NUL" in reply.json["detail"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"name": "\\ud800", "kind": "nps", "question": "Q?"}', "name"),
        ('{"name": "a\\u0000b", "kind": "nps", "question": "Q?"}', "name"),
        (
            '{"name": "ok", "kind": "nps", "question": "Q?", '
            '"translations": {"de": {"question": "\\udfff"}}}',
            "translations.de.question",
        ),
    ],
)
def test_unstorable_characters_in_json_strings_are_a_422_naming_the_field(
    client, workspace, db_session, raw, field
):
    reply = _post_raw(client, "/api/v1/surveys", raw, workspace.headers)
    assert reply.status_code == 422 and reply.mimetype == PROBLEM
    assert field in reply.json["errors"], reply.json


def test_a_surrogate_in_a_json_key_is_refused(client, workspace, db_session):
    body = json.dumps(event())[:-1] + ', "properties": {"\\ud83d": 1}}'
    reply = _post_raw(client, "/api/v1/events", body, workspace.key_headers("ingest"))
    assert reply.status_code == 422
    _nothing_stored(db_session)


def test_widget_contact_and_page_url_with_nul_or_surrogate_are_4xx(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    from surveys.core.db import db
    from surveys.workspace.models import Workspace

    ws = db_session.get(Workspace, workspace.workspace.id)
    ws.allowed_origins = ["https://shop.example"]
    db_session.commit()
    origin = {"Origin": "https://shop.example"}
    for extra in ('"contact": "c\\u0000"', '"contact": "\\ud800"', '"page_url": "https://x/\\udc00"'):
        raw = f'{{"survey_id": "{survey["id"]}", "score": 9, {extra}}}'
        reply = _post_raw(client, "/w/acme/responses", raw, origin)
        assert 400 <= reply.status_code < 500, (extra, reply.status_code)
    assert db.session is not None
    _nothing_stored(db_session)


# -- numbers JSON cannot round-trip ---------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 400, "-" + "9" * 5000]
)
def test_unstorable_numbers_in_free_form_objects_are_a_422(client, workspace, db_session, number):
    body = json.dumps(event(properties={"total": 1}))
    body = body.replace('"total": 1', f'"total": {number}')
    reply = _post_raw(client, "/api/v1/events", body, workspace.key_headers("ingest"))
    assert reply.status_code == 422 and reply.mimetype == PROBLEM
    assert "properties.total" in reply.json["errors"], reply.json
    _nothing_stored(db_session)


def test_numbers_that_fit_still_pass(client, workspace, db_session):
    body = event(properties={"total": 1.5e15, "count": 2**53 - 1, "neg": -(2**53) + 1})
    reply = client.post("/api/v1/events", json=body, headers=workspace.key_headers("ingest"))
    assert reply.status_code == 202, reply.json
    db_session.expire_all()
    stored = db_session.execute(select(Event)).scalar_one()
    assert stored.properties == {"total": 1.5e15, "count": 2**53 - 1, "neg": -(2**53) + 1}


# -- deep nesting -----------------------------------------------------------------------------------


def test_deeply_nested_json_is_a_400_on_authenticated_and_public_endpoints(client, workspace, db_session):
    for path, headers in (
        ("/api/v1/events", workspace.key_headers("ingest")),
        ("/api/v1/surveys", workspace.headers),
        ("/w/acme/responses", {"Origin": "https://shop.example"}),
    ):
        reply = _post_raw(client, path, '{"properties": ' + NESTED + "}", headers)
        assert 400 <= reply.status_code < 500, (path, reply.status_code)
    raw, headers = signed(workspace.workspace.webhook_secret, '{"a": ' + NESTED + "}")
    assert client.post("/webhooks/acme/events", data=raw, headers=headers).status_code == 422
    _nothing_stored(db_session)


def test_nesting_just_under_the_limit_is_accepted(client, workspace, db_session):
    deep = 1
    for _ in range(4):  # free-form objects nest at most 5 levels (surveys/core/values.py)
        deep = {"k": deep}
    reply = client.post(
        "/api/v1/events", json=event(properties={"deep": deep}), headers=workspace.key_headers("ingest")
    )
    assert reply.status_code == 202, reply.json


# -- datetimes at the edges -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp",
    [
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "1899-12-31T23:59:59Z",
        "3000-01-01T00:00:00Z",
    ],
)
def test_times_outside_the_utc_range_are_a_422_at_the_schema(client, workspace, db_session, stamp):
    reply = client.post(
        "/api/v1/events", json=event(occurred_at=stamp), headers=workspace.key_headers("ingest")
    )
    assert reply.status_code == 422 and "occurred_at" in reply.json["errors"], reply.json
    raw, headers = signed(workspace.workspace.webhook_secret, event(occurred_at=stamp))
    assert client.post("/webhooks/acme/events", data=raw, headers=headers).status_code == 422
    for query in (f"from={stamp}", f"to={stamp}"):
        reply = client.get(f"/api/v1/responses?{query.replace('+', '%2B')}", headers=workspace.headers)
        assert reply.status_code == 422, (query, reply.status_code)
    _nothing_stored(db_session)


def test_an_event_with_an_offset_is_stored_in_utc_and_its_form_opens(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    create_touchpoint(client, workspace.headers, survey["id"], channel="link", delay_seconds=0)
    reply = client.post(
        "/api/v1/events",
        json=event(occurred_at="2026-11-30T23:30:00-05:00"),
        headers=workspace.key_headers("ingest"),
    )
    assert reply.status_code == 202, reply.json
    db_session.expire_all()
    stored = db_session.execute(select(Event)).scalar_one()
    assert stored.occurred_at.isoformat() == "2026-12-01T04:30:00+00:00"
    url = reply.json["invitations"][0]["url"]
    assert client.get("/s/" + url.rsplit("/s/", 1)[1]).status_code == 200


# -- odd digits, ports, url_for, regexes ------------------------------------------------------------


def test_superscript_digits_are_not_numbers(client, workspace):
    reply = client.get("/api/v1/roadmap-items?sort=impact&cursor=@%C2%B2", headers=workspace.headers)
    assert reply.status_code in (400, 422), reply.status_code


def test_trailing_newline_does_not_pass_anchored_validation(client, workspace):
    reply = client.post(
        "/api/v1/surveys",
        json={"name": "N", "kind": "nps", "question": "Q?", "locale": "en\n"},
        headers=workspace.headers,
    )
    assert reply.status_code == 422 and "locale" in reply.json["errors"]


# -- batches: the bad item gets its own result ------------------------------------------------------


def test_event_batch_with_hostile_items_stores_the_rest(client, workspace, db_session):
    good = [event(contact=f"c{i}") for i in range(3)]
    items = [json.dumps(e) for e in good]
    items.insert(1, json.dumps(event(contact="nan"))[:-1] + ', "properties": {"x": NaN}}')
    items.insert(3, json.dumps(event(contact="nul", name="a\u0000b")))
    items.insert(
        4, json.dumps(event(contact="deep"))[:-1] + ', "properties": {"x": ' + "[" * 40 + "]" * 40 + "}}"
    )
    items.insert(5, json.dumps(event(contact="old", occurred_at="0001-01-01T00:00:00+05:00")))
    raw = '{"events": [' + ", ".join(items) + "]}"
    reply = _post_raw(client, "/api/v1/events/batch", raw, workspace.key_headers("ingest"))
    assert reply.status_code == 200, reply.json
    statuses = [r["status"] for r in reply.json["results"]]
    assert statuses == [202, 422, 202, 422, 400, 422, 202], reply.json["results"]
    assert (reply.json["accepted"], reply.json["rejected"]) == (3, 4)
    db_session.expire_all()
    stored = {c.external_id for c in db_session.execute(select(Contact)).scalars()}
    assert stored == {"c0", "c1", "c2"}


def test_response_batch_with_hostile_items_stores_the_rest(client, workspace, db_session):
    survey = create_survey(client, workspace.headers)
    ok = {"survey_id": survey["id"], "score": 9, "comment": "fine"}
    items = [
        json.dumps(ok),
        json.dumps({**ok, "metadata": {"x": 1}}).replace('"x": 1', '"x": Infinity'),
        json.dumps({**ok, "comment": "\ud800"}, ensure_ascii=True),
        json.dumps({**ok, "submitted_at": "9999-12-31T23:59:59-05:00"}),
        json.dumps({**ok, "score": 7}),
    ]
    raw = '{"responses": [' + ", ".join(items) + "]}"
    reply = _post_raw(client, "/api/v1/responses/batch", raw, workspace.key_headers("ingest"))
    assert reply.status_code == 200, reply.json
    assert [r["status"] for r in reply.json["results"]] == [201, 422, 422, 422, 201]
    db_session.expire_all()
    assert sorted(r.score for r in db_session.execute(select(Response)).scalars()) == [7, 9]


def test_a_batch_body_that_is_not_json_is_refused_whole(client, workspace, db_session):
    reply = _post_raw(client, "/api/v1/events/batch", '{"events": [1, 2', workspace.key_headers("ingest"))
    assert reply.status_code == 400 and reply.mimetype == PROBLEM
    _nothing_stored(db_session)


# -- oversized chunked bodies -----------------------------------------------------------------------


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()


def _chunked_post(port: int, path: str, chunks, headers: dict) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", path, body=iter(chunks), headers=headers, encode_chunked=True)
    reply = conn.getresponse()
    body = reply.read()
    conn.close()
    return reply.status, body, reply.getheader("Content-Type", "")


def test_an_oversized_chunked_body_is_a_413_and_a_small_one_is_read_whole(
    app, live_server, workspace, db_session
):
    headers = {**workspace.key_headers("ingest"), "Content-Type": "application/json"}
    big = b'{"id": "x", "name": "' + b"a" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b'"}'
    status, body, mimetype = _chunked_post(
        live_server, "/api/v1/events", [big[i : i + 4096] for i in range(0, len(big), 4096)], headers
    )
    assert status == 413 and mimetype.startswith(PROBLEM), body[:200]
    small = json.dumps(event()).encode()
    status, body, _ = _chunked_post(live_server, "/api/v1/events", [small[:10], small[10:]], headers)
    assert status == 202, body


def test_event_batch_refuses_only_the_items_of_a_contact_over_the_merged_cap(client, workspace, db_session):
    ingest = workspace.key_headers("ingest")
    first = event(contact="full")
    first["contact"]["attributes"] = {f"a{i}": i for i in range(90)}
    assert client.post("/api/v1/events", json=first, headers=ingest).status_code == 202
    grow = event(contact="full")
    grow["contact"]["attributes"] = {f"b{i}": i for i in range(20)}  # 110 keys once merged
    reply = client.post(
        "/api/v1/events/batch", json={"events": [grow, event(contact="other")]}, headers=ingest
    )
    assert reply.status_code == 200, reply.json
    assert [r["status"] for r in reply.json["results"]] == [422, 202]
    assert "contact.attributes" in reply.json["results"][0]["errors"]
    db_session.expire_all()
    full = db_session.execute(select(Contact).where(Contact.external_id == "full")).scalar_one()
    assert len(full.attributes) == 90  # nothing of the refused item was kept
    assert table_count(db_session, Event) == 2


def test_language_tags_longer_than_the_column_are_refused_or_ignored(client, workspace, db_session):
    from tests.support.helpers import make_invitation, widget_survey

    survey_id = widget_survey(db_session, workspace.workspace.id)
    origin = {"Origin": "https://shop.example"}
    too_long = {"survey_id": survey_id, "score": 5, "lang": "abc-abcdefgh-abcd"}  # 17 characters
    reply = client.post("/w/acme/responses", json=too_long, headers=origin)
    assert reply.status_code == 422 and "lang" in reply.json["errors"]
    fits = client.post("/w/acme/responses", json={**too_long, "lang": "abc-abcdefgh-abc"}, headers=origin)
    assert fits.status_code == 201
    invitation = make_invitation(db_session, workspace.workspace.id)
    page = client.post(f"/s/{invitation.token}", data={"score": "7", "lang": "abc-abcdefgh-abcdefgh"})
    assert page.status_code == 200  # the form ignores a tag it cannot keep
    db_session.expire_all()
    locales = sorted(str(r.locale) for r in db_session.execute(select(Response)).scalars())
    assert locales == ["None", "abc-abcdefgh-abc"]
