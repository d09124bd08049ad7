"""Typed settings of the functions, read from the environment in one place."""

from __future__ import annotations

import os
from functools import cache

from pydantic import Field, ValidationError, field_validator

from functions.core import names
from functions.core.model import Model


class MissingSetting(RuntimeError):
    """A required environment variable is not set; the message names it."""


class Settings(Model):
    runs_table: str = Field(min_length=1)
    jobs_bucket: str = Field(min_length=1)
    notification_topic_arn: str = Field(min_length=1)
    stage: str = Field(min_length=1, description="the deployment's stage, tagged on what runs create")
    event_bus: str = Field("default", min_length=1)
    builder_slot_limit: int = Field(
        10, ge=1, description="concurrent image builders; AppStream's default quota"
    )
    poll_floor_seconds: int = Field(45, ge=5, description="shortest wait between two checks")
    poll_max_step_seconds: int = Field(900, ge=30, description="longest wait between two late checks")
    poll_guess_step_seconds: int = Field(
        300, ge=30, description="longest wait while a phase's expected duration is only the default guess"
    )
    slot_poll_seconds: int = Field(120, ge=5, description="wait between two tries for a builder slot")
    history_runs: int = Field(10, ge=1, description="past successful runs the expected durations come from")
    passable_roles: tuple[str, ...] = Field(
        (), description="the role ARNs the deployment may pass to AppStream; empty: the preflight skips them"
    )
    distribution_regions: tuple[str, ...] | None = Field(
        None, description="the regions the deployment may copy images to; None: the preflight skips them"
    )
    shared_image_accounts: tuple[str, ...] = Field(
        (), description="accounts whose shared images a run may start from (source.image_arn)"
    )

    @field_validator("passable_roles", "shared_image_accounts", "distribution_regions", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return (
            tuple(part.strip() for part in value.split(",") if part.strip())
            if isinstance(value, str)
            else value
        )

    @classmethod
    def from_env(cls) -> Settings:
        required = {
            "runs_table": names.ENV_RUNS_TABLE,
            "jobs_bucket": names.ENV_JOBS_BUCKET,
            "notification_topic_arn": names.ENV_NOTIFICATION_TOPIC,
            "stage": names.ENV_STAGE,
        }
        optional = {
            "event_bus": names.ENV_EVENT_BUS,
            "builder_slot_limit": names.ENV_BUILDER_SLOT_LIMIT,
            "poll_floor_seconds": names.ENV_POLL_FLOOR_SECONDS,
            "poll_max_step_seconds": names.ENV_POLL_MAX_STEP_SECONDS,
            "poll_guess_step_seconds": names.ENV_POLL_GUESS_STEP_SECONDS,
            "slot_poll_seconds": names.ENV_SLOT_POLL_SECONDS,
            "history_runs": names.ENV_HISTORY_RUNS,
            "passable_roles": names.ENV_PASSABLE_ROLES,
            "shared_image_accounts": names.ENV_SHARED_IMAGE_ACCOUNTS,
            "distribution_regions": names.ENV_DISTRIBUTION_REGIONS,
        }
        missing = [variable for variable in required.values() if not os.environ.get(variable)]
        if missing:
            raise MissingSetting(f"environment variable(s) not set: {', '.join(missing)}")
        values = {
            field: os.environ[variable]
            for field, variable in {**required, **optional}.items()
            if os.environ.get(variable)
        }
        # Set but empty is a deployment that may copy to no region, unlike one that does not say.
        if names.ENV_DISTRIBUTION_REGIONS in os.environ:
            values["distribution_regions"] = os.environ[names.ENV_DISTRIBUTION_REGIONS]
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            fields = {**required, **optional}
            problems = [f"{fields[str(item['loc'][0])]}: {item['msg']}" for item in error.errors()]
            raise MissingSetting("invalid environment: " + "; ".join(problems)) from None


@cache
def get_settings() -> Settings:
    """Settings of this process; `get_settings.cache_clear()` re-reads the environment."""
    return Settings.from_env()
