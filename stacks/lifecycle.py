"""Lifecycle workflows: a state machine from each registered ASL file, and schedules from the config.

They reuse the image pipeline's task functions and resources (one function per catalog
task, the same substitutions), so a lifecycle workflow is only its ASL file, its
tasks in `functions.workflows`, and its entry in `functions.workflows`. A workflow that
starts another (`${<Workflow>StateMachineArn}`) is built after it and may start it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import TimeZone
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions.workflows import DEFAULT_WORKFLOW, WORKFLOWS, Workflow
from stacks import asl
from stacks.config import DeploymentConfig
from stacks.config_lifecycle import LifecycleJob
from stacks.house import LOG_RETENTION, HouseStateMachine
from stacks.workflow import ImagePipeline


class LifecycleWorkflow(Construct):
    """One lifecycle state machine from its ASL file, started by the schedules of its configured jobs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        workflow: Workflow,
        config: DeploymentConfig,
        pipeline: ImagePipeline,
        jobs: Sequence[LifecycleJob],
        dead_letters: sqs.IQueue,
        started: Mapping[str, sfn.StateMachine],
    ) -> None:
        super().__init__(scope, construct_id)
        settings = config.settings
        definition = asl.read_definition(workflow.definition)
        used = asl.placeholders(definition)
        substitutions = {
            **pipeline.substitutions,
            **{WORKFLOWS[name].placeholder: m.state_machine_arn for name, m in started.items()},
        }
        self.state_machine = HouseStateMachine(
            self,
            f"{workflow.placeholder.removesuffix('Arn')}",
            definition=sfn.DefinitionBody.from_string(definition),
            substitutions={key: value for key, value in substitutions.items() if key in used},
            log_execution_data=settings.log_execution_data,
            log_retention=LOG_RETENTION[settings.log_retention_days],
        )
        pipeline.grant_integrations(self.state_machine, definition, list(started.values()))
        for job in jobs:
            for index, schedule in enumerate(job.schedules):
                scheduler.Schedule(
                    self,
                    f"{job.name}-schedule-{index}",
                    schedule=scheduler.ScheduleExpression.expression(
                        schedule.expression, TimeZone.of(schedule.time_zone)
                    ),
                    description=schedule.description or f"Starts {workflow.name} job {job.name}",
                    enabled=schedule.enabled,
                    target=scheduler_targets.StepFunctionsStartExecution(
                        self.state_machine,
                        input=scheduler.ScheduleTargetInput.from_object(job.request),
                        dead_letter_queue=dead_letters,
                        retry_attempts=3,
                    ),
                )


def build_order() -> list[Workflow]:
    """The lifecycle workflows, each after every workflow it starts."""
    pending = [workflow for name, workflow in WORKFLOWS.items() if name != DEFAULT_WORKFLOW]
    ordered: list[Workflow] = []
    while pending:
        ready = [w for w in pending if not (_starts(w) - {o.name for o in ordered}) - {w.name}]
        if not ready:
            raise ValueError(f"workflows start each other in a cycle: {', '.join(w.name for w in pending)}")
        ordered += ready
        pending = [w for w in pending if w not in ready]
    return ordered


def _starts(workflow: Workflow) -> set[str]:
    used = asl.placeholders(asl.read_definition(workflow.definition))
    return {
        name for name, other in WORKFLOWS.items() if other.placeholder in used and name != DEFAULT_WORKFLOW
    }


class LifecycleWorkflows(Construct):
    """Every registered lifecycle workflow, with the schedules of its configured jobs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        pipeline: ImagePipeline,
        dead_letters: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.state_machines: dict[str, sfn.StateMachine] = {}
        for workflow in build_order():
            jobs = config.lifecycle.jobs(workflow.name) if config.lifecycle else ()
            built = LifecycleWorkflow(
                self,
                workflow.name,
                workflow=workflow,
                config=config,
                pipeline=pipeline,
                jobs=jobs,
                dead_letters=dead_letters,
                started={name: self.state_machines[name] for name in _starts(workflow)},
            )
            self.state_machines[workflow.name] = built.state_machine
