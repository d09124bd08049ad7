"""Starting a run: resolve the request, name the execution, refuse a second run of the same output."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from functions.api import executions, pipelines
from functions.api.errors import Conflict, InvalidInput, NotFound
from functions.api.models import ConfiguredPipelineRun, FieldProblem, StartedRun, links
from functions.api.settings import ApiSettings
from functions.placeholders import NameValues, render
from functions.plan import run_id_for
from functions.records import RunRecords
from functions.request import PipelineRequest, parse_request

_RUNNING_PAGE = 100
_NAME_ATTEMPTS = 3


def new_run_id(pipeline: str) -> str:
    """Readable and unique: `<pipeline>-<yyyymmdd>-<hhmmss>-<4 hex>`, at most 39 characters, so the
    run id (which the workflow derives from the execution name) is the name itself."""
    # Wall-clock time, as Step Functions stamps the execution's StartTime, which the workflow dates
    # the run's names by (on the local engine the functions' own clock runs faster).
    moment = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{pipeline[:18]}-{moment}-{secrets.token_hex(2)}"


def start_run(
    settings: ApiSettings, records: RunRecords, body: PipelineRequest | ConfiguredPipelineRun
) -> StartedRun:
    document = _request_document(settings, body)
    for _ in range(_NAME_ATTEMPTS):
        run_id = new_run_id(str(document["pipeline"]))
        values = NameValues(pipeline=str(document["pipeline"]), date=run_id.split("-")[-3], run=run_id)
        request = _validated(document, values)
        image_name = render(request.snapshot.image_name, values)
        _refuse_duplicate_output(records, request, values)
        try:
            arn = executions.start(settings.state_machine_arn, run_id, document)
        except executions.ExecutionNameTaken:
            continue  # two starts in the same second drew the same suffix: draw again
        return StartedRun(
            run_id=run_id,
            pipeline=request.pipeline,
            execution_arn=arn,
            image_name=image_name,
            links=links(run_id),
        )
    raise Conflict("could not find a free execution name; try again")


def _request_document(settings: ApiSettings, body: PipelineRequest | ConfiguredPipelineRun) -> dict[str, Any]:
    """The execution input: exactly what the person wrote (secrets included: the workflow needs them)."""
    if isinstance(body, ConfiguredPipelineRun):
        stored = pipelines.configured_request(settings, body.pipeline)
        if stored is None:
            raise NotFound(f"no configured pipeline is named {body.pipeline!r}")
        return stored
    return body.to_document(reveal_secrets=True)


def _validated(document: dict[str, Any], values: NameValues) -> PipelineRequest:
    """The request checked with this run's own names (a stored request is checked here too)."""
    result = parse_request(document, values)
    if isinstance(result, list):
        problems = [FieldProblem(field=problem.field, message=problem.message) for problem in result]
        raise InvalidInput("the pipeline request is invalid", problems)
    return result


def _refuse_duplicate_output(records: RunRecords, request: PipelineRequest, values: NameValues) -> None:
    """409 when a running run will create the same AppStream image or the same AMI."""
    wanted = _outputs(request, values)
    start_key: dict[str, Any] | None = None
    while True:
        running, start_key = records.list_runs(None, "RUNNING", _RUNNING_PAGE, start_key)
        for run in running:
            clash = wanted & _recorded_outputs(run)
            if clash:
                kind, name = sorted(clash)[0]
                raise Conflict(f"run {run['run_id']} is already making {kind} {name!r}")
        if start_key is None:
            return


def _outputs(request: PipelineRequest, values: NameValues) -> set[tuple[str, str]]:
    outputs = {("image", render(request.snapshot.image_name, values))}
    if request.export is not None:
        outputs.add(("AMI", render(request.export.ami_name, values)))
    return outputs


def _recorded_outputs(run: dict[str, Any]) -> set[tuple[str, str]]:
    stored = run.get("request")
    if not isinstance(stored, dict):
        return set()
    request = parse_request(stored)
    if isinstance(request, list):
        return set()
    run_id = str(run["run_id"])
    started = str(run.get("started_at", ""))[:10].replace("-", "")
    return _outputs(request, NameValues(pipeline=request.pipeline, date=started, run=run_id_for(run_id)))
