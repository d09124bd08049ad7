"""The retention request: how many images and exported AMIs each pipeline keeps; which builders to reap."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from functions.core.request_fields import (
    PIPELINE_NAME,
    FieldError,
    JsonInt,
    LifecycleRequest,
    PhaseWait,
    Section,
    json_schema,
    parse_model,
)

PipelineName = Annotated[str, StringConstraints(pattern=PIPELINE_NAME)]
# One run deletes at most this many resources (the report and the state stay small); the next run goes on.
MAX_DELETIONS = 100


class RetentionWaits(Section):
    builders: PhaseWait = Field(
        default_factory=PhaseWait, description="stopping and deleting reaped builders"
    )


class RetentionRequest(LifecycleRequest):
    """Delete what a pipeline no longer needs; by default only report what would be deleted."""

    pipelines: list[PipelineName] = Field(
        min_length=1,
        max_length=20,
        description="pipelines (or lifecycle jobs) whose resources carry image-factory:pipeline=<name>",
    )
    keep_images: JsonInt = Field(3, ge=1, le=100, description="newest AVAILABLE images kept per pipeline")
    keep_amis: JsonInt = Field(3, ge=1, le=100, description="newest exported AMIs kept per pipeline")
    amis: bool = Field(True, description="also apply retention to exported AMIs (EC2), found by tag")
    reap_builders: bool = Field(True, description="delete image builders left by runs no longer active")
    builder_max_age_hours: float = Field(
        24, gt=0, le=8760, description="only builders older than this are reaped"
    )
    dry_run: bool = Field(True, description="only report what would be deleted (the default)")
    waits: RetentionWaits = Field(default_factory=RetentionWaits)

    @field_validator("pipelines")
    @classmethod
    def _unique(cls, pipelines: list[str]) -> list[str]:
        if len(set(pipelines)) != len(pipelines):
            raise ValueError("each pipeline may appear once")
        return pipelines

    def flow(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run}

    def summary(self) -> str:
        mode = "report only (dry run)" if self.dry_run else "delete"
        return (
            f"{mode}: keep the newest {_counted(self.keep_images, 'image')}"
            + (f" and {_counted(self.keep_amis, 'AMI')}" if self.amis else "")
            + f" of {', '.join(self.pipelines)}"
            + (f"; reap builders older than {self.builder_max_age_hours:g} h" if self.reap_builders else "")
        )


def parse_request(raw: Any) -> RetentionRequest | list[FieldError]:
    return parse_model(RetentionRequest, raw)


def request_json_schema() -> dict[str, Any]:
    return json_schema(RetentionRequest, "Image Factory retention request")


def _counted(count: int, noun: str) -> str:
    """One image is "image" (the summary reads "keep the newest image"), more are "3 images"."""
    return noun if count == 1 else f"{count} {noun}s"
