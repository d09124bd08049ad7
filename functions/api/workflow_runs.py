"""Starting a run of any workflow: the one start path behind `POST /workflows/{workflow}/runs`
(and `POST /runs`, the image pipeline's). The workflow's admission checks the request and
refuses a clash with a running run; launching names the execution and starts it once."""

from __future__ import annotations

from typing import Any

from functions.api import launching, starting
from functions.api.errors import Conflict, InvalidInput, NotFound
from functions.api.models import FieldProblem, StartedRun, links
from functions.api.settings import ApiSettings
from functions.api.starting import Admission
from functions.core.records import RunRecords
from functions.workflows import DEFAULT_WORKFLOW, get_workflow

_RUNNING_PAGE = 100


def start_run(
    settings: ApiSettings,
    records: RunRecords,
    workflow: str,
    body: Any,
    idempotency_key: str | None = None,
) -> StartedRun:
    """`body`: the image pipeline's StartRunBody, or a lifecycle request document as written."""
    if workflow not in settings.state_machines:
        raise NotFound(f"workflow {workflow!r} is not deployed with this API")
    admission = (
        starting.admit(settings, records, body)
        if workflow == DEFAULT_WORKFLOW
        else _admit(settings, records, workflow, body)
    )
    launch = launching.launch(
        settings, workflow, admission.name, admission.document, idempotency_key, admission.check
    )
    return StartedRun(
        run_id=launch.run_id,
        workflow=workflow,
        pipeline=admission.name,
        execution_arn=launch.execution_arn,
        image_name=admission.image_name(launch.run_id, launch.date),
        links=links(launch.run_id),
    )


def _admit(settings: ApiSettings, records: RunRecords, workflow: str, document: Any) -> Admission:
    request = _validated(workflow, document)
    job = str(request["name"])

    def check(run_id: str, date: str) -> None:
        _refuse_running_job(settings, records, workflow, job)

    return Admission(name=job, document=request, check=check)


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
