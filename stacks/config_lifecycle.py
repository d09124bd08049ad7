"""The `lifecycle` section of the configuration file: scheduled jobs of the lifecycle workflows.

Each job stores a request of its workflow (checked at synth time with the workflow's
own validation, like a pipeline's request) and the schedules that start it:

    lifecycle:
      export_backups:
        - name: nightly-backups
          schedules: [{expression: "cron(0 3 * * ? *)"}]
          request: {images: {tags: {team: euc}}, role_arn: arn:aws:iam::...:role/export}
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterable, Iterator
from typing import Any

from pydantic import Field, model_validator

from stacks.config_schedule import Schedule, Strict
from stacks.request_contract import validate_request

JOB_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"  # a lifecycle request's own pattern for `name`
SCHEDULE_INPUT_LIMIT = 8192  # EventBridge Scheduler's limit on a target's Input


class LifecycleJob(Strict):
    """One job of a lifecycle workflow: the request its runs start with, and when they start."""

    name: str = Field(pattern=JOB_NAME)
    description: str = Field("", max_length=256)
    request: dict[str, Any] = Field(description="the workflow's request; `name` defaults to the job's name")
    schedules: tuple[Schedule, ...] = ()

    @model_validator(mode="after")
    def _request_names_job(self) -> LifecycleJob:
        stored = self.request.setdefault("name", self.name)
        if stored != self.name:
            raise ValueError(f"request.name {stored!r} differs from name {self.name!r}")
        size = len(json.dumps(self.request))
        if self.schedules and size > SCHEDULE_INPUT_LIMIT:
            raise ValueError(f"request is {size} characters; a schedule's input holds {SCHEDULE_INPUT_LIMIT}")
        return self

    def checked_request(self) -> dict[str, Any]:
        """The request as its workflow validates it (a job whose trigger fills in fields overrides this)."""
        return self.request


class RolloutJob(LifecycleJob):
    """A fleet rollout job; chained, it rolls out each new image of a pipeline or a managed update job."""

    after_pipeline: str | None = Field(
        None,
        pattern=JOB_NAME,
        description="roll out the new image of every SUCCEEDED run of this pipeline (leave out image_name)",
    )
    after_managed_update: str | None = Field(
        None,
        pattern=JOB_NAME,
        description="roll out the image each run of this managed_updates job makes (leave out image_name); "
        "a run that finds no update starts no rollout",
    )

    @model_validator(mode="after")
    def _image_from_the_run(self) -> RolloutJob:
        if self.after_pipeline is not None and self.after_managed_update is not None:
            raise ValueError("after_managed_update: give after_pipeline or after_managed_update, not both")
        source = self.chained_after()
        if source is not None and "image_name" in self.request:
            raise ValueError(f"request.image_name: leave it out with {source[0]} (the run names the image)")
        if source is not None and self.schedules:
            # A scheduled start would carry the stored request, which names no image.
            raise ValueError(f"schedules: a job chained with {source[0]} is started by its chain only")
        return self

    def chained_after(self) -> tuple[str, str] | None:
        """The field that chains this job and the job or pipeline it names; None when only scheduled."""
        if self.after_pipeline is not None:
            return "after_pipeline", self.after_pipeline
        if self.after_managed_update is not None:
            return "after_managed_update", self.after_managed_update
        return None

    def checked_request(self) -> dict[str, Any]:
        if self.chained_after() is None:
            return self.request
        return {**self.request, "image_name": "image-of-the-run"}


# Section of the file -> the workflow (functions.workflows) its jobs run.
SECTIONS: dict[str, str] = {
    "export_backups": "export-backup",
    "managed_updates": "managed-update",
    "fleet_rollouts": "fleet-rollout",
    "retention": "retention",
}


class LifecycleConfig(Strict):
    export_backups: tuple[LifecycleJob, ...] = ()
    managed_updates: tuple[LifecycleJob, ...] = ()
    fleet_rollouts: tuple[RolloutJob, ...] = ()
    retention: tuple[LifecycleJob, ...] = ()  # dry runs unless a request sets dry_run: false

    @model_validator(mode="after")
    def _unique_names(self) -> LifecycleConfig:
        for section in SECTIONS:
            seen: set[str] = set()
            for index, job in enumerate(getattr(self, section)):
                if job.name in seen:
                    raise ValueError(f"{section}[{index}].name: {job.name!r} is used twice")
                seen.add(job.name)
        return self

    def jobs(self, workflow: str) -> tuple[LifecycleJob, ...]:
        """The configured jobs of `workflow` (none when the file has no section for it)."""
        section = next((name for name, runs in SECTIONS.items() if runs == workflow), None)
        return tuple(getattr(self, section)) if section else ()


def chain_problems(config: LifecycleConfig | None, pipelines: Iterable[str]) -> Iterator[str]:
    """A chained rollout job must name a configured pipeline or managed update job: a rule on a name
    nothing publishes would never start a rollout."""
    if config is None:
        return
    known = {
        "after_pipeline": (set(pipelines), "pipelines[].name"),
        "after_managed_update": (
            {job.name for job in config.managed_updates},
            "lifecycle.managed_updates[].name",
        ),
    }
    for index, job in enumerate(config.fleet_rollouts):
        chained = job.chained_after()
        if chained is None:
            continue
        field, name = chained
        configured, where = known[field]
        if name not in configured:
            yield f"lifecycle.fleet_rollouts[{index}].{field}: {name!r} is not one of {where}"


def lifecycle_problems(config: LifecycleConfig | None, passable_roles: Container[str]) -> Iterator[str]:
    """Check each stored request against its workflow's request model and the passable roles."""
    if config is None:
        return
    from functions.workflows import get_workflow

    for section, workflow in SECTIONS.items():
        parse = get_workflow(workflow).parse
        for index, job in enumerate(getattr(config, section)):
            for problem in validate_request(job.checked_request(), passable_roles, parse):
                yield f"lifecycle.{section}[{index}].request{problem}"
