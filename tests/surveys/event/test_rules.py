"""Touchpoint conditions and sampling."""

from surveys.core.conditions import conditions_match
from surveys.event.rules import sampled_in

CONTEXT = {
    "contact": {"attributes": {"plan": "pro", "seats": 12, "tags": None}},
    "event": {"properties": {"total": 99.5, "country": "DE"}},
}


def test_rules_each_operator():
    def match(field, op, value=True):
        return conditions_match([{"field": field, "op": op, "value": value}], CONTEXT)

    assert match("contact.attributes.plan", "eq", "pro")
    assert not match("contact.attributes.plan", "eq", "free")
    assert match("contact.attributes.plan", "ne", "free")
    assert match("contact.attributes.plan", "in", ["pro", "enterprise"])
    assert match("contact.attributes.seats", "gt", 10)
    assert match("contact.attributes.seats", "gte", 12)
    assert not match("contact.attributes.seats", "lt", 12)
    assert match("event.properties.total", "lte", 99.5)
    assert match("event.properties.country", "exists", True)
    assert not match("contact.attributes.tags", "exists", True)
    assert match("contact.attributes.missing", "exists", False)
    assert not match("contact.attributes.missing", "eq", None)
    assert not match("contact.attributes.plan", "gt", 5)  # str vs int: no match, no crash


def test_rules_all_conditions_must_hold():
    conditions = [
        {"field": "contact.attributes.plan", "op": "eq", "value": "pro"},
        {"field": "event.properties.country", "op": "eq", "value": "FR"},
    ]
    assert not conditions_match(conditions, CONTEXT)
    assert conditions_match([], CONTEXT)


def test_rules_sampling_is_deterministic_and_close_to_rate():
    picks = [sampled_in("tp_1", f"evt-{i}", 0.3) for i in range(4000)]
    assert picks == [sampled_in("tp_1", f"evt-{i}", 0.3) for i in range(4000)]
    assert 0.27 < sum(picks) / len(picks) < 0.33
    assert all(sampled_in("tp_1", f"e{i}", 1.0) for i in range(50))
    assert not any(sampled_in("tp_1", f"e{i}", 0.0) for i in range(50))
