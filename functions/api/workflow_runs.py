"""Starting a lifecycle workflow's run: validate the request with the workflow's own model, refuse a
second run of a job that is still running, then start it under a run id like a pipeline run."""

from __future__ import annotations

from typing import Any

from functions.api import launching
from functions.api.errors import Conflict, InvalidInput, NotFound
from functions.api.models import FieldProblem, StartedRun, links
from functions.api.settings import ApiSettings
from functions.core.records import RunRecords
from functions.workflows import get_workflow

_RUNNING_PAGE = 100


def start_run(
    settings: ApiSettings,
    records: RunRecords,
    workflow: str,
    document: Any,
    idempotency_key: str | None = None,
) -> StartedRun:
    if workflow not in settings.workflow_state_machines:
        raise NotFound(f"workflow {workflow!r} is not deployed with this API")
    request = _validated(workflow, document)
    job = str(request["name"])

    def check(run_id: str, date: str) -> None:
        _refuse_running_job(settings, records, workflow, job)

    launch = launching.launch(settings, workflow, job, request, idempotency_key, check)
    return StartedRun(
        run_id=launch.run_id,
        workflow=workflow,
        pipeline=job,
        execution_arn=launch.execution_arn,
        links=links(launch.run_id),
    )


def _validated(workflow: str, document: Any) -> dict[str, Any]:
    """The request as written (the execution input), once the workflow's model accepts it."""
    result = get_workflow(workflow).parse(document)
    if isinstance(result, list):
        problems = [FieldProblem(field=problem.field, message=problem.message) for problem in result]
        raise InvalidInput(f"the {workflow} request is invalid", problems)
    assert isinstance(document, dict)  # a model accepted it
    return document


def _refuse_running_job(settings: ApiSettings, records: RunRecords, workflow: str, job: str) -> None:
    """409 while a run of the same job is running: two would select, export, move or delete the same
    resources at once (runs are recorded under their job's name)."""
    start_key: dict[str, Any] | None = None
    while True:
        running, start_key = records.list_runs(job, "RUNNING", _RUNNING_PAGE, start_key)
        for run in running:
            if settings.workflow_of(run.get("execution_arn")) == workflow:
                raise Conflict(f"run {run['run_id']} of {workflow} job {job!r} is still running")
        if start_key is None:
            return
