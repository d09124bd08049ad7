"""What the run API reads from the environment on top of the task functions' settings.

The cancel path runs the workflow's own cleanup service, so the API function gets the
task functions' environment (`functions.settings`) plus the variables here.
"""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, Field

from functions import names
from functions.settings import MissingSetting


class ApiSettings(BaseModel):
    state_machine_arn: str = Field(min_length=1)
    pipelines_config: str | None = None  # inline JSON
    pipelines_config_uri: str | None = None  # s3://bucket/key

    @property
    def state_machine_name(self) -> str:
        return self.state_machine_arn.rsplit(":", 1)[-1]

    def execution_arn(self, run_id: str) -> str:
        """The execution of a run: the API names executions by their run id."""
        prefix = self.state_machine_arn.rsplit(":stateMachine:", 1)[0]
        return f"{prefix}:execution:{self.state_machine_name}:{run_id}"

    @classmethod
    def from_env(cls) -> ApiSettings:
        arn = os.environ.get(names.ENV_PIPELINE_STATE_MACHINE)
        if not arn:
            raise MissingSetting(f"environment variable(s) not set: {names.ENV_PIPELINE_STATE_MACHINE}")
        return cls(
            state_machine_arn=arn,
            pipelines_config=os.environ.get(names.ENV_PIPELINES_CONFIG) or None,
            pipelines_config_uri=os.environ.get(names.ENV_PIPELINES_CONFIG_URI) or None,
        )


@cache
def get_api_settings() -> ApiSettings:
    """Settings of this process; `get_api_settings.cache_clear()` re-reads the environment."""
    return ApiSettings.from_env()
