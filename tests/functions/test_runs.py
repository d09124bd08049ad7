"""How a run ends in its record: FAILED with step, code and message, whatever went wrong where."""

from __future__ import annotations

import json

import pytest

from functions.core import failures
from functions.core.errors import InvalidPipelineRequest
from functions.core.execution import Execution
from functions.workflows.image_pipeline import pipeline_run
from functions.workflows.image_pipeline.plan import Plan
from statemachines.image_pipeline import PHASES
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
        pipeline_run.validate(raw, EXECUTION, "test")
    message = str(rejected.value)
    assert "builder.instance_type" in message and "builder.root_volume_gb" in message

    failure = failures.record_failure(
        account.context, {**raw, "error": lambda_error("InvalidPipelineRequest", message)}, EXECUTION, Plan
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
    document = {**pipeline_run.initial_document(plan), "error": lambda_error("ExportFailed", message)}

    failure = failures.record_failure(account.context, document, EXECUTION, Plan)

    assert (failure.step, failure.error, failure.cause) == ("export", "ExportFailed", message)
    run = records.get_run(plan.run_id)
    assert run is not None and run["status"] == "FAILED"


def test_a_failure_no_step_recorded_still_names_the_running_step(account: Account) -> None:
    plan = make_plan()
    start_run(account, plan)
    account.context.records.step_started(plan.run_id, "builder", {})
    document = {
        **pipeline_run.initial_document(plan),
        "error": lambda_error("AppStreamThrottled", "CreateImageBuilder: x"),
    }

    failure = failures.record_failure(account.context, document, EXECUTION, Plan)

    assert failure.step == "builder"
    assert failure.cause == "builder: CreateImageBuilder: x"


def test_the_first_state_document_has_every_phase_the_state_machine_reads() -> None:
    document = pipeline_run.initial_document(make_plan(source={"image_name": "base"}))
    flow = {
        "import_image": False,
        "distribute": False,
        "copy_image": False,
        "export": True,
        "distribute_ami": False,
        "copy_ami": False,
    }
    assert document["flow"] == flow
    assert {"plan", "error", *PHASES} <= set(document)


def steps_by_name(account: Account, run_id: str) -> dict[str, dict[str, object]]:
    return {str(step["step"]): step for step in account.context.records.get_steps(run_id)}


def test_an_error_retries_gave_up_on_names_the_step_it_interrupted_not_cleanup(account: Account) -> None:
    plan = make_plan()
    start_run(account, plan)
    records = account.context.records
    records.step_started(plan.run_id, "export", {})
    # The Catch sends the run to cleanup first, which starts (and finishes) its own step.
    records.step_started(plan.run_id, "cleanup", {})
    records.step_succeeded(plan.run_id, "cleanup", {}, 60.0)
    message = "CreateExportImageTask 'x': ThrottlingException: Rate exceeded"
    document = {**pipeline_run.initial_document(plan), "error": lambda_error("AppStreamThrottled", message)}

    failure = failures.record_failure(account.context, document, EXECUTION, Plan)

    assert (failure.step, failure.error) == ("export", "AppStreamThrottled")
    assert failure.cause == f"export: {message}"
    run = records.get_run(plan.run_id)
    assert run is not None and run["error"] == {
        "step": "export",
        "code": "AppStreamThrottled",
        "message": message,
    }
    steps = steps_by_name(account, plan.run_id)
    assert steps["export"]["status"] == "FAILED"
    assert steps["export"]["error"] == {"code": "AppStreamThrottled", "message": message}
    assert steps["cleanup"]["status"] == "SUCCEEDED"


def test_a_crashed_task_closes_its_step_with_the_crash(account: Account) -> None:
    plan = make_plan()
    start_run(account, plan)
    records = account.context.records
    records.step_started(plan.run_id, "builder", {})
    records.step_started(plan.run_id, "cleanup", {})
    records.step_succeeded(plan.run_id, "cleanup", {}, 60.0)
    crash = {"Error": "Lambda.Unknown", "Cause": "The Lambda function ran out of time"}
    document = {**pipeline_run.initial_document(plan), "error": crash}

    failure = failures.record_failure(account.context, document, EXECUTION, Plan)

    assert (failure.step, failure.error) == ("builder", "Lambda.Unknown")
    assert steps_by_name(account, plan.run_id)["builder"]["status"] == "FAILED"


def test_a_cleanup_that_fails_after_a_successful_run_names_cleanup(account: Account) -> None:
    plan = make_plan()
    start_run(account, plan)
    records = account.context.records
    records.step_started(plan.run_id, "export", {})
    records.step_succeeded(plan.run_id, "export", {}, 60.0)
    records.step_started(plan.run_id, "cleanup", {})
    message = "DeleteImageBuilder 'b': InternalFailure: try again"
    document = {
        **pipeline_run.initial_document(plan),
        "cleanup_error": lambda_error("AppStreamUnavailable", message),
    }

    failure = failures.record_failure(account.context, document, EXECUTION, Plan)

    assert (failure.step, failure.error, failure.cause) == (
        "cleanup",
        "AppStreamUnavailable",
        f"cleanup: {message}",
    )
    steps = steps_by_name(account, plan.run_id)
    assert steps["cleanup"]["status"] == "FAILED"
    assert steps["export"]["status"] == "SUCCEEDED"


def test_a_cleanup_that_also_fails_keeps_the_first_failure_and_closes_both_steps(account: Account) -> None:
    plan = make_plan()
    start_run(account, plan)
    records = account.context.records
    records.step_started(plan.run_id, "snapshot", {})
    records.step_started(plan.run_id, "cleanup", {})
    document = {
        **pipeline_run.initial_document(plan),
        "error": lambda_error("AppStreamBusy", "CreateImage: ConcurrentModificationException"),
        "cleanup_error": lambda_error("AppStreamUnavailable", "DescribeImageBuilders: InternalFailure"),
    }

    failure = failures.record_failure(account.context, document, EXECUTION, Plan)

    assert (failure.step, failure.error) == ("snapshot", "AppStreamBusy")
    assert "cleanup also failed: DescribeImageBuilders: InternalFailure" in failure.cause
    steps = steps_by_name(account, plan.run_id)
    assert steps["snapshot"]["error"] == {
        "code": "AppStreamBusy",
        "message": "CreateImage: ConcurrentModificationException",
    }
    assert steps["cleanup"]["error"] == {
        "code": "AppStreamUnavailable",
        "message": "DescribeImageBuilders: InternalFailure",
    }
    assert not [name for name, step in steps.items() if step["status"] == "RUNNING"]
