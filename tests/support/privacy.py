"""Builders and searches for the privacy tests: a person with answers through every path, and
a search of every text or JSON column of every table, and of every Redis key, for a string."""

import contextlib
import zlib

from redis import Redis
from sqlalchemy import text

from tests.support.helpers import create_survey, create_touchpoint, event

ANN_EMAIL = "Ann.Person@Example.com"
ANN_ID = "cust-ann-7731"
BOB_ID = "cust-bob-4410"


def person(external_id: str, email: str | None, plan: str = "pro", arr: int = 12000) -> dict:
    contact = {"external_id": external_id, "attributes": {"plan": plan, "arr": arr}, "name": "A Name"}
    if email:
        contact["email"] = email
    return contact


def setup_survey(client, headers) -> tuple[dict, dict]:
    survey = create_survey(client, headers)
    touchpoint = create_touchpoint(client, headers, survey["id"], recontact_days=0)
    return survey, touchpoint


def answer_through_form(client, headers, contact: dict, score: int, comment: str) -> str:
    """An event, its link invitation and the hosted form's answer (so with an event snapshot)."""
    body = event(contact=contact["external_id"])
    body["contact"] = contact
    reply = client.post("/api/v1/events", json=body, headers=headers)
    assert reply.status_code == 202, reply.json
    [invitation] = reply.json["invitations"]
    assert invitation["status"] == "scheduled", invitation
    token = invitation["url"].rsplit("/", 1)[1]
    done = client.post(f"/s/{token}", data={"score": str(score), "comment": comment, "action": "submit"})
    assert done.status_code == 200
    return invitation["id"]


def answer_through_api(
    client, headers, survey_id: str, contact: dict, score: int, comment: str | None
) -> str:
    body = {"survey_id": survey_id, "score": score, "comment": comment, "contact": contact}
    reply = client.post("/api/v1/responses", json=body, headers=headers)
    assert reply.status_code == 201, reply.json
    return reply.json["id"]


def search_database(session, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text, varchar or JSON column holding a needle."""
    columns = session.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')"
        )
    ).all()
    found = []
    for table, column in columns:
        for needle in needles:
            hit = session.execute(
                text(f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE :p LIMIT 1'),
                {"p": f"%{needle}%"},
            ).first()
            if hit:
                found.append((table, column, needle))
    return found


def _texts(redis: Redis, key: bytes) -> list[bytes]:
    kind = redis.type(key).decode()
    if kind == "string":
        values = [redis.get(key) or b""]
    elif kind == "hash":
        values = [v for pair in redis.hgetall(key).items() for v in pair]
    elif kind == "list":
        values = redis.lrange(key, 0, -1)
    elif kind == "set":
        values = list(redis.smembers(key))
    elif kind == "zset":
        values = redis.zrange(key, 0, -1)
    elif kind == "stream":
        values = [v for _, fields in redis.xrange(key) for pair in fields.items() for v in pair]
    else:
        values = []
    out = [key]
    for value in values:
        out.append(value)
        with contextlib.suppress(zlib.error):  # RQ keeps job data zlib-compressed
            out.append(zlib.decompress(value))
    return out


def search_redis(redis: Redis, needles: list[str]) -> list[tuple[bytes, str]]:
    found = []
    for key in redis.scan_iter(count=1000):
        blob = b"\n".join(_texts(redis, key)).lower()
        found.extend((key, needle) for needle in needles if needle.lower().encode() in blob)
    return found
