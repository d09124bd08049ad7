"""Reading runs for the API: one run with its steps and current wait, and pages of runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from functions.api import executions, tokens
from functions.api.errors import NotFound
from functions.api.models import CurrentWait, RunDetail, RunPage, RunSummary, Step, links
from functions.api.settings import ApiSettings
from functions.core import timeutil
from functions.core.records import RunRecords


def get_run(settings: ApiSettings, records: RunRecords, run_id: str) -> RunDetail:
    run = records.get_run(run_id)
    if run is None:
        return _starting(settings, run_id)
    steps = _visible([Step.model_validate(step) for step in records.get_steps(run_id)])
    return RunDetail(
        **summary(settings, run).model_dump(),
        steps=steps,
        current_wait=_current_wait(steps) if run.get("status") == "RUNNING" else None,
        resources=run.get("resources") or {},
        links=links(run_id),
    )


def list_runs(
    settings: ApiSettings,
    records: RunRecords,
    pipeline: str | None,
    status: str | None,
    limit: int,
    next_token: str | None,
) -> RunPage:
    start_key = tokens.decode(next_token, pipeline, status) if next_token else None
    items, last = records.list_runs(pipeline, status, limit, start_key)
    return RunPage(
        runs=[summary(settings, item) for item in items],
        next_token=tokens.encode(last, pipeline, status) if last else None,
    )


def summary(settings: ApiSettings, run: dict[str, Any]) -> RunSummary:
    fields = set(RunSummary.model_fields)
    recorded = {key: value for key, value in run.items() if key in fields}
    # The records do not say which workflow made them; the execution's state machine does.
    return RunSummary.model_validate({**recorded, "workflow": settings.workflow_of(run.get("execution_arn"))})


def _starting(settings: ApiSettings, run_id: str) -> RunDetail:
    """A run whose execution exists but has not recorded itself yet (or was refused before it could)."""
    found = executions.find(settings, run_id)
    if found is None:
        raise NotFound(f"no run {run_id!r}")
    workflow, execution = found
    started = execution.get("startDate")
    return RunDetail(
        run_id=run_id,
        workflow=workflow,
        pipeline=_pipeline_of(execution.get("input")),
        status="STARTING",
        started_at=started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if started else None,
        execution_arn=execution["executionArn"],
        links=links(run_id),
    )


def _visible(steps: list[Step]) -> list[Step]:
    # A next check only means something while the step still runs.
    return [
        step.model_copy(update={"next_check_in_seconds": _seconds_until(step.next_check_at)})
        if step.status == "RUNNING"
        else step.model_copy(update={"next_check_at": None})
        for step in steps
    ]


def _seconds_until(moment: str | None) -> float | None:
    if not moment:
        return None
    at = datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()
    return round(max(at - timeutil.now_epoch(), 0.0), 1)


def _current_wait(steps: list[Step]) -> CurrentWait | None:
    waiting = [step for step in steps if step.status == "RUNNING" and step.next_check_at]
    if not waiting:
        return None
    step = waiting[-1]
    return CurrentWait(
        step=step.step,
        polls=step.polls,
        last_state=step.last_state,
        next_check_at=step.next_check_at,
        next_check_in_seconds=step.next_check_in_seconds,
    )


def _pipeline_of(execution_input: Any) -> str:
    """The pipeline (`pipeline`) or lifecycle job (`name`) the input names, as the run will record it."""
    try:
        document = json.loads(execution_input)
        name = document.get("pipeline", document.get("name"))
    except (TypeError, ValueError, AttributeError):
        return "-"
    return name if isinstance(name, str) else "-"
