"""The workflows this product deploys and runs: one ASL file, one request model each.

The CLI (`run --workflow`, `validate --workflow`, `schema`), the local engine and the
CDK app look workflows up here, so adding a workflow is one entry (plus its ASL file,
request module and tasks in `functions.catalog`). A request module offers
`parse_request(raw)` (the model, or one `FieldError` per bad field) and
`request_json_schema()`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATEMACHINES = Path(__file__).resolve().parents[1] / "statemachines"
DEFAULT_WORKFLOW = "image-pipeline"


class UnknownWorkflow(KeyError):
    """No workflow of that name; the message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Workflow:
    name: str  # as people type it: `image-factory run --workflow NAME`
    asl: str  # file name under statemachines/
    parser: str  # dotted path of `parse_request(raw) -> model | list[FieldError]`
    schema: str  # dotted path of `request_json_schema() -> dict`
    description: str

    @property
    def definition(self) -> Path:
        return STATEMACHINES / self.asl

    @property
    def placeholder(self) -> str:
        """The ASL placeholder carrying this workflow's state machine ARN (a workflow starting another)."""
        return "".join(part.capitalize() for part in self.name.split("-")) + "StateMachineArn"

    def parse(self, raw: Any) -> Any:
        return _function(self.parser)(raw)

    def json_schema(self) -> dict[str, Any]:
        return dict(_function(self.schema)())


def _function(dotted: str) -> Callable[..., Any]:
    module, _, attribute = dotted.rpartition(".")
    function: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
    return function


def _workflow(name: str, asl: str, module: str, description: str) -> Workflow:
    return Workflow(name, asl, f"{module}.parse_request", f"{module}.request_json_schema", description)


WORKFLOWS: dict[str, Workflow] = {
    workflow.name: workflow
    for workflow in (
        _workflow(
            "image-pipeline",
            "image_pipeline.asl.json",
            "functions.request",
            "AMI or image -> image builder -> snapshot -> optional AMI export",
        ),
        _workflow(
            "export-backup",
            "export_backup.asl.json",
            "functions.lifecycle.backup_request",
            "export one image, or every image matching a name/tag filter, to EC2 AMIs",
        ),
        _workflow(
            "managed-update",
            "managed_update.asl.json",
            "functions.lifecycle.update_request",
            "CreateUpdatedImage after a dry-run check; optionally export the new image",
        ),
        _workflow(
            "fleet-rollout",
            "fleet_rollout.asl.json",
            "functions.lifecycle.rollout_request",
            "point fleets at a new image; stop a fleet only in its maintenance window; roll back on failure",
        ),
        _workflow(
            "retention",
            "retention.asl.json",
            "functions.lifecycle.retention_request",
            "keep the newest images and exported AMIs per pipeline; reap forgotten builders (dry run first)",
        ),
    )
}


def get_workflow(name: str) -> Workflow:
    try:
        return WORKFLOWS[name]
    except KeyError:
        raise UnknownWorkflow(f"unknown workflow {name!r}; known: {', '.join(sorted(WORKFLOWS))}") from None


def workflow_hint(document: Any, chosen: str) -> str | None:
    """ "this looks like a NAME request: add --workflow NAME" when `likely_workflow` finds one."""
    likely = likely_workflow(document, chosen)
    if likely is None:
        return None
    article = "an" if likely[0] in "aeiou" else "a"
    return f"this looks like {article} {likely} request: add --workflow {likely}"


def likely_workflow(document: Any, chosen: str) -> str | None:
    """Another workflow whose request `document` fits better than `chosen`'s, by its top-level
    keys; None when `chosen` fits as well as any (its own field errors then say what is wrong)."""
    if not isinstance(document, dict) or not document:
        return None
    keys = set(document)

    def misfit(name: str) -> tuple[int, int]:
        schema = WORKFLOWS[name].json_schema()
        known = set(schema.get("properties", {}))
        return len(keys - known), len(set(schema.get("required", ())) - keys)

    fits = {name: misfit(name) for name in WORKFLOWS}
    best = min(fits, key=lambda name: fits[name])
    tied = [name for name, fit in fits.items() if fit == fits[best]]
    if len(tied) > 1 or best == chosen or fits[best] >= fits[chosen] or fits[best][0] > 0:
        return None  # a guess between two workflows would mislead
    return best
