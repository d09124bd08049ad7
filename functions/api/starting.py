"""Admitting an image pipeline run: resolve the request, check it with the run's names, refuse a
second run of the same output (functions.api.workflow_runs starts it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from functions.api import pipelines
from functions.api.errors import Conflict, InvalidInput, NotFound
from functions.api.models import ConfiguredPipelineRun, FieldProblem
from functions.api.settings import ApiSettings
from functions.core.execution import run_id_for
from functions.core.placeholders import NameValues, render
from functions.core.records import RunRecords
from functions.workflows.image_pipeline.request import PipelineRequest, parse_request

_RUNNING_PAGE = 100


@dataclass(frozen=True)
class Admission:
    """A workflow's request admitted to start: the run's name (pipeline or job), the execution input,
    the check that refuses a clash once the run id is drawn, and the image the run will make."""

    name: str
    document: dict[str, Any]
    check: Callable[[str, str], None]
    image_name: Callable[[str, str], str | None] = lambda run_id, date: None


def admit(
    settings: ApiSettings, records: RunRecords, body: PipelineRequest | ConfiguredPipelineRun
) -> Admission:
    """An image pipeline request: resolved (a configured pipeline), checked with the run's names,
    refused while a running run makes the same image or AMI."""
    document = _request_document(settings, body)
    pipeline = str(document["pipeline"])

    def check(run_id: str, date: str) -> None:
        values = NameValues(pipeline=pipeline, date=date, run=run_id)
        _refuse_duplicate_output(records, _validated(document, values), values)

    def image_name(run_id: str, date: str) -> str:
        values = NameValues(pipeline=pipeline, date=date, run=run_id)
        return render(_validated(document, values).snapshot.image_name, values)

    return Admission(name=pipeline, document=document, check=check, image_name=image_name)


def _request_document(settings: ApiSettings, body: PipelineRequest | ConfiguredPipelineRun) -> dict[str, Any]:
    """The execution input: exactly what the person wrote (secrets included: the workflow needs them)."""
    if isinstance(body, ConfiguredPipelineRun):
        stored = pipelines.configured_request(settings, body.pipeline)
        if stored is None:
            raise NotFound(f"no configured pipeline is named {body.pipeline!r}")
        return stored
    return body.to_document(reveal_secrets=True)


def _validated(document: dict[str, Any], values: NameValues) -> PipelineRequest:
    """The request checked with the longest run id, as `image-factory validate` checks it (whether a
    request is accepted never depends on its run's id), then with this run's own names (a stored
    request is checked here too)."""
    result = parse_request(document)
    if not isinstance(result, list):
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
