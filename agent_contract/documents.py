"""The documents the workflow and the builder agent exchange through S3.

The workflow writes `jobs/<builder-name>/job.json` (an `AgentJob`); the agent inside
the image builder runs the job's pinned scripts, then Image Assistant `create-image`,
and writes `jobs/<builder-name>/result.json` (an `AgentResult`). While it works it keeps
`jobs/<builder-name>/status.json` (an `AgentStatus`) up to date: progress for people,
never a decision input for the workflow.

This module ships inside the Lambda bundle and inside the agent, so it depends on
pydantic (and the options module beside it) only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from agent_contract.options import ImageAssistantOptions

SCHEMA_VERSION = 1
JOBS_PREFIX = "jobs"
RESULT_FILE = "result.json"

_NAME = r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$"  # AppStream's Name pattern (images and image builders)


def job_key(builder_name: str) -> str:
    return f"{JOBS_PREFIX}/{builder_name}/job.json"


def result_key(builder_name: str) -> str:
    return f"{JOBS_PREFIX}/{builder_name}/{RESULT_FILE}"


def status_key(builder_name: str) -> str:
    return f"{JOBS_PREFIX}/{builder_name}/status.json"


class _Document(BaseModel):
    # Built when first used: a task function that loads this module for one document (the snapshot
    # tasks write jobs, the result signal reads results) does not build the others at its cold start.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ImageSpec(_Document):
    """The image Image Assistant creates."""

    name: str = Field(pattern=_NAME)
    display_name: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=256)
    tags: dict[str, str] = Field(default_factory=dict, max_length=50)


class ScriptRef(_Document):
    """A script the agent downloads and runs only if its SHA-256 matches the pin."""

    s3_uri: str = Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class AgentJob(_Document):
    schema_version: Literal[1] = 1
    run_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
    builder_name: str = Field(pattern=_NAME)
    image: ImageSpec
    scripts: list[ScriptRef] = Field(default_factory=list)
    image_assistant: ImageAssistantOptions = Field(default_factory=ImageAssistantOptions)
    timeout_minutes: int = Field(60, ge=1, le=1440)
    # When the workflow wrote the job: a polling agent finds it within one poll period.
    issued_at: AwareDatetime | None = None


class ScriptResult(_Document):
    s3_uri: str
    sha256: str
    exit_code: int
    started_at: AwareDatetime
    finished_at: AwareDatetime
    output_tail: str = ""


class StepResult(_Document):
    """Outcome of Image Assistant `create-image`."""

    exit_code: int
    message: str = ""


class AgentResult(_Document):
    schema_version: Literal[1] = 1
    run_id: str
    builder_name: str
    status: Literal["SUCCEEDED", "FAILED"]
    image_name: str | None = None
    scripts: list[ScriptResult] = Field(default_factory=list)
    create_image: StepResult | None = None
    error: str | None = None
    started_at: AwareDatetime
    finished_at: AwareDatetime

    @property
    def duration(self) -> dt.timedelta:
        return self.finished_at - self.started_at


AgentPhase = Literal[
    "RECEIVED",  # the job is read and valid; nothing has run yet
    "VERIFYING_SCRIPTS",  # downloading every script and checking its SHA-256 pin, before any runs
    "RUNNING_SCRIPT",  # `script_index` of `script_count` is running
    "CHECKING_IMAGE",  # Image Assistant `create-image --dry-run`
    "CREATING_IMAGE",  # Image Assistant `create-image`
    "SUCCEEDED",  # create-image accepted the request: the builder is about to snapshot
    "FAILED",  # see `message`; result.json says why
]


class AgentStatus(_Document):
    """Where the agent is in its job, rewritten at every step and while a script runs.

    For people debugging a slow or stuck job; the workflow decides from `result.json`
    and from the builder and image states only.
    """

    schema_version: Literal[1] = 1
    run_id: str
    builder_name: str
    agent_version: str
    phase: AgentPhase
    script_index: int | None = Field(None, ge=1, description="1-based index of the script in `phase`")
    script_count: int = Field(0, ge=0)
    message: str = ""
    output_tail: str = Field("", description="the end of the running script's output")
    started_at: AwareDatetime
    updated_at: AwareDatetime


def job_json_schema() -> dict[str, Any]:
    return AgentJob.model_json_schema()


def result_json_schema() -> dict[str, Any]:
    return AgentResult.model_json_schema()


def status_json_schema() -> dict[str, Any]:
    return AgentStatus.model_json_schema()
