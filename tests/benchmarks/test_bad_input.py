"""Malformed and near-valid documents: every target agrees with the oracle and names the field at fault."""

from __future__ import annotations

from benchmarks.bad_input import run_all, scenario_fields
from benchmarks.oracle import invalid_fields, names_the_fault

EXAMPLES = 40
NEAR_VALID = 32

NAMES = [
    "parse_request",
    "Scenario.from_data",
    "image-factory validate",
    "image-factory run --local (bad request)",
    "image-factory run --local (bad scenario)",
    "POST /runs (local API)",
    "lifecycle request models",
    "image-factory validate --workflow",
    "POST /workflows/{workflow}/runs (local API)",
]


# One sweep, one test: a module fixture shared by several tests runs again on every worker
# that takes one of them.
def test_every_target_agrees_with_the_oracle() -> None:
    targets = {target.name: target for target in run_all(EXAMPLES, NEAR_VALID)}
    assert list(targets) == NAMES
    disagreements = {}
    for name, target in targets.items():
        assert target.near_valid >= NEAR_VALID - 4, name
        assert target.cases > 0 and target.rejected > 0, name
        assert target.rejected + target.accepted + target.configured == target.cases, name
        verdict = (target.accepted_invalid, target.rejected_valid, target.not_at_fault, target.failures)
        if verdict != (0, 0, 0, []):
            disagreements[name] = verdict
    assert disagreements == {}, "(accepted but invalid, rejected but valid, not at fault, failures)"


def test_the_oracle_finds_the_root_volume_boundaries() -> None:
    from benchmarks.bad_input import request_bases

    base = request_bases()[0]
    verdicts = {}
    for size in (199, 200, 500, 501, "200", True):
        document = {**base, "builder": {**base["builder"], "root_volume_gb": size}}
        verdicts[size if size is not True else "true"] = invalid_fields("image-pipeline", document)
    assert verdicts == {
        199: {"builder.root_volume_gb"},
        200: None,
        500: None,
        501: {"builder.root_volume_gb"},
        "200": {"builder.root_volume_gb"},
        "true": {"builder.root_volume_gb"},
    }


def test_the_oracle_reads_appstream_tag_rules_and_long_names() -> None:
    request = {"name": "job", "image_name": "office", "tags": {"te\tam": "v"}}
    assert "tags.te\tam" in (invalid_fields("managed-update", request) or set())
    long = {"name": "n" * 40, "image_name": "office", "new_image_name": "{pipeline}-{pipeline}-{run}"}
    assert invalid_fields("managed-update", long) == {"new_image_name"}


def test_a_field_at_fault_is_named_exactly_or_from_inside() -> None:
    assert names_the_fault("builder.root_volume_gb", {"builder.root_volume_gb"})
    assert names_the_fault("snapshot.tags.aws:x.[key]", {"snapshot.tags.aws:x"})
    # An empty key of a map is named through `[key]` by the model and by the schema alike.
    assert names_the_fault("snapshot.scripts.0..[key]", {"snapshot.scripts.0..[key]"})
    assert names_the_fault("(request)", {"(top level)"})
    assert not names_the_fault("builder", {"builder.root_volume_gb"})
    assert not names_the_fault("pipeline", {"builder.root_volume_gb"})


def test_scenario_fields_are_read_from_the_message() -> None:
    message = "s.yaml: invalid scenario: jitter: too big; quotas.fleets: not an int"
    assert scenario_fields(message) == ["jitter", "quotas.fleets"]
