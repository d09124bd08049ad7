"""The function the stack's rule on "EC2 AMI State Change" invokes: it resumes the export waits.

The signal is a hint: the wait's check task reads the state from AppStream, so resuming a wait
that the event did not concern costs one check, and an event that resumes nothing is no error.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from functions.core import names, signals
from functions.core.observability import logger


class AmiStateDetail(BaseModel):
    model_config = ConfigDict(extra="ignore")

    image_id: str = Field(alias="ImageId")
    state: str = Field(alias="State")


class AmiStateChange(BaseModel):
    """EC2's "EC2 AMI State Change" event (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitor-ami-events.html)."""

    model_config = ConfigDict(extra="ignore")

    detail: AmiStateDetail


def _runs_table() -> str:
    table = os.environ.get(names.ENV_RUNS_TABLE)
    if not table:
        raise KeyError(f"{names.ENV_RUNS_TABLE} is not set")
    return table


@logger.inject_lambda_context(log_event=False, clear_state=True)
def ami_state_change(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """An AMI became available or failed: resume every export wait of this stage.

    The event names only the AMI's id, and an export's AMI id is known only once the export has
    completed, so the waits cannot be told apart by it: each one's check finds out.
    """
    change = AmiStateChange.model_validate(event)
    resumed = signals.resume(_runs_table(), signals.AMI_STATE)
    logger.debug("AMI state change", extra={"ami": change.detail.image_id, "resumed": resumed})
    return {"resumed": resumed}
