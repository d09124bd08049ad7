"""Cancelling a run: stop its execution, then do the undoing its Catch would have done.

StopExecution ends an execution without running its Catch, so the cancel path runs the
workflow's own cleanup (`functions.api.undoing`: for the image pipeline, stop and delete
the builder and release the slot; only resources tagged with the run). A task that was in
flight when the execution stopped may still finish afterwards (a builder created a moment
after the stop), so cleanup only counts as done when a pass that began the workflow's
settle time after the stop finds nothing left. Cleanup that outlasts one API call
continues in `functions.api.continuation`.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from functions.api import continuation, executions, undoing
from functions.api.errors import Conflict, NotFound
from functions.api.models import CancelledRun, RunError, links
from functions.api.settings import ApiSettings
from functions.core import timeutil
from functions.core.context import Context
from functions.core.errors import CleanupIncomplete, ImageFactoryError
from functions.core.observability import logger

# Real seconds of cleanup per API call; the rest of the function's 25 s is for the pass under way
# when the budget runs out, and for the answer.
BUDGET_SECONDS = 15.0
RETRY_SECONDS = 5  # after a throttled or unavailable AppStream


class Pacing(Protocol):
    """How the cleanup loop waits: real time on Lambda, simulated time on the local engine."""

    def sleep(self, seconds: float) -> None: ...

    def real_seconds(self, seconds: float) -> float: ...


class RealTime:
    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def real_seconds(self, seconds: float) -> float:
        return seconds


_pacing: Pacing = RealTime()
_budget = BUDGET_SECONDS


def set_pacing(pacing: Pacing, budget_seconds: float = BUDGET_SECONDS) -> None:
    global _pacing, _budget
    _pacing, _budget = pacing, budget_seconds


def reset_pacing() -> None:
    set_pacing(RealTime())


def cancel(settings: ApiSettings, context: Context, run_id: str, requested_by: str) -> CancelledRun:
    run = context.records.get_run(run_id)
    if run is None:
        if executions.find(settings, run_id) is None:
            raise NotFound(f"no run {run_id!r}")
        raise Conflict(f"run {run_id!r} is still starting; cancel it in a few seconds")
    status = run["status"]
    if status in {"SUCCEEDED", "FAILED"}:
        raise Conflict(f"run {run_id!r} has already ended: {status}")
    workflow = _workflow(settings, run)
    if status == "RUNNING":
        refusal = undoing.refusal(workflow, str(run["execution_arn"]))
        if refusal is not None:
            raise Conflict(f"run {run_id!r} cannot be cancelled now: {refusal}")
        context.records.request_cancel(run_id, requested_by)
        executions.stop(str(run["execution_arn"]), f"cancelled by {requested_by}")
    return advance(settings, context, run_id)


def advance(settings: ApiSettings, context: Context, run_id: str, wait_first: float = 0.0) -> CancelledRun:
    """Clean up for one budget; CANCELLED when done, else CANCELLING with a continuation scheduled.

    `wait_first`: what is left of the wait the last invocation chose, slept out before a pass.
    """
    run = context.records.get_run(run_id)
    if run is None:
        raise NotFound(f"no run {run_id!r}")
    if run["status"] != "RUNNING":
        return _answer(run, [])
    undo = undoing.UNDO[_workflow(settings, run)]
    if not run.get("cancel_requested_at"):
        # An execution stopped elsewhere (the console), handed over for cleanup by a continuation event.
        context.records.request_cancel(run_id, "a stop outside the API")
        run = context.records.get_run(run_id) or run
    settled_at = _epoch(str(run["cancel_requested_at"])) + undo.settle_seconds
    deadline = time.monotonic() + _budget
    phase = undo.start()
    if not _wait_out(run_id, wait_first, deadline):
        return _answer(run, [], status="CANCELLING")
    while True:
        began = timeutil.now_epoch()
        try:
            phase = undo.run_pass(context, run, phase)
        except CleanupIncomplete as error:
            return _finish(context, run, undo, phase, _error(undo, "CleanupIncomplete", error))
        except ImageFactoryError as error:
            if not error.retryable:
                return _finish(context, run, undo, phase, _error(undo, type(error).__name__, error))
            phase = phase.model_copy(update={"wait_seconds": RETRY_SECONDS, "done": False})
        if phase.done and began >= settled_at:
            return _finish(context, run, undo, phase, None)
        wait = (
            max(phase.wait_seconds, settled_at - timeutil.now_epoch()) if phase.done else phase.wait_seconds
        )
        if not _wait_out(run_id, wait, deadline):
            return _answer(run, phase.actions, status="CANCELLING")
        if phase.done:
            phase = phase.model_copy(update={"done": False})


def _workflow(settings: ApiSettings, run: dict[str, Any]) -> str:
    workflow = settings.workflow_of(run.get("execution_arn"))
    if workflow is None:
        raise Conflict(
            f"run {run['run_id']!r} belongs to a state machine this API does not manage; stop it there"
        )
    return workflow


def _finish(
    context: Context, run: dict[str, Any], undo: undoing.Undo, phase: Any, error: RunError | None
) -> CancelledRun:
    run_id = str(run["run_id"])
    for step in context.records.get_steps(run_id):
        if step.get("status") == "RUNNING" and step.get("step") != undo.step:
            context.records.step_cancelled(run_id, str(step["step"]))
    if error is not None:
        context.records.record_run_error(run_id, error.step, error.code, error.message)
    finished = context.records.finish_run(run_id, "CANCELLED")
    return _answer(finished, phase.actions)


def _answer(run: dict[str, Any], actions: list[str], status: str | None = None) -> CancelledRun:
    recorded = run.get("error")
    return CancelledRun(
        run_id=str(run["run_id"]),
        status=status or ("CANCELLED" if run["status"] == "CANCELLED" else "CANCELLING"),
        cleanup=list(actions),
        error=RunError.model_validate(recorded) if recorded else None,
        links=links(str(run["run_id"])),
    )


def _wait_out(run_id: str, wait: float, deadline: float) -> bool:
    """Sleep `wait` if the budget allows (True); else sleep what it allows, and hand the rest on."""
    real = _pacing.real_seconds(wait)
    left = max(deadline - time.monotonic(), 0.0)
    if real <= left:
        _pacing.sleep(wait)
        return True
    part = wait * left / real
    _pacing.sleep(part)
    _schedule_continuation(run_id, wait - part)
    return False


def _schedule_continuation(run_id: str, wait_seconds: float) -> None:
    try:
        continuation.schedule(run_id, wait_seconds)
    except (ClientError, BotoCoreError, KeyError):
        # The run stays CANCELLING; cancelling again resumes the cleanup.
        logger.exception("could not schedule the rest of the cleanup", extra={"run_id": run_id})


def _error(undo: undoing.Undo, code: str, error: Exception) -> RunError:
    return RunError(step=undo.step or "cancel", code=code, message=str(error))


def _epoch(moment: str) -> float:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()
