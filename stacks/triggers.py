"""What starts a run, besides a person calling StartExecution or the run API.

* EventBridge Scheduler schedules start a configured pipeline with its stored request.
* EC2 Image Builder's "image AVAILABLE" event starts a configured pipeline with the new
  AMI. The event carries neither the AMI id nor the image pipeline, so a small Express
  state machine asks Image Builder (GetImage), ignores images of other pipelines or of
  none, takes the AMI distributed to this account and region (none: nothing starts),
  and starts the run; a repeated event finds its run already started. It is deployment
  glue, built from typed CDK states: unlike the image pipeline, it has nothing to run on
  the local engine.
* A "Start Image Factory Run" event on the run event bus, whose detail is a pipeline
  request, starts a run from any other system allowed to put events on the bus.

Every trigger that cannot start a run leaves the attempt in one dead-letter queue.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from aws_cdk import Duration, Stack, TimeZone
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from functions.core import names
from stacks.config import DeploymentConfig, Pipeline
from stacks.house import LOG_RETENTION, HouseStateMachine
from stacks.nag import X_RAY_AND_LOG_DELIVERY, acknowledge, spelling

START_RUN_DETAIL_TYPE = "Start Image Factory Run"
IMAGE_BUILDER_SOURCE = "aws.imagebuilder"
IMAGE_BUILDER_STATE_CHANGE = "EC2 Image Builder Image State Change"
EXECUTION_ALREADY_EXISTS = "StepFunctions.ExecutionAlreadyExistsException"
# The starter's end states name why it started nothing; Express logs record the state names.
NOT_OURS = "Not from the configured pipeline: nothing to do"
NO_AMI_HERE = "No AMI in this account and region: nothing to do"


def execution_input(request: dict[str, Any]) -> dict[str, Any]:
    """A run's StartExecution input is the pipeline request itself."""
    return request


