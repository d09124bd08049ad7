"""What cancelling a run has to undo, per workflow, since StopExecution skips the workflow's Catch.

Each workflow's undo is the cleanup its own failure path runs, one pass at a time:

* image-pipeline: stop and delete the builder, release the slot
  (`functions.workflows.image_pipeline.cleanup`);
* managed-update: delete the updated image this run made, once it settles;
* export-backup, retention: nothing. An export already started finishes by itself
  (AppStream cannot cancel one) and is not recorded as a backup, so the job's next run
  exports that image again; what retention deleted stays deleted, the rest waits for
  the next run;
* fleet-rollout: nothing, because a rollout is only stopped while no fleet is moving
  (see `refusal`): a fleet is never left stopped or half updated. Should a move have
  begun between that look and the stop, the cancellation records it for a person.

A task in flight when the execution stopped may still finish (a builder or an image
created a moment later), so cleanup only counts as done when a pass that began
`settle_seconds` after the stop finds nothing left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from functions.api import executions
from functions.core.context import Context
from functions.core.errors import CleanupIncomplete
from functions.core.execution import Execution
from functions.core.plan import LifecyclePlan
from functions.core.plan import build_plan as build_lifecycle_plan
from functions.workflows import LAMBDA_TASKS, get_workflow
from functions.workflows.image_pipeline import cleanup
from functions.workflows.image_pipeline.phases import CleanupPhase
from functions.workflows.image_pipeline.plan import Plan, build_plan
from functions.workflows.image_pipeline.request import PipelineRequest
from functions.workflows.managed_update import updates

# The states of a fleet rollout in which a fleet is being changed or changed back.
FLEET_MOVING_STATES = {
    "ApplyFleet",
    "FleetUpdated?",
    "WaitForFleetMove",
    "RollbackFleet",
    "RolledBack?",
    "WaitForRollback",
}


class Progress(Protocol):
    """A cleanup pass's progress: CleanupPhase (pipeline) or UpdateCleanup (managed update)."""

    done: bool
    wait_seconds: int
    actions: list[str]

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Any: ...


Pass = Callable[[Context, dict[str, Any], Any], Any]


@dataclass(frozen=True)
class Undo:
    step: str | None  # the step its passes record: not one the cancellation marks CANCELLED
    settle_seconds: float
    start: Callable[[], Progress]
    run_pass: Pass


def _settle(*task_names: str) -> float:
    """The longest these tasks, started before the stop, can still run."""
    return float(max(task.timeout_seconds for task in LAMBDA_TASKS if task.name in task_names))


def _execution(run: dict[str, Any]) -> Execution:
    """The execution as the workflow saw it: its names are dated by the execution's start time
    (`$$.Execution.StartTime`), which the record's own start time may not share."""
    arn = str(run["execution_arn"])
    described = executions.describe(arn) or {}
    started = described.get("startDate")
    start_time = (
        started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        if isinstance(started, datetime)
        else str(run["started_at"])
    )
    return Execution(id=arn, name=arn.rsplit(":", 1)[-1], start_time=start_time)


def pipeline_plan(run: dict[str, Any], stage: str) -> Plan:
    """The run's plan again, from its record: cleanup needs its names, tags and cleanup settings."""
    return build_plan(PipelineRequest.model_validate(run["request"]), _execution(run), stage)


def lifecycle_plan(workflow: str, run: dict[str, Any], stage: str) -> LifecyclePlan:
    request = get_workflow(workflow).parse(run["request"])
    if isinstance(request, list):
        raise ValueError(f"the recorded {workflow} request no longer validates")
    return build_lifecycle_plan(workflow, request, _execution(run), stage)


def _pipeline_pass(context: Context, run: dict[str, Any], phase: CleanupPhase) -> CleanupPhase:
    # The run is in this stage's table, so it was planned with this stage.
    return cleanup.cleanup(context, pipeline_plan(run, context.settings.stage), phase)


def _update_pass(
    context: Context, run: dict[str, Any], progress: updates.UpdateCleanup
) -> updates.UpdateCleanup:
    plan = lifecycle_plan("managed-update", run, context.settings.stage)
    return updates.cleanup(context, plan, None, progress, failed=True)


def _nothing_pass(context: Context, run: dict[str, Any], phase: CleanupPhase) -> CleanupPhase:
    return phase.model_copy(update={"done": True, "wait_seconds": 0})


def _rollout_pass(context: Context, run: dict[str, Any], phase: CleanupPhase) -> CleanupPhase:
    """Nothing to undo, unless the stop landed just after a fleet began to move (the history says)."""
    if executions.current_state(str(run["execution_arn"])) in FLEET_MOVING_STATES:
        raise CleanupIncomplete(
            "the rollout stopped while it moved a fleet: check the fleet of its last rollout step"
        )
    return _nothing_pass(context, run, phase)


_NOTHING = Undo(step=None, settle_seconds=0.0, start=CleanupPhase, run_pass=_nothing_pass)

UNDO: dict[str, Undo] = {
    "image-pipeline": Undo(
        step=cleanup.STEP,
        settle_seconds=_settle(
            "ImportImage", "AcquireBuilderSlot", "CreateBuilder", "StartSnapshot", "ExportImage", "Cleanup"
        ),
        start=CleanupPhase,
        run_pass=_pipeline_pass,
    ),
    "managed-update": Undo(
        step=updates.CLEANUP_STEP,
        settle_seconds=_settle("UpdateCreateImage", "UpdateCleanup"),
        start=updates.UpdateCleanup,
        run_pass=_update_pass,
    ),
    "export-backup": _NOTHING,
    "retention": _NOTHING,
    "fleet-rollout": Undo(step=None, settle_seconds=0.0, start=CleanupPhase, run_pass=_rollout_pass),
}


def refusal(workflow: str, execution_arn: str) -> str | None:
    """Why the run cannot be stopped now, or None. A fleet rollout is not stopped while it moves a fleet
    (stop, update, start, verify, or a rollback): stopping then would leave the fleet stopped."""
    if workflow != "fleet-rollout":
        return None
    state = executions.current_state(execution_arn)
    if state in FLEET_MOVING_STATES:
        return (
            "a fleet is being changed (or changed back); a rollout is cancelled only between fleets "
            "or while it waits for a maintenance window: try again once this fleet is done"
        )
    return None
