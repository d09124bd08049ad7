"""The export backup request: which images to copy out to EC2 AMIs, how, and how many at once."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from functions.execution import MAX_RUN_ID
from functions.lifecycle.plan import LifecycleRequest, RequestSection, json_schema, parse_model
from functions.placeholders import NameValues, render
from functions.request_fields import (
    AMI_NAME,
    RESOURCE_NAME,
    FieldError,
    JsonInt,
    PhaseWait,
    RoleArn,
    TagFilter,
    Tags,
)

# `{image}` is the exported image's name, `{date}` the run's YYYYMMDD, `{run}` the run id.
AMI_PLACEHOLDERS = ("image", "date", "run")
_FIELD = re.compile(r"\{([^{}]*)\}")
# AppStream limits (botocore model): 20 concurrent exports is far above the default quota of 5.
MAX_CONCURRENCY = 20


def render_ami_name(template: str, image: str, date: str, run: str) -> str:
    """The AMI's name; words `{image}` already says (its run's date and id) are not said again."""
    return render(template, NameValues(pipeline="", date=date, run=run), {"image": image})


def check_ami_template(template: str) -> str:
    """Reject unknown placeholders, and a template that is not a valid AMI name once filled with
    the longest run id a run can have (the exported image's name is known only at run time)."""
    unknown = [name for name in _FIELD.findall(template) if name not in AMI_PLACEHOLDERS]
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in AMI_PLACEHOLDERS)
        raise ValueError(f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; use {allowed}")
    if not AMI_NAME.fullmatch(render_ami_name(template, "image", "20260101", "r" * MAX_RUN_ID)):
        raise ValueError(f"not a valid AMI name with the longest run id (allowed: {AMI_NAME.pattern})")
    return template


class ImageSelection(RequestSection):
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


class BackupWaits(RequestSection):
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
