"""Ids: the table-driven spelling is the RFC 4648 base32 text in Crockford's alphabet."""

import base64
import time

from surveys.core import db
from surveys.core.db import new_id

_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def test_ids_spell_the_millisecond_and_random_bytes_as_base32(monkeypatch):
    random = bytes(range(250, 240, -1))
    monkeypatch.setattr(db.os, "urandom", lambda n: random[:n])
    monkeypatch.setattr(db.time, "time_ns", lambda: 1_764_500_000_123_456_789)
    raw = (1_764_500_000_123).to_bytes(6, "big") + random
    expected = base64.b32encode(raw)[:26].decode().translate(_TO_CROCKFORD)
    assert new_id("rsp") == f"rsp_{expected}"


def test_ids_sort_by_time():
    first = new_id("evt")
    time.sleep(0.002)
    assert first < new_id("evt")
    assert len(first) == len("evt_") + 26
