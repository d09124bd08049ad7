"""Malformed requests and scenarios: no traceback, no 5xx, every rejection names a field."""

from __future__ import annotations

import pytest

from benchmarks.bad_input import Target, names_a_field, run_all, scenario_fields

EXAMPLES = 100


@pytest.fixture(scope="module")
def targets() -> dict[str, Target]:
    return {target.name: target for target in run_all(EXAMPLES)}


def test_every_target_saw_every_case(targets: dict[str, Target]) -> None:
    assert len(targets) == 9
    for target in targets.values():
        assert target.cases == EXAMPLES, target.name


@pytest.mark.parametrize(
    "name",
    [
        "parse_request",
        "Scenario.from_data",
        "image-factory validate",
        "image-factory run --local (bad request)",
        "image-factory run --local (bad scenario)",
        "POST /runs (local API)",
        "lifecycle request models",
        "image-factory validate --workflow",
        "POST /workflows/{workflow}/runs (local API)",
    ],
)
def test_no_traceback_no_5xx_and_every_rejection_names_a_field(targets: dict[str, Target], name: str) -> None:
    target = targets[name]
    assert target.failures == []
    assert target.rejected + target.accepted == target.cases
    assert target.rejected > 0


def test_a_field_is_named_through_the_document_or_the_schema() -> None:
    document = {"builder": {"root_volume_gb": 0}, "snapshot": {"tags": {"a.b": 1}}}
    names = {"pipeline", "builder", "root_volume_gb"}
    assert names_a_field("builder.root_volume_gb", document, names)
    assert names_a_field("pipeline", document, names)
    assert names_a_field("snapshot.tags.a.b", document, names)
    assert names_a_field("(request)", [1, 2], names)
    assert not names_a_field("", document, names)
    assert not names_a_field("nowhere", document, names)


def test_scenario_fields_are_read_from_the_message() -> None:
    message = "s.yaml: invalid scenario: jitter: too big; quotas.fleets: not an int"
    assert scenario_fields(message) == ["jitter", "quotas.fleets"]
