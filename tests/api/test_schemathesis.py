"""Property-based tests of the local run API from the committed OpenAPI document (schemathesis).

Every operation gets schema-valid and schema-invalid requests; whatever they are, the API
must never answer 5xx, and every answer must have a documented status, content type and
shape. Examples are bounded so the test stays within seconds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from image_factory.commands.api import OPENAPI_PATH
from image_factory.remote.local_server import LocalApiServer
from tests.engine.pipeline_support import fast_engine

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 25  # per generation mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalApiServer]:
    with LocalApiServer(fast_engine(), port=0) as running:
        yield running


def test_no_input_makes_the_api_fail_or_break_its_contract(server: LocalApiServer) -> None:
    schema = schemathesis.openapi.from_path(OPENAPI_PATH)
    operations = [result.ok() for result in schema.get_all_operations()]
    session = requests.Session()
    cases_run = 0
    for operation in operations:
        takes_input = any(
            len(part)
            for part in (operation.body, operation.query, operation.headers, operation.path_parameters)
        )
        # An operation without inputs (GET /workflows) has no schema-invalid request to make.
        modes = (
            (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if takes_input else (GenerationMode.POSITIVE,)
        )
        for mode in modes:
            strategy = operation.as_strategy(generation_mode=mode)

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case) -> None:
                nonlocal cases_run
                cases_run += 1
                case.call_and_validate(base_url=server.url, session=session, checks=CHECKS)

            check()
    print(f"schemathesis: {cases_run} cases over {len(operations)} operations")
    assert cases_run >= len(operations) * 10
