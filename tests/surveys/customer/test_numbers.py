"""Numbers in attributes are read totally: odd values are "not a number", never an exception."""

import pytest

from surveys.customer.numbers import read_key, read_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12000, 12000.0),
        (12000.5, 12000.5),
        ("12000", 12000.0),
        (" -3.25 ", -3.25),
        ("n/a", None),
        ("1e999", None),
        ("", None),
        ("12,000", None),
        ("NaN", None),
        ("inf", None),
        ("1_000", None),
        (True, None),
        (False, None),
        (None, None),
        ({"x": 1}, None),
        ([1], None),
        (float("inf"), None),
        (float("nan"), None),
        (10**400, None),
        ("9" * 400, None),
    ],
)
def test_read_number_is_total(value, expected):
    assert read_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Globex", "Globex"),
        ("  Globex ", "Globex"),
        ("", None),
        ("   ", None),
        (None, None),
        (True, None),
        (42, "42"),
        ({"a": 1}, None),
        ("x" * 300, "x" * 200),
    ],
)
def test_read_key_is_total(value, expected):
    assert read_key(value) == expected
