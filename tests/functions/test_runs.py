"""How a run ends in its record: FAILED with step, code and message, whatever went wrong where."""

from __future__ import annotations

import json

import pytest

from functions.errors import InvalidPipelineRequest
from functions.plan import Execution
from functions.services import runs
from tests.functions.conftest import Account, make_plan, request_document, start_run

EXECUTION = Execution(
    id="arn:aws:states:us-east-1:123456789012:execution:image-pipeline:run-1",
    name="run-1",
    start_time="2026-01-01T00:00:00.000Z",
)


def lambda_error(kind: str, message: str) -> dict[str, str]:
    """What a Catch puts at ResultPath for a failed Lambda task."""
    return {
        "Error": kind,
        "Cause": json.dumps({"errorType": kind, "errorMessage": message, "stackTrace": []}),
    }


def test_a_bad_request_is_rejected_naming_every_field_and_recorded(account: Account) -> None:
    raw = request_document(builder={"instance_type": "huge", "root_volume_gb": 900})
    with pytest.raises(InvalidPipelineRequest) as rejected:
        runs.validate(raw, EXECUTION)
    message = str(rejected.value)
    assert "builder.instance_type" in message and "builder.root_volume_gb" in message

    failure = runs.record_failure(
        account.context, {**raw, "error": lambda_error("InvalidPipelineRequest", message)}, EXECUTION
    )
    run = account.context.records.get_run("run-1")
    assert run is not None and run["status"] == "FAILED"
    assert run["error"] == {"step": "validate", "code": "InvalidPipelineRequest", "message": message}
    assert failure.error == "InvalidPipelineRequest"


def test_a_failed_step_ends_the_run_with_that_step_and_appstreams_reason(account: Account) -> None:
    plan = make_plan()
    start_run(account, plan)
    records = account.context.records
    records.step_started(plan.run_id, "export", {})
    message = "export: export of 'x' to AMI 'y' is FAILED: AMI_QUOTA: too many AMIs"
    records.record_run_error(plan.run_id, "export", "ExportFailed", message)
    document = {**runs.initial_document(plan), "error": lambda_error("ExportFailed", message)}

    failure = runs.record_failure(account.context, document, EXECUTION)

    assert (failure.step, failure.error, failure.cause) == ("export", "ExportFailed", message)
    run = records.get_run(plan.run_id)
    assert run is not None and run["status"] == "FAILED"


def test_a_failure_no_step_recorded_still_names_the_running_step(account: Account) -> None:
    plan = make_plan()
    start_run(account, plan)
    account.context.records.step_started(plan.run_id, "builder", {})
    document = {
        **runs.initial_document(plan),
        "error": lambda_error("AppStreamThrottled", "CreateImageBuilder: x"),
    }

    failure = runs.record_failure(account.context, document, EXECUTION)

    assert failure.step == "builder"
    assert failure.cause == "builder: CreateImageBuilder: x"


def test_the_first_state_document_has_every_phase_the_state_machine_reads() -> None:
    document = runs.initial_document(make_plan(source={"image_name": "base"}))
    assert document["flow"] == {"import_image": False, "dry_run_first": False, "export": True}
    assert {"plan", "source", "slot", "builder", "snapshot", "export", "cleanup", "error"} <= set(document)
