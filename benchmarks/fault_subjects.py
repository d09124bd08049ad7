"""The workflows the fault matrix runs: their account, request, and how each reports failures.

What a workflow makes of a failure it catches itself cannot be read from a Retry block: a
resource that ended badly raises its phase's terminal error, a failed Map item is reported by
the workflow in its own words, and cleanup notes a failed call and calls again on its next pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appstream_emulator.scenario import Scenario
from benchmarks.fast import FAST_SETTINGS, fast_request, fast_scenario, lifecycle_request, lifecycle_scenario
from functions.core import errors
from image_factory.local_engine.engine import LocalEngine


@dataclass(frozen=True)
class Crash:
    """A task's process dies once, right after `creation` succeeded (the wrapped `module.attribute`)."""

    creation: str  # the create call: an AppStream action name, or what the wrapped function makes
    module: str
    attribute: str
    task: str  # the Lambda function that makes the creation


APPSTREAM_CALL = ("functions.core.appstream", "call")
EC2_CALL = ("functions.core.inventory", "ec2_call")
CRASHES = (
    Crash("CreateImportedImage", *APPSTREAM_CALL, "ImportImage"),
    Crash("CreateImageBuilder", *APPSTREAM_CALL, "CreateBuilder"),
    Crash(
        "PutObject agent job", "functions.workflows.image_pipeline.snapshots", "_write_job", "StartSnapshot"
    ),
    Crash("CreateExportImageTask", *APPSTREAM_CALL, "ExportImage"),
)
BACKUP_CRASHES = (Crash("CreateExportImageTask", *APPSTREAM_CALL, "BackupExportImage"),)
UPDATE_CRASHES = (Crash("CreateUpdatedImage", *APPSTREAM_CALL, "UpdateCreateImage"),)


@dataclass(frozen=True)
class Settling:
    """A step that settles resources one pass at a time and notes a failed call instead of failing."""

    function: str
    incomplete: type[errors.ImageFactoryError]  # what the run fails with when the ceiling passes
    removals: frozenset[str]  # the calls without which a resource stays


PIPELINE_CLEANUP = Settling(
    "Cleanup",
    errors.CleanupIncomplete,
    frozenset({"StopImageBuilder", "DeleteImageBuilder", "DeleteImage"}),
)


@dataclass(frozen=True)
class Subject:
    """A workflow as the matrix runs it: its account, its request, what its resources' failures raise."""

    workflow: str
    scenario: Callable[..., Scenario]
    request: Callable[[], dict[str, Any]]
    failing_resources: dict[str, type[errors.ImageFactoryError]]
    export_times_out: bool = False
    crashes: tuple[Crash, ...] = ()
    # What the workflow fails with when an item of a Map failed (a caught iteration), if it has items.
    item_failure: type[errors.ImageFactoryError] | None = None
    settling: Settling | None = None

    def engine(self, faults: list[dict[str, Any]] | None = None) -> LocalEngine:
        return LocalEngine(self.scenario(faults=faults or []), settings=FAST_SETTINGS, workflow=self.workflow)


SUBJECTS = (
    Subject(
        "image-pipeline",
        fast_scenario,
        fast_request,
        {
            "imported_image": errors.ImageImportFailed,
            "image_builder": errors.ImageBuilderFailed,
            "agent_job": errors.SnapshotFailed,
            "image": errors.SnapshotFailed,
            "export_task": errors.ExportFailed,
        },
        export_times_out=True,
        crashes=CRASHES,
        settling=PIPELINE_CLEANUP,
    ),
    Subject(
        "export-backup",
        lifecycle_scenario,
        lambda: lifecycle_request("export-backup"),
        {"export_task": errors.ExportFailed},
        export_times_out=True,
        crashes=BACKUP_CRASHES,
        item_failure=errors.ExportFailed,  # backup's report names every image whose export failed
    ),
    Subject(
        "managed-update",
        lifecycle_scenario,
        lambda: lifecycle_request("managed-update"),
        {"image": errors.ImageUpdateFailed},
        crashes=UPDATE_CRASHES,
    ),
    Subject(
        "fleet-rollout",
        lifecycle_scenario,
        lambda: lifecycle_request("fleet-rollout"),
        {"fleet": errors.FleetUpdateFailed},
    ),
    Subject("retention", lifecycle_scenario, lambda: lifecycle_request("retention"), {}),
)


def subject(workflow: str) -> Subject:
    return next(item for item in SUBJECTS if item.workflow == workflow)
