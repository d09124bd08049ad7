"""Cancelling a run: stop its execution; the workflow cleans up after itself.

StopExecution ends an execution without running its Catch. The stage's rule on the
execution's ABORTED status change starts the run's own state machine again with the
aborted execution (stacks/cancel_rules.py), whose first state sends it to the workflow's
cleanup path and whose end records the run CANCELLED (functions.core.cancellation).
The API holds no workflow logic: it refuses what the run record says it must (ended, still
starting, or a workflow holding off cancels while it moves a fleet), stops the execution,
and answers CANCELLING; the run's record says CANCELLED once its cleanup has run.

Step Functions sends its events to EventBridge on a best-effort basis. A cancel of a run
whose execution has stopped but whose record is still RUNNING starts the cleanup again,
named after the run so repeating the cancel starts no third.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from functions.api import executions
from functions.api.errors import Conflict, NotFound
from functions.api.models import CancelledRun, RunError, links
from functions.api.settings import ApiSettings
from functions.core.cancellation import aborted_document
from functions.core.names import RUN_CANCEL_HELD
from functions.core.records import RunRecords

# The cleanup execution the API starts itself when the stop's event was not delivered.
CLEANUP_SUFFIX = "-cancelled"


def cancel(settings: ApiSettings, records: RunRecords, run_id: str, requested_by: str) -> CancelledRun:
    run = records.get_run(run_id)
    if run is None:
        if executions.find(settings, run_id) is None:
            raise NotFound(f"no run {run_id!r}")
        raise Conflict(f"run {run_id!r} is still starting; cancel it in a few seconds")
    status = run["status"]
    if status in {"SUCCEEDED", "FAILED"}:
        raise Conflict(f"run {run_id!r} has already ended: {status}")
    if status != "RUNNING":
        return _answer(run)
    workflow = settings.workflow_of(run.get("execution_arn"))
    if workflow is None:
        raise Conflict(f"run {run_id!r} belongs to a state machine this API does not manage; stop it there")
    held = run.get(RUN_CANCEL_HELD)
    if isinstance(held, str):
        raise Conflict(f"run {run_id!r} cannot be cancelled now: {held}; try again once it is done")
    arn = str(run["execution_arn"])
    execution = executions.describe(arn)
    if execution is not None and execution.get("status") == "RUNNING":
        executions.stop(arn, f"cancelled by {requested_by}")
    elif execution is not None and execution.get("status") == "ABORTED":
        _clean_up_again(settings, workflow, run_id, execution)
    elif execution is not None:  # it ended a moment ago: its record is being written
        raise Conflict(f"run {run_id!r} has already ended: {execution.get('status')}")
    return _answer(run)


def _clean_up_again(settings: ApiSettings, workflow: str, run_id: str, execution: dict[str, Any]) -> None:
    """Start the cleanup the stop's event should have started (its delivery is best effort)."""
    # Taken: an earlier cancel started it; it is under way or has ended.
    with suppress(executions.ExecutionNameTaken):
        machine = settings.state_machines[workflow]
        executions.start(machine, run_id + CLEANUP_SUFFIX, aborted_document(execution))


def _answer(run: dict[str, Any]) -> CancelledRun:
    cancelled = run["status"] == "CANCELLED"
    recorded = run.get("error")
    cancellation = (run.get("resources") or {}).get("cancellation") or {}
    return CancelledRun(
        run_id=str(run["run_id"]),
        status="CANCELLED" if cancelled else "CANCELLING",
        cleanup=[str(action) for action in cancellation.get("actions", [])] if cancelled else [],
        error=RunError.model_validate(recorded) if recorded and cancelled else None,
        links=links(str(run["run_id"])),
    )
