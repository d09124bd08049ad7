"""What a local run produced: status, steps, resources, error, and the engine's counters."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from image_factory.local_engine.history import StateVisit, execution_end, state_transitions, state_visits
from image_factory.local_engine.timewarp import SimulatedTime


@dataclass(frozen=True)
class StepOutcome:
    name: str
    status: str
    attempts: int
    polls: int
    started_at: float | None  # simulated epoch seconds
    ended_at: float | None
    detail: str | None = None
    # What the step recorded it works on or made (the report reads cleanup's notes from it).
    resource: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at


@dataclass(frozen=True)
class RunError:
    step: str
    code: str
    message: str


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    execution_arn: str
    status: str  # SUCCEEDED | FAILED
    steps: list[StepOutcome]
    resources: dict[str, Any]
    error: RunError | None
    started_at: float  # simulated epoch seconds
    ended_at: float
    state_transitions: int
    lambda_attempts: int
    record: dict[str, Any] | None = field(default=None, repr=False)  # the run's record in the runs table
    step_records: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    @property
    def duration_seconds(self) -> float:
        return self.ended_at - self.started_at

    def run_document(self) -> dict[str, Any]:
        """The run as the run API answers `GET /runs/{id}`, from the same records: one shape for
        `run --json`, the report page and the API."""
        from functions.api.models import RunDetail, links

        record = self.record or {"run_id": self.run_id, "pipeline": "-", "status": self.status}
        if self.record is None and self.error is not None:  # refused before it could record itself
            record["error"] = {
                "step": self.error.step,
                "code": self.error.code,
                "message": self.error.message,
            }
        detail = RunDetail.model_validate(
            {
                **record,
                "execution_arn": self.execution_arn,
                "workflow": workflow_of(self.execution_arn),
                "steps": self.step_records,
                "links": links(self.run_id),
            }
        )
        return detail.model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class EngineCounters:
    state_transitions: int
    lambda_invocations: int
    appstream_calls: int
    appstream_calls_by_operation: dict[str, int]
    lambda_gb_seconds: float = 0.0  # memory x handler time, as Lambda bills it (measured here)

    def to_document(self) -> dict[str, Any]:
        return asdict(self)


def build_outcome(
    name: str,
    description: dict[str, Any],
    history: list[dict[str, Any]],
    clock: SimulatedTime,
    record: dict[str, Any] | None = None,
    step_records: list[dict[str, Any]] | None = None,
) -> RunOutcome:
    """A run's outcome: status from the execution, the rest from its records in the runs table.

    The records are what the product reports everywhere else (API, CLI); the execution
    history fills in when a run failed before it could record anything.
    """
    visits = state_visits(history)
    status = "SUCCEEDED" if description["status"] == "SUCCEEDED" else "FAILED"
    steps = [_step_from_record(item) for item in step_records or []] or _steps_from_history(visits, clock)
    error = None
    if status == "FAILED":
        error = _error_from_record(record) or _error_from_history(history, visits, description)
    started = clock.simulated_epoch(description["startDate"])
    stop = description.get("stopDate")
    return RunOutcome(
        run_id=str((record or {}).get("run_id") or name),
        execution_arn=description["executionArn"],
        status=status,
        steps=steps,
        resources=flatten_resources((record or {}).get("resources") or {}),
        error=error,
        started_at=started,
        ended_at=clock.simulated_epoch(stop) if stop is not None else clock.now(),
        state_transitions=state_transitions(history),
        lambda_attempts=sum(visit.task_attempts for visit in visits),
        record=record,
        step_records=list(step_records or []),
    )


def workflow_of(execution_arn: str) -> str | None:
    """The workflow whose local state machine ran the execution (`...:execution:<machine>:<name>`)."""
    from functions.workflows import WORKFLOWS
    from image_factory.local_engine.resources import state_machine_name

    parts = execution_arn.split(":")
    machine = parts[-2] if len(parts) >= 8 else ""
    return next((name for name in WORKFLOWS if state_machine_name(name) == machine), None)


def flatten_resources(by_phase: dict[str, Any]) -> dict[str, Any]:
    """The resources a run recorded per phase, plus `ami_id` at the top once the export made one."""
    resources: dict[str, Any] = dict(by_phase)
    for phase in by_phase.values():
        if isinstance(phase, dict) and phase.get("ami_id"):
            resources["ami_id"] = phase["ami_id"]
    return resources


def simulated_epoch_of(moment: Any) -> float | None:
    """Epoch seconds of an ISO-8601 time the functions recorded (on the simulated clock)."""
    if not isinstance(moment, str):
        return None
    try:
        return datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()
    except ValueError:  # "" or "-": the records' way of saying there is none
        return None


def _step_from_record(item: dict[str, Any]) -> StepOutcome:
    error = item.get("error") if isinstance(item.get("error"), dict) else None
    return StepOutcome(
        name=str(item.get("step", "?")),
        status=str(item.get("status", "?")),
        attempts=int(item.get("attempts", 0)),
        polls=int(item.get("polls", 0)),
        started_at=simulated_epoch_of(item.get("started_at")),
        ended_at=simulated_epoch_of(item.get("ended_at")),
        detail=(f"{error.get('code')}: {error.get('message')}" if error else item.get("last_state")),
        resource=dict(item.get("resource") or {}),
    )


def _steps_from_history(visits: list[StateVisit], clock: SimulatedTime) -> list[StepOutcome]:
    return [
        StepOutcome(
            name=visit.name,
            status="FAILED" if visit.errors and visit.exited is None else "SUCCEEDED",
            attempts=visit.task_attempts,
            polls=0,
            started_at=clock.simulated_epoch(visit.entered),
            ended_at=None if visit.exited is None else clock.simulated_epoch(visit.exited),
        )
        for visit in visits
        if visit.state_type == "Task"
    ]


def _error_from_record(record: dict[str, Any] | None) -> RunError | None:
    error = (record or {}).get("error")
    if not isinstance(error, dict):
        return None
    return RunError(str(error.get("step", "")), str(error.get("code", "")), str(error.get("message", "")))


def _error_from_history(
    history: list[dict[str, Any]], visits: list[StateVisit], description: dict[str, Any]
) -> RunError:
    end = execution_end(history)
    failed_tasks = [visit for visit in visits if visit.errors]
    step = failed_tasks[-1].name if failed_tasks else (visits[-1].name if visits else "")
    code = (end.error if end else None) or description.get("error") or description["status"]
    message = (end.cause if end else None) or description.get("cause") or ""
    return RunError(step=step, code=str(code), message=str(message))
