"""The signals AWS sends that resume a run's waits: one rule per signal, invoking the function that
sends the waiting task tokens back (functions/workflows/image_pipeline/signals.py, functions/core/signals.py).

The function may read and remove the tokens in the runs table and send tokens back, and nothing
else. SendTaskSuccess cannot be limited to this stage's state machines (it supports no resource-level
permissions); the tokens it can send are the ones this stage's waits left in this stage's table.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from agent_contract.documents import result_key
from functions.core import names
from stacks.config import DeploymentConfig
from stacks.house import LOG_RETENTION, HouseFunction
from stacks.nag import X_RAY_AND_LOG_DELIVERY, acknowledge, spelling
from stacks.signal_rules import signal_rules
from stacks.storage import RunsTable


class Signals(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        config: DeploymentConfig,
        code: lambda_.Code,
        table: RunsTable,
        jobs_bucket: s3.IBucket,
        dead_letters: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Resumes the runs' waits on the signals AWS sends",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:Query", "dynamodb:DeleteItem"],
                resources=[table.table_arn],
            )
        )
        # An agent's result says whether its job failed (only a failure resumes the snapshot's wait).
        results = jobs_bucket.arn_for_objects(result_key("*"))
        role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[results]))
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{spelling(self, results)}]",
            "Reads the agents' results only (jobs/<builder>/result.json): a builder's name is known only"
            " when its result is written.",
        )
        # SendTaskSuccess supports no resource-level permissions (Service Authorization Reference):
        # the task token is the capability, and only this stage's waits leave theirs in its table.
        role.add_to_policy(iam.PolicyStatement(actions=["states:SendTaskSuccess"], resources=["*"]))
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "states:SendTaskSuccess supports no resource-level permissions (Service Authorization "
            f"Reference): a token is redeemable only by whoever holds it. {X_RAY_AND_LOG_DELIVERY}",
        )
        self.functions: list[HouseFunction] = []
        for rule in signal_rules(jobs_bucket.bucket_name):
            function = HouseFunction(
                self,
                f"{rule.function.name}Function",
                handler=rule.function.handler,
                code=code,
                role=role,
                stage=stage,
                description=f"Resumes the waits on {rule.name}",
                environment={names.ENV_RUNS_TABLE: table.table_name},
                timeout=Duration.seconds(rule.function.timeout_seconds),
                memory_size=rule.function.memory_mb,
                log_retention=LOG_RETENTION[config.settings.log_retention_days],
            )
            events.Rule(
                self,
                rule.name,
                description=f"{rule.name}: resume the waits on it (best effort; the waits still poll)",
                event_pattern=events.EventPattern(
                    source=rule.pattern["source"],
                    detail_type=rule.pattern["detail-type"],
                    detail=rule.pattern.get("detail"),
                ),
                targets=[
                    event_targets.LambdaFunction(
                        function,
                        dead_letter_queue=dead_letters,
                        retry_attempts=2,
                        max_event_age=Duration.minutes(15),
                    )
                ],
            )
            self.functions.append(function)
