"""Property-based fuzzing of every operation in the app's OpenAPI document (/api/openapi.json),
against the real app on PostgreSQL and Redis.

Each operation gets a bounded number of generated requests, valid and invalid by the document,
sent with a real API key. Every answer must be a non-5xx that matches what the document says:
status code, content type and body schema. Path ids are sometimes real ids of this workspace, so
the handlers behind a 404 are reached too. A 5xx found here is a bug to fix, never an example to
exclude. Each operation is its own subtest, so one failure does not hide the others.
"""

from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import MAX_EXAMPLES, SUPPRESSED

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _operations(api_schema) -> list:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 40, "the OpenAPI document lost operations"
    return operations


def _use_real_ids(case, real_ids: dict[str, str], which: int) -> None:
    """Swap generated path ids for real ones: ``which`` 0 keeps them, 1 swaps every other, 2 all."""
    for position, name in enumerate(sorted(case.path_parameters or {})):
        if name in real_ids and (which == 2 or (which == 1 and position % 2 == 0)):
            case.path_parameters[name] = real_ids[name]


def _fuzz(operation, headers: dict, real_ids: dict[str, str], max_examples: int) -> None:
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @given(case=cases, which=st.sampled_from([0, 1, 2]))
    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=SUPPRESSED,
    )
    def run(case, which):
        _use_real_ids(case, real_ids, which)
        case.headers = {**(case.headers or {}), **headers}
        case.call_and_validate(checks=CHECKS)

    run()


def test_openapi_every_operation_as_admin(api_schema, real_ids, workspace, subtests):
    for operation in _operations(api_schema):
        with subtests.test(msg=operation.label):
            _fuzz(operation, workspace.headers, real_ids, MAX_EXAMPLES)


def test_openapi_every_operation_with_lesser_keys(api_schema, real_ids, workspace, subtests):
    """Analyst and ingest keys: a 403 problem where the role may not act, never a 5xx."""
    for role in ("analyst", "ingest"):
        for operation in _operations(api_schema):
            with subtests.test(msg=f"{role}: {operation.label}"):
                _fuzz(operation, workspace.key_headers(role), real_ids, max(3, MAX_EXAMPLES // 5))
