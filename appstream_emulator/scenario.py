"""Scenario files: simulated durations, jitter, quotas, rate limits and injected faults.

A scenario is written by hand (JSON or YAML), so every mistake must name the file and
the field; `scenario_json_schema()` is published for editors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from annotated_types import Ge, Le
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from .service_model import INJECTABLE_COMMON_ERRORS, modelled_errors, operation_names


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the source and the field."""


class _Strict(BaseModel):
    # No unknown keys, and no JSON type coerced ("5" is not a number, 1 is not a boolean).
    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True)


def _integral(value: Any) -> Any:
    """A JSON number with no fraction is an integer (JSON Schema's `integer`): 5.0 reads as 5."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


JsonInt = Annotated[int, BeforeValidator(_integral)]
# Optional ones carry their bounds before the validator, so the published schema keeps them.
Times = Annotated[int, Ge(1), BeforeValidator(_integral)]
VolumeGb = Annotated[int, Ge(200), Le(500), BeforeValidator(_integral)]


class Durations(_Strict):
    """Simulated seconds each phase takes; where each default comes from: docs/emulator-fidelity.md."""

    import_: float = Field(2700, alias="import", ge=0, description="IMPORTING of CreateImportedImage")
    validation: float = Field(900, ge=0, description="VALIDATING (only with RuntimeValidationConfig)")
    builder_start: float = Field(720, ge=0, description="image builder PENDING -> RUNNING")
    builder_stop: float = Field(300, ge=0, description="image builder STOPPING -> STOPPED")
    builder_delete: float = Field(120, ge=0, description="image builder DELETING -> gone")
    agent_job: float = Field(600, ge=0, description="builder agent running the job's scripts")
    snapshot: float = Field(2400, ge=0, description="image builder SNAPSHOTTING -> STOPPED")
    image_publish: float = Field(600, ge=0, description="new image PENDING -> AVAILABLE after the snapshot")
    export: float = Field(2100, ge=0, description="export task EXPORTING -> COMPLETED")
    updated_image: float = Field(3600, ge=0, description="CreateUpdatedImage PENDING -> AVAILABLE")
    fleet_start: float = Field(900, ge=0, description="fleet STARTING -> RUNNING")
    fleet_stop: float = Field(300, ge=0, description="fleet STOPPING -> STOPPED")
    app_block_builder_start: float = Field(600, ge=0, description="app block builder STARTING -> RUNNING")
    app_block_builder_stop: float = Field(300, ge=0, description="app block builder STOPPING -> STOPPED")
    image_delete: float = Field(
        300, ge=0, description="image DELETING -> gone (assumptions.delete_image: deleting_for_a_while)"
    )
    image_copy: float = Field(
        1800, ge=0, description="CopyImage: the copy PENDING -> AVAILABLE in its region"
    )


class Quotas(_Strict):
    image_builders: JsonInt = Field(10, ge=0)
    fleets: JsonInt = Field(10, ge=0)
    app_block_builders: JsonInt = Field(10, ge=0)
    images: JsonInt = Field(50, ge=0, description="private images per account and region")
    concurrent_image_updates: JsonInt = Field(5, ge=0)
    concurrent_exports: JsonInt = Field(5, ge=0)
    tags_per_resource: JsonInt = Field(50, ge=0)
    image_shares: JsonInt = Field(100, ge=0, description="accounts one image may be shared with")


class RateLimit(_Strict):
    """A token bucket on the emulator clock: `burst` calls at once, refilled at `per_second`."""

    per_second: float = Field(gt=0)
    burst: JsonInt = Field(ge=1)


class OperationFault(_Strict):
    """Make calls of `operation` fail with `error`: skip `after` calls, then fail `times` (null: always)."""

    operation: str
    error: str
    times: Times | None = 1
    after: JsonInt = Field(0, ge=0)
    message: str | None = None
    region: str | None = Field(
        None, description="only calls to this region (CopyImage: only copies to it); null: every region"
    )

    @field_validator("operation")
    @classmethod
    def _known_operation(cls, operation: str) -> str:
        if operation not in operation_names():
            raise ValueError(f"{operation!r} is not an AppStream operation")
        return operation

    @field_validator("error")
    @classmethod
    def _error_the_operation_can_return(cls, error: str, info: ValidationInfo) -> str:
        operation = info.data.get("operation")
        if operation is None:  # the operation itself was rejected; that error is reported already
            return error
        allowed = modelled_errors(operation) | set(INJECTABLE_COMMON_ERRORS)
        if error not in allowed:
            raise ValueError(
                f"{error!r} is not an error {operation} can return; choose from {sorted(allowed)}"
            )
        return error


# "fleet": a fleet whose instances cannot launch with its image (name glob on the fleet or the image).
ResourceKind = Literal["imported_image", "image_builder", "image", "export_task", "agent_job", "fleet"]


class ResourceFault(_Strict):
    """Make the next `times` resources of a kind (whose name matches the glob `name`) end badly."""

    resource: ResourceKind
    outcome: Literal["FAILED", "TIMED_OUT"] = "FAILED"
    reason: str = Field("Injected failure", min_length=1)
    name: str | None = Field(None, description="glob on the resource name (image, builder, AMI name)")
    times: Times | None = 1
    region: str | None = Field(None, description="only resources in this region; null: every region")

    @field_validator("outcome")
    @classmethod
    def _timed_out_only_for_exports(cls, outcome: str, info: ValidationInfo) -> str:
        if outcome == "TIMED_OUT" and info.data.get("resource") != "export_task":
            raise ValueError("TIMED_OUT is an outcome of resource export_task only")
        return outcome


def _fault_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "operation" if "operation" in value else "resource"
    return "operation" if isinstance(value, OperationFault) else "resource"


Fault = Annotated[
    Annotated[OperationFault, Tag("operation")] | Annotated[ResourceFault, Tag("resource")],
    Discriminator(_fault_kind),
]


DEFAULT_AMI_ROOT_VOLUME_GB = 50  # an AMI the scenario does not describe: smaller than the 200 GB default


class SourceAmi(_Strict):
    id: str = Field(pattern=r"^ami-[a-z0-9]{8,17}$")
    compatible: bool = True
    reason: str | None = Field(None, description="why an incompatible AMI is rejected")
    root_volume_gb: JsonInt = Field(
        DEFAULT_AMI_ROOT_VOLUME_GB,
        ge=1,
        le=16384,
        description="its root EBS volume: the imported image's size is at least 200 GB",
    )


class ExistingImage(_Strict):
    """A private image the account already has when it starts (the output of earlier pipeline runs)."""

    name: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$")
    tags: dict[str, str] = Field(default_factory=dict)
    age_days: float = Field(1.0, ge=0, description="how long before the start it was created")
    up_to_date: bool = Field(False, description="has the latest software: no managed update available")
    volume_gb: JsonInt = Field(200, ge=200, le=500, description="the image volume size, a root volume floor")
    shared_by: str | None = Field(
        None, pattern=r"^\d{12}$", description="the account that owns the image and shares it with this one"
    )
    allow_image_builder: bool = Field(
        True, description="a shared image: whether image builders may start from it"
    )


class ExistingFleet(_Strict):
    """A fleet the account already has when it starts, streaming one of `images` or a public base image."""

    name: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$")
    image: str = Field(description="name of the image the fleet streams")
    fleet_type: Literal["ALWAYS_ON", "ON_DEMAND", "ELASTIC"] = "ON_DEMAND"
    instance_type: str = "stream.standard.medium"
    running: bool = True
    root_volume_gb: VolumeGb | None = None


class ExistingAppBlockBuilder(_Strict):
    """An app block builder the account already has when it starts, STOPPED.

    StartAppBlockBuilder needs an app block associated with the builder, and the emulator has no
    app blocks of its own, so only a builder given one here can be started.
    """

    name: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$")
    instance_type: Literal[
        "stream.standard.small",
        "stream.standard.medium",
        "stream.standard.large",
        "stream.standard.xlarge",
        "stream.standard.2xlarge",
    ] = "stream.standard.large"
    app_block: str | None = Field(None, min_length=1, description="name of the app block associated with it")
    subnet_ids: list[str] = Field(
        default_factory=lambda: ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"], min_length=2
    )


class Assumptions(_Strict):
    """One reading per question the sources leave open (docs/emulator-fidelity.md names each).

    The defaults are the emulator's first guesses; tests run the pipelines under every reading.
    """

    export_task_filters: Literal["as_emulated", "rejected", "ignored"] = Field(
        "as_emulated",
        description="ListExportImageTasks Filters: applied by the emulator's names, refused, or ignored",
    )
    deleted_root_volume: Literal["absent", "reads_as_default"] = Field(
        "absent",
        description="RootVolumeConfig after deleting VOLUME_CONFIGURATION: gone, or the 200 GB default",
    )
    delete_image: Literal["immediate", "deleting_for_a_while"] = Field(
        "immediate",
        description="DeleteImage: the image is gone at once, or DELETING for durations.image_delete",
    )
    validating_phase: Literal["only_with_runtime_validation", "always"] = Field(
        "only_with_runtime_validation",
        description="CreateImportedImage shows VALIDATING only with RuntimeValidationConfig, or always",
    )
    aws_events: Literal["delivered", "dropped", "delayed"] = Field(
        "delivered",
        description="events AWS sends best effort (EC2 AMI State Change): at once, never, or 90 s late",
    )
    image_copy: Literal["copy_pending", "source_copying"] = Field(
        "copy_pending",
        description="CopyImage: only the copy is PENDING, or the source also reads COPYING meanwhile",
    )


class Scenario(_Strict):
    durations: Durations = Field(default_factory=Durations)
    jitter: float = Field(0.0, ge=0, le=1, description="each duration is drawn within +/- this fraction")
    seed: JsonInt | None = Field(None, description="seed of every random draw (durations, ids)")
    quotas: Quotas = Field(default_factory=Quotas)
    rate_limits: dict[str, RateLimit] = Field(default_factory=dict)
    faults: list[Fault] = Field(default_factory=list)
    amis: list[SourceAmi] | None = Field(None, description="when set, only these AMIs exist")
    invalid_roles: list[str] = Field(default_factory=list, description="role ARNs AppStream cannot assume")
    images: list[ExistingImage] = Field(default_factory=list, description="private images at the start")
    fleets: list[ExistingFleet] = Field(default_factory=list, description="fleets at the start")
    app_block_builders: list[ExistingAppBlockBuilder] = Field(
        default_factory=list, description="app block builders at the start"
    )
    assumptions: Assumptions = Field(default_factory=Assumptions)

    @field_validator("rate_limits")
    @classmethod
    def _rate_limited_operations_exist(cls, rate_limits: dict[str, RateLimit]) -> dict[str, RateLimit]:
        unknown = sorted(set(rate_limits) - set(operation_names()))
        if unknown:
            raise ValueError(f"unknown AppStream operations {unknown}")
        return rate_limits

    @classmethod
    def from_data(cls, data: Any, source: str = "scenario") -> Scenario:
        try:
            return cls.model_validate(data if data is not None else {})
        except ValidationError as error:
            raise ScenarioError(_describe(source, error)) from None

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ScenarioError(f"{path}: cannot read scenario: {error.strerror}") from None
        try:
            data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as error:
            raise ScenarioError(
                f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {error}"
            ) from None
        return cls.from_data(data, str(path))


def _describe(source: str, error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        if location[:1] == ["faults"] and len(location) > 2:
            del location[2]  # the union tag pydantic inserts: "faults.0.operation.error" -> "faults.0.error"
        field = ".".join(location) or "(top level)"
        message = item["msg"]
        if item["type"] == "literal_error":
            message += f" (got {item['input']!r})"
        elif item["type"] == "extra_forbidden" and location[:1] == ["assumptions"]:
            message = f"unknown assumption; choose from {sorted(Assumptions.model_fields)}"
        problems.append(f"{field}: {message}")
    return f"{source}: invalid scenario: " + "; ".join(problems)


def scenario_json_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema(by_alias=True)
    # An empty scenario file (YAML null) means every default, as `Scenario.from_data` reads it.
    schema["type"] = ["object", "null"]
    return schema
