"""The pipeline request: what a person writes to run a pipeline, with its published JSON Schema.

`parse_request` is the one entry point for validation (the first state of the workflow
and `image-factory validate` both use it): it returns the model, or one `FieldError`
per bad field so a person can fix everything in one go. Error messages never echo
input values: the request may carry application launch parameters.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    SecretStr,
    SerializationInfo,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from agent_contract.options import ImageAssistantOptions
from functions.core.placeholders import NameValues, check_template, render
from functions.core.regions import REGION_CODE, refuse_unserved

# The building blocks every request shares live in functions.core.request_fields; they stay importable
# from here, where the pipeline request's users have always found them.
from functions.core.request_fields import (
    AMI_NAME,
    PIPELINE_NAME,
    RESOURCE_NAME,
    FieldError,
    JsonInt,
    PhaseWait,
    RoleArn,
    Tags,
    TimeoutMinutes,
    field_errors,
)
from functions.core.request_fields import Section as _Section
from functions.workflows.image_pipeline.builder_settings import AccessEndpoint, LicenseIncludedApps

# An AppStream image's ARN (botocore's Arn, narrowed to images): the account is empty for AWS's own.
IMAGE_ARN = (
    r"^arn:aws(?:-cn|-iso-b|-iso|-us-gov)?:appstream:[a-z0-9-]+:(?:\d{12})?:"
    r"image/[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$"
)
IMPORT_TEXT = re.compile(r"^[a-zA-Z0-9_.() -]+$")
INSTANCE_TYPE = r"^[a-zA-Z0-9-]+(\.[a-z0-9-]+)+\.(small|medium|large|xlarge|\d+xlarge|metal)$"
SECRET_MASK = "**********"

InstanceType = Annotated[str, StringConstraints(pattern=INSTANCE_TYPE)]
FilePath = Annotated[str, StringConstraints(min_length=1, max_length=32767)]


class Source(_Section):
    """Where the pipeline starts: an EC2 AMI or a WorkSpaces image to import, or an existing image."""

    ami_id: str | None = Field(None, pattern=r"^ami-[a-z0-9]{8,17}$")
    workspace_image_id: str | None = Field(
        None,
        pattern=r"^wsi-[0-9a-z]{8,63}$",
        description="a WorkSpaces BYOL image to import (CreateImportedImage's WorkspaceImageId)",
    )
    import_role_arn: RoleArn | None = Field(None, description="role AppStream assumes to read the AMI")
    image_name: str | None = Field(None, pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$")
    image_arn: str | None = Field(
        None,
        pattern=IMAGE_ARN,
        description="an image by ARN: one shared from another account (settings.shared_image_accounts)",
    )

    @field_validator("workspace_image_id")
    @classmethod
    def _not_with_an_ami(cls, value: str | None, info: ValidationInfo) -> str | None:
        # CreateImportedImage imports one of the two (docs/emulator-fidelity.md).
        if value is not None and info.data.get("ami_id") is not None:
            raise ValueError("give either ami_id or workspace_image_id, not both")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Source:
        origins = (self.ami_id, self.workspace_image_id, self.image_name, self.image_arn)
        if sum(origin is not None for origin in origins) != 1:
            raise ValueError(
                "give one of ami_id (with import_role_arn), workspace_image_id, image_name or image_arn"
            )
        if self.ami_id is not None and self.import_role_arn is None:
            raise ValueError("import_role_arn is required with ami_id")
        if self.import_role_arn is not None and self.ami_id is None and self.workspace_image_id is None:
            raise ValueError("import_role_arn only applies to an import")
        return self


class AppCatalogEntry(_Section):
    name: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$")
    display_name: str | None = Field(None, pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_. -]{0,99}$")
    absolute_app_path: FilePath
    absolute_icon_path: FilePath | None = None
    absolute_manifest_path: FilePath | None = None
    working_directory: str | None = Field(None, max_length=32767)
    launch_parameters: SecretStr | None = Field(
        None, description="sensitive: never logged", json_schema_extra={"maxLength": 1024}
    )

    @field_validator("launch_parameters")
    @classmethod
    def _launch_parameters_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) > 1024:
            raise ValueError("launch_parameters must be at most 1024 characters")
        return value

    @field_serializer("launch_parameters")
    def _mask(self, value: SecretStr | None, info: SerializationInfo) -> str | None:
        if value is None:
            return None
        return value.get_secret_value() if (info.context or {}).get("reveal_secrets") else SECRET_MASK


class ImportSettings(_Section):
    runtime_validation_instance_type: InstanceType | None = Field(
        None, description="streams a test instance of this type before the image becomes AVAILABLE"
    )
    agent_software_version: Literal["CURRENT_LATEST", "ALWAYS_LATEST"] | None = None
    app_catalog: list[AppCatalogEntry] = Field(default_factory=list, max_length=50)
    # Accepted so that earlier requests stay valid: every run's preflight now dry-runs its import.
    dry_run_first: bool = Field(False, description="no effect: the preflight always dry-runs the import")

    @field_validator("app_catalog")
    @classmethod
    def _unique_app_names(cls, entries: list[AppCatalogEntry]) -> list[AppCatalogEntry]:
        names = [entry.name for entry in entries]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"application names must be unique; repeated: {', '.join(duplicates)}")
        return entries


class DomainJoin(_Section):
    directory_name: str = Field(min_length=1)
    organizational_unit_distinguished_name: str | None = Field(None, max_length=2000)


class BuilderSettings(_Section):
    instance_type: InstanceType
    root_volume_gb: JsonInt = Field(200, ge=200, le=500, description="200 is included in the hourly rate")
    subnet_ids: list[Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        default_factory=list, max_length=1
    )
    security_group_ids: list[Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$")]] = Field(
        default_factory=list, max_length=5
    )
    iam_role_arn: RoleArn | None = None
    enable_default_internet_access: bool = False
    domain_join: DomainJoin | None = None
    license_included_apps: LicenseIncludedApps | None = Field(
        None, description="Microsoft Office, Visio or Project installed or removed by AppStream"
    )
    # 1 to 4 when given, as AppStream's AccessEndpointList.
    access_endpoints: list[AccessEndpoint] | None = Field(
        None, min_length=1, max_length=4, description="interface VPC endpoints for streaming to the builder"
    )
    appstream_agent_version: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="[LATEST] or an agent version; AppStream's default if unset",
    )

    @model_validator(mode="after")
    def _groups_need_subnet(self) -> BuilderSettings:
        if self.security_group_ids and not self.subnet_ids:
            raise ValueError("security_group_ids need subnet_ids")
        if self.domain_join is not None and not self.subnet_ids:
            raise ValueError("domain_join needs subnet_ids")
        return self


class Script(_Section):
    s3_uri: str = Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="the script runs only if its content matches")


class SnapshotSettings(_Section):
    mode: Literal["agent", "manual"] = Field(
        "agent",
        description="agent: the builder agent runs the scripts and Image Assistant; manual: a person does",
    )
    image_name: str = Field("{pipeline}-{date}-{run}", description="may use {pipeline}, {date}, {run}")
    display_name: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=256)
    tags: Tags = Field(default_factory=dict)
    scripts: list[Script] = Field(default_factory=list, max_length=50)
    timeout_minutes: TimeoutMinutes | None = Field(None, description="ceiling of the snapshot wait")
    image_assistant: ImageAssistantOptions = Field(
        default_factory=ImageAssistantOptions,
        description="agent mode: Image Assistant create-image options the agent passes on",
    )

    @field_validator("image_name")
    @classmethod
    def _image_name(cls, template: str) -> str:
        return check_template(template, RESOURCE_NAME, "image name")

    @model_validator(mode="after")
    def _scripts_need_agent(self) -> SnapshotSettings:
        if self.scripts and self.mode != "agent":
            raise ValueError("scripts run only in agent mode")
        return self


class ExportSettings(_Section):
    ami_name: str = Field("{pipeline}-{date}-{run}", description="unique per account and region")
    role_arn: RoleArn
    description: str | None = Field(None, max_length=256)
    tags: Tags = Field(default_factory=dict)

    @field_validator("ami_name")
    @classmethod
    def _ami_name(cls, template: str) -> str:
        return check_template(template, AMI_NAME, "AMI name")


# The account id AppStream shares with: "the 12-digit identifier" (UpdateImagePermissions).
AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
RegionName = Annotated[str, StringConstraints(pattern=REGION_CODE)]


class DistributeSettings(_Section):
    """After the snapshot: copies of the new image in other regions (each named as the image), and
    the accounts the image and its copies are shared with (for fleets and image builders)."""

    # Unique, as the schema says (`uniqueItems`): a region is copied to once, an account shared with once.
    copy_to_regions: list[RegionName] = Field(
        default_factory=list, max_length=20, json_schema_extra={"uniqueItems": True}
    )
    share_with_accounts: list[AccountId] = Field(
        default_factory=list, max_length=100, json_schema_extra={"uniqueItems": True}
    )
    exported_ami: bool = Field(
        False,
        description="after the export, the AMI too: copied to the same regions (EC2 CopyImage) and"
        " shared with the same accounts (launch permission); needs export",
    )

    @field_validator("copy_to_regions")
    @classmethod
    def _appstream_regions(cls, regions: list[str]) -> list[str]:
        refuse_unserved(regions)
        return _unique(regions, "regions")

    @field_validator("share_with_accounts")
    @classmethod
    def _unique_accounts(cls, accounts: list[str]) -> list[str]:
        return _unique(accounts, "accounts")

    @model_validator(mode="after")
    def _something(self) -> DistributeSettings:
        if not self.copy_to_regions and not self.share_with_accounts:
            raise ValueError("name copy_to_regions, share_with_accounts or both")
        return self


def _unique(values: list[str], what: str) -> list[str]:
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"{what} must be unique; repeated: {', '.join(repeated)}")
    return values


class CleanupSettings(_Section):
    delete_builder: bool = True
    delete_imported_image: bool = Field(
        False, description="delete the intermediate imported image at the end"
    )


class Waits(_Section):
    """Overrides of the expected duration and ceiling of each wait."""

    import_: PhaseWait = Field(default_factory=PhaseWait, alias="import")
    builder_slot: PhaseWait = Field(default_factory=PhaseWait)
    builder: PhaseWait = Field(default_factory=PhaseWait)
    snapshot: PhaseWait = Field(default_factory=PhaseWait)
    distribute: PhaseWait = Field(default_factory=PhaseWait)
    export: PhaseWait = Field(default_factory=PhaseWait)
    distribute_ami: PhaseWait = Field(default_factory=PhaseWait)
    cleanup: PhaseWait = Field(default_factory=PhaseWait)


# The agent reads its jobs and scripts from S3 and reports to S3: without a subnet of the
# customer's VPC the builder has no route there (docs/agent.md, "Network").
AGENT_NEEDS_A_SUBNET = (
    "agent mode needs a subnet that reaches S3 (through an S3 gateway endpoint or a NAT "
    "gateway), or a public subnet with enable_default_internet_access"
)

EXPORTED_AMI_NEEDS_EXPORT = "distributing the exported AMI needs an export: add export.ami_name"


class PipelineRequest(_Section):
    """One pipeline run: import (or pick) an image, build on a builder, snapshot, distribute, export,
    clean up."""

    pipeline: str = Field(pattern=PIPELINE_NAME, description="names the pipeline; runs of it share history")
    source: Source
    import_: ImportSettings = Field(default_factory=ImportSettings, alias="import")
    builder: BuilderSettings
    snapshot: SnapshotSettings = Field(default_factory=SnapshotSettings)
    distribute: DistributeSettings | None = None
    export: ExportSettings | None = None
    cleanup: CleanupSettings = Field(default_factory=CleanupSettings)
    waits: Waits = Field(default_factory=Waits)

    @model_validator(mode="after")
    def _consistent(self) -> PipelineRequest:
        if "import_" in self.model_fields_set and not self.imports:
            raise ValueError(
                "import settings apply only to an import (source.ami_id or source.workspace_image_id)"
            )
        if self.snapshot.timeout_minutes and self.waits.snapshot.ceiling_minutes:
            raise ValueError("set snapshot.timeout_minutes or waits.snapshot.ceiling_minutes, not both")
        return self

    @property
    def imports(self) -> bool:
        return self.source.ami_id is not None or self.source.workspace_image_id is not None

    def to_document(self, reveal_secrets: bool = False) -> dict[str, Any]:
        """JSON-ready dict by field alias, of what the person wrote (so it validates again to the same
        request); secrets are masked unless asked for."""
        return self.model_dump(
            mode="json", by_alias=True, exclude_unset=True, context={"reveal_secrets": reveal_secrets}
        )


def request_json_schema() -> dict[str, Any]:
    schema = PipelineRequest.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Image Factory pipeline request"
    return schema


# Longest run id a plan has (functions.core.execution.MAX_RUN_ID); `validate` without a run checks
# names with it.
SAMPLE_RUN_ID = "r" * 40


def parse_request(raw: Any, values: NameValues | None = None) -> PipelineRequest | list[FieldError]:
    """The validated request, or every problem with it.

    `values` are the run's placeholder values; without them (validating a file), the
    names are checked against the longest values a run can have.
    """
    try:
        request = PipelineRequest.model_validate(raw)
    except ValidationError as error:
        return field_errors(error)
    values = values or NameValues(pipeline=request.pipeline, date="20260101", run=SAMPLE_RUN_ID)
    problems = _rendered_name_problems(request, values)
    if request.snapshot.mode == "agent" and not request.builder.subnet_ids:
        problems.append(FieldError(field="builder.subnet_ids", message=AGENT_NEEDS_A_SUBNET))
    if request.distribute is not None and request.distribute.exported_ami and request.export is None:
        problems.append(FieldError(field="distribute.exported_ami", message=EXPORTED_AMI_NEEDS_EXPORT))
    return problems or request


def _rendered_name_problems(request: PipelineRequest, values: NameValues) -> list[FieldError]:
    checks = [("snapshot.image_name", request.snapshot.image_name, RESOURCE_NAME, "image name")]
    if request.export is not None:
        checks.append(("export.ami_name", request.export.ami_name, AMI_NAME, "AMI name"))
    problems = []
    for field, template, pattern, what in checks:
        name = render(template, values)
        if not pattern.fullmatch(name):
            problems.append(
                FieldError(field=field, message=f"{what} {name!r} is too long or invalid after placeholders")
            )
    return problems