class Triggers(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        pipeline: sfn.IStateMachine,
        bus: events.IEventBus,
    ) -> None:
        super().__init__(scope, construct_id)
        self._pipeline = pipeline
        self._config = config
        self.starters: list[sfn.StateMachine] = []  # one per pipeline with an Image Builder trigger
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.dead_letters,
            "AwsSolutions-SQS3",
            "This queue is the dead-letter queue of the schedules and event rules; it has none itself.",
        )
        for configured in config.pipelines:
            for index in range(len(configured.schedules)):
                self._add_schedule(configured, index)
            if configured.image_builder is not None:
                self._add_image_builder_trigger(configured)
        self.start_run_rule = events.Rule(
            self,
            "StartRunEvents",
            event_bus=bus,
            description="Starts a run whose pipeline request is the event's detail",
            event_pattern=events.EventPattern(
                detail_type=[START_RUN_DETAIL_TYPE],
                # Run state changes the factory publishes itself never start runs.
                source=events.Match.anything_but(names.EVENT_SOURCE),
            ),
            targets=[
                event_targets.SfnStateMachine(
                    pipeline,
                    input=events.RuleTargetInput.from_event_path("$.detail"),
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=3,
                )
            ],
        )

    def _add_schedule(self, configured: Pipeline, index: int) -> None:
        schedule = configured.schedules[index]
        scheduler.Schedule(
            self,
            f"{configured.name}-schedule-{index}",
            schedule=scheduler.ScheduleExpression.expression(
                schedule.expression, TimeZone.of(schedule.time_zone)
            ),
            description=schedule.description or f"Starts pipeline {configured.name}",
            enabled=schedule.enabled,
            target=scheduler_targets.StepFunctionsStartExecution(
                self._pipeline,
                input=scheduler.ScheduleTargetInput.from_object(execution_input(configured.request)),
                dead_letter_queue=self.dead_letters,
                retry_attempts=3,
            ),
        )

    def _add_image_builder_trigger(self, configured: Pipeline) -> None:
        assert configured.image_builder is not None
        scope = Construct(self, f"{configured.name}-image-builder")
        stack = Stack.of(self)
        pipeline_arn = configured.image_builder.image_pipeline_arn

        images = stack.format_arn(service="imagebuilder", resource="image", resource_name="*")
        get_image = tasks.CallAwsService.jsonata(
            scope,
            "Describe the new image",
            service="imagebuilder",
            action="getImage",
            iam_resources=[images],
            parameters={"ImageBuildVersionArn": "{% $states.input.resources[0] %}"},
            assign={"imageArn": "{% $states.input.resources[0] %}"},
            outputs={
                # An image built outside any pipeline has no SourcePipelineArn; a field that evaluates
                # to undefined fails the state, so the comparison (false for undefined) is the output.
                "fromOurPipeline": "{% $states.result.Image.SourcePipelineArn = '" + pipeline_arn + "' %}",
                # A distribution lists AMIs of other accounts and regions too: only this account's
                # AMI in this region is one the run can import.
                "amiIds": "{% [$states.result.Image.OutputResources.Amis[Region = '"
                + stack.region
                + "' and AccountId = '"
                + stack.account
                + "'].Image] %}",
            },
        )
        request = copy.deepcopy(execution_input(configured.request))
        request["source"]["ami_id"] = "{% $states.input.amiIds[0] %}"
        start_run = tasks.StepFunctionsStartExecution.jsonata(
            scope,
            "Start the run",
            state_machine=self._pipeline,
            input=sfn.TaskInput.from_object(request),
            # Same image, same name: a duplicate event finds the run already started.
            name="{% '"
            + _execution_prefix(configured.name)
            + "' & $substring($hash($imageArn, 'SHA-256'), 0, 32) %}",
        )
        # EventBridge delivers at least once: a repeat that arrives after the run has closed is
        # refused by name, and that run is the one this event asked for.
        start_run.add_catch(
            sfn.Succeed.jsonata(scope, "Already started for this image"),
            errors=[EXECUTION_ALREADY_EXISTS],
        )
        has_ami = sfn.Condition.jsonata("{% $count($states.input.amiIds) > 0 %}")
        definition = get_image.next(
            sfn.Choice.jsonata(scope, "From the configured pipeline?")
            .when(
                sfn.Condition.jsonata("{% $states.input.fromOurPipeline %}"),
                sfn.Choice.jsonata(scope, "An AMI in this account and region?")
                .when(has_ami, start_run)
                .otherwise(sfn.Succeed.jsonata(scope, NO_AMI_HERE)),
            )
            .otherwise(sfn.Succeed.jsonata(scope, NOT_OURS))
        )
        adapter = HouseStateMachine(
            scope,
            "Starter",
            definition=sfn.DefinitionBody.from_chainable(definition),
            state_machine_type=sfn.StateMachineType.EXPRESS,
            log_execution_data=self._config.settings.log_execution_data,
            log_retention=LOG_RETENTION[self._config.settings.log_retention_days],
        )
        self.starters.append(adapter)
        acknowledge(
            adapter,
            f"AwsSolutions-IAM5[Resource::{spelling(adapter, images)}]",
            "Every build has a new image ARN (name/version/build); the starter only reads images (GetImage) "
            "and starts a run only for those of the configured image pipeline.",
        )
        acknowledge(
            adapter,
            "AwsSolutions-IAM5[Resource::*]",
            X_RAY_AND_LOG_DELIVERY,
        )
        events.Rule(
            scope,
            "ImageAvailable",
            description=f"Image Builder images; {configured.name} runs for those of {pipeline_arn}",
            event_pattern=events.EventPattern(
                source=[IMAGE_BUILDER_SOURCE],
                detail_type=[IMAGE_BUILDER_STATE_CHANGE],
                account=[stack.account],
                detail={"state": {"status": ["AVAILABLE"]}},
            ),
            targets=[
                event_targets.SfnStateMachine(adapter, dead_letter_queue=self.dead_letters, retry_attempts=3)
            ],
        )


def _execution_prefix(pipeline_name: str) -> str:
    """At most 40 + 4 characters, so the 32-character image hash keeps names within 80."""
    if len(pipeline_name) > 40:  # pipeline names are at most 40 already; keep the bound local anyway
        pipeline_name = hashlib.sha256(pipeline_name.encode()).hexdigest()[:40]
    return f"{pipeline_name}-ib-"
