"""House defaults every function and state machine of the app carries.

`HouseFunction`: the project's runtime and architecture, X-Ray tracing, Powertools
settings, the stage (`names.ENV_STAGE`), and its own log group with a retention (no
log-retention custom resource).
`HouseStateMachine`: logging every event to CloudWatch Logs (without execution data
unless asked) and X-Ray tracing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.core import names
from stacks.bundling import ARCHITECTURE, RUNTIME

POWERTOOLS_SERVICE = "image-factory"
VENDED_LOGS_PREFIX = "/aws/vendedlogs/states/"
LOG_GROUP_NAME_LIMIT = 512  # CloudWatch Logs' limit; names allow only these characters:
_LOG_GROUP_UNSAFE = re.compile(r"[^A-Za-z0-9_./#-]")

_DAYS = logs.RetentionDays
LOG_RETENTION: dict[int, logs.RetentionDays] = {
    1: _DAYS.ONE_DAY, 3: _DAYS.THREE_DAYS, 5: _DAYS.FIVE_DAYS, 7: _DAYS.ONE_WEEK, 14: _DAYS.TWO_WEEKS,
    30: _DAYS.ONE_MONTH, 60: _DAYS.TWO_MONTHS, 90: _DAYS.THREE_MONTHS, 120: _DAYS.FOUR_MONTHS,
    150: _DAYS.FIVE_MONTHS, 180: _DAYS.SIX_MONTHS, 365: _DAYS.ONE_YEAR, 400: _DAYS.THIRTEEN_MONTHS,
    545: _DAYS.EIGHTEEN_MONTHS, 731: _DAYS.TWO_YEARS, 1096: _DAYS.THREE_YEARS, 1827: _DAYS.FIVE_YEARS,
    2192: _DAYS.SIX_YEARS, 2557: _DAYS.SEVEN_YEARS, 2922: _DAYS.EIGHT_YEARS, 3288: _DAYS.NINE_YEARS,
    3653: _DAYS.TEN_YEARS,
}  # fmt: skip


def metrics_namespace(stage: str) -> str:
    """One namespace per stage, so two stages in one account never share alarms."""
    return f"ImageFactory/{stage}"


class HouseFunction(lambda_.Function):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: str,
        code: lambda_.Code,
        role: iam.IRole,
        stage: str,
        description: str,
        environment: Mapping[str, str],
        timeout: Duration,
        memory_size: int,
        log_retention: logs.RetentionDays,
        reserved_concurrent_executions: int | None = None,
    ) -> None:
        log_group = logs.LogGroup(
            scope,
            f"{construct_id}Logs",
            retention=log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        super().__init__(
            scope,
            construct_id,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=code,
            role=role,
            description=description,
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrent_executions,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            environment={
                "POWERTOOLS_SERVICE_NAME": POWERTOOLS_SERVICE,
                "POWERTOOLS_METRICS_NAMESPACE": metrics_namespace(stage),
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **environment,
                # Last, so no caller can give a function another stage than the one it is deployed in.
                names.ENV_STAGE: stage,
            },
        )
        # A role shared by several functions gets each one's log group, nothing wider.
        log_group.grant_write(role)


def state_machine_log_group_name(scope: Construct, construct_id: str) -> str:
    """The log group of state machine `construct_id` in `scope`: named after its construct path,
    which is unique in the stack (every pipeline's Image Builder starter is a "Starter")."""
    stack = Stack.of(scope)
    path = "/".join(part for part in (scope.node.path.removeprefix(stack.node.path), construct_id) if part)
    # The vended-logs prefix keeps CloudWatch Logs resource policies small.
    name = f"{VENDED_LOGS_PREFIX}{stack.stack_name}/" + _LOG_GROUP_UNSAFE.sub("-", path.strip("/"))
    if len(name) <= LOG_GROUP_NAME_LIMIT:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{name[: LOG_GROUP_NAME_LIMIT - len(digest) - 1]}-{digest}"


class HouseStateMachine(sfn.StateMachine):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        definition: sfn.DefinitionBody,
        log_execution_data: bool,
        log_retention: logs.RetentionDays,
        substitutions: Mapping[str, str] | None = None,
        state_machine_type: sfn.StateMachineType = sfn.StateMachineType.STANDARD,
    ) -> None:
        log_group = logs.LogGroup(
            scope,
            f"{construct_id}Logs",
            log_group_name=state_machine_log_group_name(scope, construct_id),
            retention=log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        super().__init__(
            scope,
            construct_id,
            definition_body=definition,
            definition_substitutions=dict(substitutions) if substitutions else None,
            state_machine_type=state_machine_type,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=log_group,
                level=sfn.LogLevel.ALL,
                include_execution_data=log_execution_data,
            ),
        )
        self.logs = log_group
