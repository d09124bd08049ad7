"""The managed update request: which image to update with CreateUpdatedImage, and what follows."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from functions.core.execution import MAX_RUN_ID
from functions.core.placeholders import NameValues, check_template, render
from functions.core.request_fields import (
    RESOURCE_NAME,
    FieldError,
    LifecycleRequest,
    PhaseWait,
    RoleArn,
    Section,
    Tags,
    check_ami_template,
    json_schema,
    parse_model,
)


class ThenExport(Section):
    """Export the new image to an AMI with the export-backup workflow (a run of its own)."""

    role_arn: RoleArn = Field(description="role AppStream assumes to create the AMI")
    ami_name: str = Field("{image}-{date}-{run}", description="as in an export backup request")
    tags: Tags = Field(default_factory=dict)

    @field_validator("ami_name")
    @classmethod
    def _ami_name(cls, template: str) -> str:
        return check_ami_template(template)


class UpdateWaits(Section):
    update: PhaseWait = Field(default_factory=PhaseWait)
    cleanup: PhaseWait = Field(default_factory=PhaseWait)


class ManagedUpdateRequest(LifecycleRequest):
    image_name: str = Field(pattern=RESOURCE_NAME.pattern, description="the AVAILABLE image to update")
    new_image_name: str = Field(
        "{pipeline}-{date}-{run}", description="{pipeline} is the request's name; {date} and {run} as usual"
    )
    new_image_display_name: str | None = Field(None, max_length=100)
    new_image_description: str | None = Field(None, max_length=256)
    tags: Tags = Field(default_factory=dict)
    then_export: ThenExport | None = None
    waits: UpdateWaits = Field(default_factory=UpdateWaits)

    @field_validator("new_image_name")
    @classmethod
    def _new_image_name(cls, template: str, info: ValidationInfo) -> str:
        template = check_template(template, RESOURCE_NAME, "image name")
        # Filled with this job's name and the longest run id, it must still be a valid name.
        values = NameValues(pipeline=str(info.data.get("name", "")), date="20260101", run="r" * MAX_RUN_ID)
        if not RESOURCE_NAME.fullmatch(render(template, values)):
            raise ValueError("too long or invalid once filled with the job's name and the longest run id")
        return template

    def flow(self) -> dict[str, Any]:
        return {"export": self.then_export is not None}

    def initial_state(self) -> dict[str, Any]:
        return {"check": None, "update": None, "cleanup": {}, "export": None}

    def summary(self) -> str:
        then = ", then export it to an AMI" if self.then_export else ""
        return f"update image {self.image_name} when AppStream has an update for it{then}"


def parse_request(raw: Any) -> ManagedUpdateRequest | list[FieldError]:
    return parse_model(ManagedUpdateRequest, raw)


def request_json_schema() -> dict[str, Any]:
    return json_schema(ManagedUpdateRequest, "Image Factory managed update request")
