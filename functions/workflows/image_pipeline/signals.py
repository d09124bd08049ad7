"""The functions the stack's signal rules invoke: "EC2 AMI State Change" resumes the export waits
(the image pipeline's and the export backups'), S3's "Object Created" for an agent's failed
`result.json` resumes the snapshot wait of that builder.

The signal is a hint: the wait's check task reads the state from AppStream, so resuming a wait
that the event did not concern costs one check, and an event that resumes nothing is no error.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ConfigDict, Field

from agent_contract.documents import JOBS_PREFIX, RESULT_FILE
from functions.core import names, signals
from functions.core.errors import ImageFactoryError
from functions.core.model import Model
from functions.core.observability import logger
from functions.workflows.image_pipeline.agent_results import read_agent_result


class AmiStateDetail(Model):
    model_config = ConfigDict(extra="ignore")

    image_id: str = Field(alias="ImageId")
    state: str = Field(alias="State")


class AmiStateChange(Model):
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
    """An AMI became available or failed: resume every export wait of this stage (pipelines' and
    backups' alike: both leave their tokens under the AMI's name).

    The event names only the AMI's id, and an export's AMI id is known only once the export has
    completed, so the waits cannot be told apart by it: each one's check finds out.
    """
    change = AmiStateChange.model_validate(event)
    resumed = signals.resume(_runs_table(), signals.AMI_STATE)
    logger.debug("AMI state change", extra={"ami": change.detail.image_id, "resumed": resumed})
    return {"resumed": resumed}


class S3Bucket(Model):
    model_config = ConfigDict(extra="ignore")

    name: str


class S3Object(Model):
    model_config = ConfigDict(extra="ignore")

    key: str


class ObjectCreatedDetail(Model):
    model_config = ConfigDict(extra="ignore")

    bucket: S3Bucket
    object: S3Object


class ObjectCreated(Model):
    """S3's "Object Created" event (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html)."""

    model_config = ConfigDict(extra="ignore")

    detail: ObjectCreatedDetail


@logger.inject_lambda_context(log_event=False, clear_state=True)
def agent_result_written(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """A builder's agent wrote `jobs/<builder>/result.json`: if its job failed, resume that builder's
    snapshot wait, so the run fails (and its builder goes) at once.

    A job that succeeded resumes nothing: the snapshot comes next, and its wait is planned from
    the phase's expected end (a check now would only see it begin).
    """
    detail = ObjectCreated.model_validate(event).detail
    parts = detail.object.key.split("/")
    if len(parts) != 3 or parts[0] != JOBS_PREFIX or parts[2] != RESULT_FILE or not parts[1]:
        logger.debug("not an agent result", extra={"key": detail.object.key})
        return {"resumed": []}
    builder = parts[1]
    if _status(detail.bucket.name, builder) == "SUCCEEDED":
        return {"resumed": []}
    resumed = signals.resume(_runs_table(), signals.AGENT_RESULT, builder)
    logger.debug("agent result", extra={"builder": builder, "resumed": resumed})
    return {"resumed": resumed}


def _status(bucket: str, builder: str) -> str:
    """The result's status; a result that cannot be read resumes the wait, whose check finds out why."""
    try:
        result = read_agent_result(bucket, builder)
    except ImageFactoryError:
        return "UNREADABLE"
    return result.status if result else "UNREADABLE"
