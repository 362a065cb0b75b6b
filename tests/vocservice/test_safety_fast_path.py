"""safety.loads skips its value-by-value walk only when the text proves the walk would pass:
on tricky documents the skip check and the walk must agree, and loads' answer is unchanged."""

import json

import pytest

from surveys.core.errors import Invalid, Malformed
from vocservice import safety


def _walk_passes(document) -> bool:
    try:
        safety._walk(document)
    except (Invalid, Malformed):
        return False
    return True


TEXTS = [
    '{"a": "plain", "b": [1, 2.5, {"c": null}]}',
    '{"emoji": "\\ud83d\\ude00"}',  # an escaped surrogate PAIR decodes to one valid character
    '{"lone": "\\ud800"}',
    '{"key\\u0000": 1}',
    '{"escaped backslash": "\\\\u0000"}',  # the text \u0000, not a NUL
    '"\\uDFFF"',
    "[" * 32 + "]" * 32,
    "[" * 33 + "]" * 33,
    '{"events": [' + ",".join(['{"a": "[[[[{{{{ not brackets"}'] * 5) + "]}",
    '{"s": "\\"quoted\\" and \\\\ backslash ]]]"}',
]


@pytest.mark.parametrize("text", TEXTS)
def test_safety_skip_check_never_passes_what_the_walk_refuses(text):
    document = json.loads(text)
    if safety._plainly_fine(text, document):
        assert _walk_passes(document)


@pytest.mark.parametrize("text", TEXTS)
def test_safety_loads_answers_as_the_walk_does(text):
    document = json.loads(text)
    if _walk_passes(document):
        assert safety.loads(text) == document
    else:
        with pytest.raises((Invalid, Malformed)):
            safety.loads(text)


def test_safety_loads_per_item_still_marks_only_the_bad_item():
    text = json.dumps({"events": [{"id": "ok"}, {"id": "bad\u0000"}, {"deep": [[[[]]]]}]})
    document = safety.loads(text, per_item="events")
    good, bad, deep = document["events"]
    assert good == {"id": "ok"} and deep == {"deep": [[[[]]]]}
    assert isinstance(bad, safety.ItemError)


def test_safety_plain_batch_takes_the_skip_and_keeps_numbers_checked():
    text = json.dumps({"events": [{"id": str(i), "n": i} for i in range(50)]})
    assert safety._plainly_fine(text, json.loads(text))
    with pytest.raises(Invalid):
        safety.loads('{"events": [{"n": 1e400}]}')
    with pytest.raises(Invalid):
        safety.loads('{"n": 99999999999999999999999}')
