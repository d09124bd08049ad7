"""What the run API reads from the environment on top of the task functions' settings.

The cancel path runs the workflow's own cleanup service, so the API function gets the
task functions' environment (`functions.core.settings`) plus the variables here: the state
machine of every workflow it may start (`functions.core.names.env_workflow_state_machine`),
and the configured pipelines.
"""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, Field

from functions.core import names
from functions.core.settings import MissingSetting
from functions.workflows import DEFAULT_WORKFLOW, WORKFLOWS


class ApiSettings(BaseModel):
    state_machine_arn: str = Field(min_length=1)  # the image pipeline's
    # Lifecycle workflow -> its state machine ARN; a workflow absent here cannot be started.
    workflow_state_machines: dict[str, str] = Field(default_factory=dict)
    pipelines_config: str | None = None  # inline JSON
    pipelines_config_uri: str | None = None  # s3://bucket/key

    @property
    def state_machine_name(self) -> str:
        return self.state_machine_arn.rsplit(":", 1)[-1]

    @property
    def state_machines(self) -> dict[str, str]:
        """Every workflow this API starts, the image pipeline first."""
        return {DEFAULT_WORKFLOW: self.state_machine_arn, **self.workflow_state_machines}

    def execution_arn(self, run_id: str, workflow: str = DEFAULT_WORKFLOW) -> str:
        """The execution of a run: the API names executions by their run id."""
        machine = self.state_machines[workflow]
        prefix, _, name = machine.rpartition(":stateMachine:")
        return f"{prefix}:execution:{name}:{run_id}"

    def workflow_of(self, execution_arn: object) -> str | None:
        """The workflow an execution belongs to, by its state machine; None for one this API does not know."""
        if not isinstance(execution_arn, str) or ":execution:" not in execution_arn:
            return None
        prefix, _, rest = execution_arn.rpartition(":execution:")
        machine = f"{prefix}:stateMachine:{rest.split(':', 1)[0]}"
        return next((name for name, arn in self.state_machines.items() if arn == machine), None)

    @classmethod
    def from_env(cls) -> ApiSettings:
        arn = os.environ.get(names.ENV_PIPELINE_STATE_MACHINE)
        if not arn:
            raise MissingSetting(f"environment variable(s) not set: {names.ENV_PIPELINE_STATE_MACHINE}")
        lifecycle = {
            workflow: os.environ[names.env_workflow_state_machine(workflow)]
            for workflow in WORKFLOWS
            if workflow != DEFAULT_WORKFLOW and os.environ.get(names.env_workflow_state_machine(workflow))
        }
        return cls(
            state_machine_arn=arn,
            workflow_state_machines=lifecycle,
            pipelines_config=os.environ.get(names.ENV_PIPELINES_CONFIG) or None,
            pipelines_config_uri=os.environ.get(names.ENV_PIPELINES_CONFIG_URI) or None,
        )


@cache
def get_api_settings() -> ApiSettings:
    """Settings of this process; `get_api_settings.cache_clear()` re-reads the environment."""
    return ApiSettings.from_env()
