"""The export backup request: which images to copy out to EC2 AMIs, how, and how many at once."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from functions.core.request_fields import (
    RESOURCE_NAME,
    FieldError,
    JsonInt,
    LifecycleRequest,
    PhaseWait,
    RoleArn,
    Section,
    TagFilter,
    Tags,
    check_ami_template,
    json_schema,
    parse_model,
)

# AppStream limits (botocore model): 20 concurrent exports is far above the default quota of 5.
MAX_CONCURRENCY = 20


class ImageSelection(Section):
    """One image by name, or every AVAILABLE private image matching a name prefix and/or tags."""

    image_name: str | None = Field(None, pattern=RESOURCE_NAME.pattern)
    name_prefix: str | None = Field(None, min_length=1, max_length=100)
    tags: TagFilter = Field(default_factory=dict, description="every tag must match")

    @model_validator(mode="after")
    def _one_way(self) -> ImageSelection:
        filtered = self.name_prefix is not None or bool(self.tags)
        if (self.image_name is None) == (not filtered):
            raise ValueError("give image_name, or a filter (name_prefix and/or tags), not both")
        return self

    def describe(self) -> str:
        if self.image_name:
            return f"image {self.image_name}"
        parts = [f"name starting {self.name_prefix!r}"] if self.name_prefix else []
        parts += [f"tag {key}={value}" for key, value in sorted(self.tags.items())]
        return "images with " + " and ".join(parts)


class BackupWaits(Section):
    export: PhaseWait = Field(default_factory=PhaseWait)


class ExportBackupRequest(LifecycleRequest):
    images: ImageSelection
    role_arn: RoleArn = Field(description="role AppStream assumes to create the AMIs")
    ami_name: str = Field("{image}-{date}-{run}", description="unique per account and region")
    description: str | None = Field(None, max_length=256)
    tags: Tags = Field(default_factory=dict)
    max_concurrency: JsonInt = Field(
        2, ge=1, le=MAX_CONCURRENCY, description="exports running at once (AppStream's default quota is 5)"
    )
    skip_unchanged: bool = Field(True, description="skip images exported before and unchanged since")
    waits: BackupWaits = Field(default_factory=BackupWaits)

    @field_validator("ami_name")
    @classmethod
    def _ami_name(cls, template: str) -> str:
        return check_ami_template(template)

    def summary(self) -> str:
        skip = ", skipping unchanged images" if self.skip_unchanged else ""
        return f"export {self.images.describe()} to AMIs, {self.max_concurrency} at a time{skip}"


def parse_request(raw: Any) -> ExportBackupRequest | list[FieldError]:
    return parse_model(ExportBackupRequest, raw)


def request_json_schema() -> dict[str, Any]:
    return json_schema(ExportBackupRequest, "Image Factory export backup request")
