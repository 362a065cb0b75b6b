"""Free-form values: what is refused before it is stored (with the path at fault), and readers
and conditions that treat anything stored earlier as "not a number" instead of failing."""

import math

import pytest

from surveys.core import values
from surveys.core.conditions import conditions_match
from surveys.core.errors import Invalid
from surveys.core.values import (
    MAX_SAFE_INTEGER,
    ContactAttributesFull,
    as_number,
    check_contact_attributes,
    check_free_form,
    check_value,
    is_number,
    messages,
)

HUGE = 10**400


@pytest.mark.parametrize(
    ("obj", "path"),
    [
        ({"arr": HUGE}, "attributes.arr"),
        ({"arr": -HUGE}, "attributes.arr"),
        ({"arr": MAX_SAFE_INTEGER + 1}, "attributes.arr"),
        ({"arr": float("nan")}, "attributes.arr"),
        ({"arr": float("inf")}, "attributes.arr"),
        ({"arr": 1e300}, "attributes.arr"),
        ({"deep": {"list": [1, 2, {"x": float("-inf")}]}}, "attributes.deep.list.2.x"),
        ({"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}, "attributes.a.b.c.d.e.f"),
        ({"s": "x" * 5000}, "attributes.s"),
        ({"s": "bad\x00byte"}, "attributes.s"),
        ({"s": "lone \ud800 surrogate"}, "attributes.s"),
        ({"tags": list(range(201))}, "attributes.tags"),
        ({"when": object()}, "attributes.when"),
    ],
)
def test_values_check_free_form_refuses_with_the_path(obj, path):
    with pytest.raises(Invalid) as caught:
        check_free_form(obj, "attributes")
    assert path in caught.value.errors, caught.value.errors
    assert caught.value.detail.startswith(path)


def test_values_check_free_form_accepts_ordinary_objects_and_limits_size():
    fine = {
        "arr": MAX_SAFE_INTEGER,
        "min": -MAX_SAFE_INTEGER,
        "ratio": 0.25,
        "plan": "enterprise",
        "active": True,
        "none": None,
        "nested": {"a": {"b": {"c": {"d": [1, 2, 3]}}}},
    }
    check_free_form(fine, "attributes")
    with pytest.raises(Invalid) as caught:
        check_free_form({f"k{i}": "x" * 200 for i in range(100)}, "properties")
    assert "properties" in caught.value.errors  # over 16 KiB serialised
    with pytest.raises(Invalid):
        check_free_form({f"k{i}": i for i in range(101)}, "attributes", max_keys=100)
    # Marshmallow validators get the same findings as "path: message" lines.
    assert messages({"arr": HUGE})[0].startswith("arr: must be a finite number")
    assert messages({"ok": 1}) == []


def test_values_check_value_and_contact_caps():
    check_value(42, "conditions.0.value")
    check_value(["a", 1.5], "conditions.0.value")
    with pytest.raises(Invalid) as caught:
        check_value([1, HUGE], "conditions.0.value")
    assert list(caught.value.errors) == ["conditions.0.value.1"]
    check_contact_attributes({f"k{i}": i for i in range(100)})
    with pytest.raises(Invalid) as caught:
        check_contact_attributes({f"k{i}": i for i in range(101)})
    assert list(caught.value.errors) == ["contact.attributes"]
    with pytest.raises(Invalid):
        check_contact_attributes({"blob": "x" * 17_000})
    # Sizes only: a legacy value does not make the merged check itself fail.
    check_contact_attributes({"arr": HUGE})


def test_values_as_number_is_total():
    assert as_number(12) == 12.0 and as_number(-0.5) == -0.5
    for poison in (
        HUGE,
        -HUGE,
        MAX_SAFE_INTEGER + 1,
        float("nan"),
        float("inf"),
        True,
        False,
        "12",
        None,
        {},
        [],
    ):
        assert as_number(poison) is None, poison
        assert not is_number(poison)
    assert is_number(MAX_SAFE_INTEGER) and is_number(-MAX_SAFE_INTEGER) and is_number(1e-300)


CONTEXT = {
    "contact": {
        "attributes": {
            "huge": HUGE,
            "nan": float("nan"),
            "flag": True,
            "zero": False,
            "text": "NaN",
            "obj": {"a": 1},
            "seats": 12,
        }
    }
}


def _match(field: str, op: str, value) -> bool:
    return conditions_match([{"field": f"contact.attributes.{field}", "op": op, "value": value}], CONTEXT)


def test_conditions_treat_stored_poison_as_not_a_number():
    for field in ("huge", "nan", "flag", "zero", "text", "obj"):
        for op in ("gt", "gte", "lt", "lte"):
            assert not _match(field, op, 0), (field, op)
            assert not _match(field, op, 10**20), (field, op)  # a huge expected value too
        assert not _match(field, "eq", 1)
        assert _match(field, "ne", 1)
    assert not _match("huge", "eq", HUGE)  # out of range numbers equal nothing, as in SQL
    assert not _match("flag", "eq", 1) and not _match("zero", "eq", 0)  # booleans are not numbers
    assert not _match("flag", "in", [1, 2]) and _match("flag", "in", [True])
    assert _match("obj", "eq", {"a": 1}) and not _match("obj", "gt", {"a": 0})
    assert _match("text", "gt", "M") and not _match("text", "gt", 1)
    assert _match("seats", "gt", 11.5) and _match("seats", "lte", 12) and not _match("seats", "gt", math.inf)


def test_values_json_loads_reads_numbers_python_refuses():
    from surveys.core.values import json_loads

    assert json_loads('{"a": 12, "b": 1.5, "c": [1, "x"]}') == {"a": 12, "b": 1.5, "c": [1, "x"]}
    assert json_loads(b'{"a": ' + b"9" * 400 + b"}")["a"] == int("9" * 400)
    assert json_loads('{"a": ' + "7" * 5000 + "}") == {"a": "7" * 5000}


@pytest.mark.parametrize(
    "obj",
    [
        {"a": "x" * 4000, "b": "y" * 4000, "c": "z" * 4000, "d": "w" * 4000, "e": "v" * 500},
        {"k": ["\x01" * 1000] * 3},  # control characters take 6 bytes each once escaped
        {f"k{i}": {"n": 1.2345678901234567e-300, "t": "é" * 70} for i in range(100)},
        {"plan": "pro", "arr": 1200, "tags": ["a", "b"]},
    ],
)
def test_values_size_limit_is_exact_whatever_the_shortcut(obj):
    """The bound that skips serialising small objects never lets an oversized one through."""
    assert (values._size(obj) > values.MAX_BYTES) == bool(values.problems(obj))


def test_values_contact_cap_counts_bytes_of_flat_and_nested_attributes():
    check_contact_attributes({f"k{i}": "x" * 150 for i in range(99)})
    with pytest.raises(ContactAttributesFull):
        check_contact_attributes({f"k{i}": "x" * 170 for i in range(99)})
    with pytest.raises(ContactAttributesFull):
        check_contact_attributes({"k": ["x" * 100] * 200})
