"""Reading runs for the API: one run with its steps and current wait, and pages of runs."""

from __future__ import annotations

import json
from typing import Any

from functions.api import executions, tokens
from functions.api.errors import NotFound
from functions.api.models import CurrentWait, RunDetail, RunPage, RunSummary, Step, links
from functions.api.settings import ApiSettings
from functions.records import RunRecords


def get_run(settings: ApiSettings, records: RunRecords, run_id: str) -> RunDetail:
    run = records.get_run(run_id)
    if run is None:
        return _starting(settings, run_id)
    steps = [Step.model_validate(step) for step in records.get_steps(run_id)]
    return RunDetail(
        **summary(run).model_dump(),
        steps=_visible(steps),
        current_wait=_current_wait(steps) if run.get("status") == "RUNNING" else None,
        resources=run.get("resources") or {},
        links=links(run_id),
    )


def list_runs(
    records: RunRecords, pipeline: str | None, status: str | None, limit: int, next_token: str | None
) -> RunPage:
    start_key = tokens.decode(next_token, pipeline, status) if next_token else None
    items, last = records.list_runs(pipeline, status, limit, start_key)
    return RunPage(
        runs=[summary(item) for item in items],
        next_token=tokens.encode(last, pipeline, status) if last else None,
    )


def summary(run: dict[str, Any]) -> RunSummary:
    fields = set(RunSummary.model_fields)
    return RunSummary.model_validate({key: value for key, value in run.items() if key in fields})


def _starting(settings: ApiSettings, run_id: str) -> RunDetail:
    """A run whose execution exists but has not recorded itself yet (or was refused before it could)."""
    execution = executions.describe(settings.execution_arn(run_id))
    if execution is None:
        raise NotFound(f"no run {run_id!r}")
    started = execution.get("startDate")
    return RunDetail(
        run_id=run_id,
        pipeline=_pipeline_of(execution.get("input")),
        status="STARTING",
        started_at=started.strftime("%Y-%m-%dT%H:%M:%SZ") if started else None,
        execution_arn=execution["executionArn"],
        links=links(run_id),
    )


def _visible(steps: list[Step]) -> list[Step]:
    # A next check only means something while the step still runs.
    return [
        step if step.status == "RUNNING" else step.model_copy(update={"next_check_at": None})
        for step in steps
    ]


def _current_wait(steps: list[Step]) -> CurrentWait | None:
    waiting = [step for step in steps if step.status == "RUNNING" and step.next_check_at]
    if not waiting:
        return None
    step = waiting[-1]
    return CurrentWait(
        step=step.step, polls=step.polls, last_state=step.last_state, next_check_at=step.next_check_at
    )


def _pipeline_of(execution_input: Any) -> str:
    try:
        pipeline = json.loads(execution_input).get("pipeline")
    except (TypeError, ValueError, AttributeError):
        return "-"
    return pipeline if isinstance(pipeline, str) else "-"
