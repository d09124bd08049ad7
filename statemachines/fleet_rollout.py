"""Fleet rollout: point fleets at a new image one at a time, verify each, roll a failed one back.

A fleet is stopped only inside the maintenance window; a failure on a fleet (InspectFleet,
ApplyFleet) puts it back on its previous image (RollbackFleet) before the run is recorded failed.
Two steps, each with its state path and its records per fleet: `$.rollout` (`rollout:<fleet>`)
and `$.rollback` (`rollback:<fleet>`).
"""

from __future__ import annotations

from statemachines.dsl import (
    JSON,
    PROGRESS,
    choice,
    equals,
    inputs,
    machine,
    outputs,
    pass_parameters,
    pass_result,
    succeed,
    task,
    until_done,
    wait,
)
from statemachines.runs import (
    cancellation,
    record_failure,
    record_run,
    record_success,
    validate_lifecycle_request,
)

COMMENT = (
    "AppStream Image Factory fleet rollout: point fleets at a new image one at a time; stop a fleet only"
    " inside the maintenance window; verify it comes back in its state with the new image; on failure"
    " put it back on its previous image."
)
# The fleet being rolled out, as every task of the loop leaves it (the functions' FleetProgress).
ROLLOUT = outputs(
    *PROGRESS,
    "index",
    "name",
    "action",
    "reason",
    "was_running",
    "previous_image",
    "previous_root_volume_gb",
    "start_requested",
    "state",
    "waiting_since",
    "actions",
)
# The failed fleet's way back (RollbackProgress).
ROLLBACK = outputs(*PROGRESS, "state", "start_requested", "actions")


def definition() -> JSON:
    return machine(
        COMMENT,
        [
            *cancellation("fleet-rollout", first="ValidateRequest"),
            validate_lifecycle_request(
                "fleet-rollout",
                "Validate the fleet rollout request (every bad field named) into the run's plan.",
                result=outputs("plan", "error", "cleanup_error"),
            ),
            record_run("LifecycleRecordRunFunctionArn", on_error="RecordFailure", next="FirstFleet"),
            pass_result(
                "FirstFleet",
                "Fleets are rolled out one at a time, in the order of the request: a bad image stops at"
                " the first fleet it breaks.",
                {"index": 0},
                result_path="$.rollout",
                next="InspectFleet",
            ),
            task(
                "InspectFleet",
                "RolloutInspectFleetFunctionArn",
                "Look at the fleet: already on the image, needs a stop outside the maintenance window"
                " (wait for it or skip), busy, or ready; `done` after the last fleet.",
                payload=inputs("plan", "rollout"),
                result=ROLLOUT,
                result_path="$.rollout",
                on_error="BeginRollback",
                next="FleetAction?",
            ),
            choice(
                "FleetAction?",
                "Update the fleet, wait (window or a busy fleet), or go on to the next fleet (unchanged or"
                " skipped).",
                [
                    equals("$.rollout.action", "apply", "ApplyFleet"),
                    equals("$.rollout.action", "wait", "WaitForFleet"),
                    equals("$.rollout.action", "done", "Report"),
                ],
                default="NextFleet",
            ),
            wait(
                "WaitForFleet",
                "rollout",
                "Until the maintenance window opens, or the fleet is no longer STARTING/STOPPING.",
                next="InspectFleet",
            ),
            task(
                "ApplyFleet",
                "RolloutApplyFleetFunctionArn",
                "One move towards the new image: StopFleet (if a stop is needed), UpdateFleet (image,"
                " RootVolumeConfig or AttributesToDelete VOLUME_CONFIGURATION), StartFleet; done once the"
                " fleet is back in its state with the new image and no FleetErrors.",
                payload=inputs("plan", "rollout"),
                result=ROLLOUT,
                result_path="$.rollout",
                on_error="BeginRollback",
                next="FleetUpdated?",
            ),
            until_done(
                "FleetUpdated?",
                "rollout",
                "Is the fleet back in its state with the new image?",
                then="NextFleet",
                otherwise="WaitForFleetMove",
            ),
            wait(
                "WaitForFleetMove",
                "rollout",
                "Sleep as long as RolloutApplyFleet planned (the fleet is stopping or starting).",
                next="ApplyFleet",
            ),
            pass_parameters(
                "NextFleet",
                "On to the next fleet of the request.",
                {"index.$": "States.MathAdd($.rollout.index, 1)"},
                result_path="$.rollout",
                next="InspectFleet",
            ),
            task(
                "Report",
                "RolloutReportFunctionArn",
                "The run's result: each fleet's outcome (UPDATED, UNCHANGED, SKIPPED) from its step record.",
                payload=inputs("plan"),
                result=outputs("image", "fleets"),
                result_path="$.result",
                on_error="RecordFailure",
                next="RecordSuccess",
            ),
            record_success("LifecycleRecordSuccessFunctionArn", inputs("result")),
            succeed("Succeeded", "Output: run id, image, and each fleet's outcome."),
            # --- a failed fleet goes back to its previous image ---
            pass_result(
                "BeginRollback",
                "The failed fleet's way back starts with no move made.",
                {},
                result_path="$.rollback",
                next="RollbackFleet",
            ),
            task(
                "RollbackFleet",
                "RolloutRollbackFleetFunctionArn",
                "One move of the failed fleet back to its previous image and root volume (nothing to do"
                " when it was not changed yet).",
                payload=inputs("plan", "rollout", "rollback", "error"),
                result=ROLLBACK,
                result_path="$.rollback",
                on_error="RecordFailure",
                error_path="$.cleanup_error",
                next="RolledBack?",
            ),
            until_done(
                "RolledBack?",
                "rollback",
                "Is the fleet back on its previous image?",
                then="RecordFailure",
                otherwise="WaitForRollback",
            ),
            wait(
                "WaitForRollback",
                "rollback",
                "Sleep as long as RolloutRollbackFleet planned.",
                next="RollbackFleet",
            ),
            *record_failure(
                "LifecycleRecordFailureFunctionArn",
                "Record the run as FAILED with the step (rollout:<fleet>), error code and AppStream's"
                " reason.",
            ),
        ],
    )
