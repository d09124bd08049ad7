"""The workflows' executions through the Step Functions API: start, describe, find, stop.

The client is made lazily and cached like `functions.core.clients` makes its clients, so tests
and the local engine redirect it (`reset()` after re-routing).
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from functions.core.errors import classify_dependency, error_code

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

    from functions.api.settings import ApiSettings

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=10)


class ExecutionNameTaken(Exception):
    """An execution of this name exists already (names are unique per state machine for 90 days)."""


@cache
def _client() -> SFNClient:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return boto3.session.Session().client("stepfunctions", region_name=region, config=_CONFIG)


def reset() -> None:
    _client.cache_clear()


def start(state_machine_arn: str, name: str, document: dict[str, Any]) -> str:
    try:
        response = _client().start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(document)
        )
    except ClientError as error:
        if error_code(error) == "ExecutionAlreadyExists":
            raise ExecutionNameTaken(name) from error
        raise classify_dependency(error, "StartExecution") from error
    except BotoCoreError as error:
        raise classify_dependency(error, "StartExecution") from error
    return response["executionArn"]


def describe(execution_arn: str) -> dict[str, Any] | None:
    """The execution, or None if there is none of that ARN."""
    try:
        return dict(_client().describe_execution(executionArn=execution_arn))
    except ClientError as error:
        if error_code(error) in {"ExecutionDoesNotExist", "InvalidArn"}:
            return None
        raise classify_dependency(error, "DescribeExecution") from error
    except BotoCoreError as error:
        raise classify_dependency(error, "DescribeExecution") from error


def find(settings: ApiSettings, run_id: str) -> tuple[str, dict[str, Any]] | None:
    """(workflow, execution) of a run that has not recorded itself yet: the API names every
    workflow's executions by run id, so the run is the execution of that name in one of them."""
    for workflow in settings.state_machines:
        execution = describe(settings.execution_arn(run_id, workflow))
        if execution is not None:
            return workflow, execution
    return None


def stop(execution_arn: str, cause: str) -> None:
    """Stop a running execution; one that has ended already (or is gone) is left as it is."""
    try:
        _client().stop_execution(executionArn=execution_arn, error="RunCancelled", cause=cause)
    except ClientError as error:
        if error_code(error) not in {"ExecutionDoesNotExist", "ValidationException"}:
            raise classify_dependency(error, "StopExecution") from error
    except BotoCoreError as error:
        raise classify_dependency(error, "StopExecution") from error
