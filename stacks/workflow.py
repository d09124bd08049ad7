"""The image pipeline: one function per catalog task, and the state machine from its ASL file."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Arn, ArnFormat, Aws, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from agent_contract import documents as agent_documents
from functions import workflows
from functions.core import names
from functions.workflows import DEFAULT_WORKFLOW, WORKFLOWS
from stacks import asl
from stacks.config import DeploymentConfig
from stacks.distribution_grants import (
    ami_copy_statements,
    ami_distribution_statements,
    copy_statements,
    distribution_statements,
    ec2_arn_in,
)
from stacks.house import LOG_RETENTION, HouseFunction, HouseStateMachine
from stacks.nag import X_RAY_AND_LOG_DELIVERY, acknowledge, spelling
from stacks.permissions import (
    AWS_OWNED_IMAGE,
    SHARED_TASK_GRANTS,
    WORKFLOW_TASK_GRANTS,
    TaskGrants,
    appstream_arn,
    appstream_statements,
    exported_ami_arn,
    exported_ami_statements,
    fleet_arn_in,
    fleet_statements,
    image_arn_in,
    pass_role_statement,
    shared_image_arns,
    snapshot_arn,
)
from stacks.service_roles import ServiceRoles
from stacks.storage import JobsBucket, Notifications, RunEventBus, RunsTable

# The role of the task functions several workflows' definitions name.
SHARED_TASKS = "shared"


class UnsupportedIntegration(ValueError):
    """The ASL calls a service the deployment grants nothing for; the message says which."""


def task_owners() -> dict[str, str]:
    """Task name -> the workflow whose definition names it, or SHARED_TASKS when several do."""
    owners: dict[str, set[str]] = {}
    for name, workflow in WORKFLOWS.items():
        used = asl.placeholders(asl.read_definition(workflow.definition))
        for task in workflows.LAMBDA_TASKS:
            if task.placeholder in used:
                owners.setdefault(task.name, set()).add(name)
    unused = [task.name for task in workflows.LAMBDA_TASKS if task.name not in owners]
    if unused:
        raise UnsupportedIntegration(f"no workflow's definition names task(s) {', '.join(unused)}")
    if missing := {w for names_ in owners.values() for w in names_} - WORKFLOW_TASK_GRANTS.keys():
        raise UnsupportedIntegration(f"say in stacks/permissions.py what the tasks of {sorted(missing)} call")
    return {task: next(iter(names_)) if len(names_) == 1 else SHARED_TASKS for task, names_ in owners.items()}


def _role_id(workflow: str) -> str:
    """The construct id of a workflow's task role; the image pipeline's keeps its first id."""
    if workflow == DEFAULT_WORKFLOW:
        return "TaskRole"
    if workflow == SHARED_TASKS:
        return "SharedTaskRole"
    return "".join(part.capitalize() for part in workflow.split("-")) + "TaskRole"


class ImagePipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        config: DeploymentConfig,
        roles: ServiceRoles,
        code: lambda_.Code,
        table: RunsTable,
        jobs: JobsBucket,
        notifications: Notifications,
        bus: RunEventBus,
    ) -> None:
        super().__init__(scope, construct_id)
        settings = config.settings
        retention = LOG_RETENTION[settings.log_retention_days]
        self._table, self._jobs, self._notifications, self._bus = table, jobs, notifications, bus
        self._config, self._roles, self._stage = config, roles, stage

        resource_values = {
            names.ENV_RUNS_TABLE: table.table_name,
            names.ENV_JOBS_BUCKET: jobs.bucket.bucket_name,
            names.ENV_NOTIFICATION_TOPIC: notifications.topic.topic_arn,
            names.ENV_EVENT_BUS: bus.event_bus_name,
        }
        unknown = set(workflows.RESOURCE_PLACEHOLDERS.values()) - resource_values.keys()
        if unknown:
            raise UnsupportedIntegration(
                f"catalog names resource variables the stack does not provide: {unknown}"
            )

        # One role per workflow, holding only what that workflow's tasks call; the tasks several
        # workflows share (the lifecycle workflows' run records) have a role of their own.
        self.task_roles: dict[str, iam.Role] = {}
        for workflow, grants in (*WORKFLOW_TASK_GRANTS.items(), (SHARED_TASKS, SHARED_TASK_GRANTS)):
            role = iam.Role(
                self,
                _role_id(workflow),
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=(
                    "The task functions several workflows share: their run records"
                    if workflow == SHARED_TASKS
                    else f"The task functions of workflow {workflow}"
                ),
            )
            self.grant_task_permissions(role, grants)
            self.task_roles[workflow] = role
        self.task_role = self.task_roles[DEFAULT_WORKFLOW]
        self._jobs.restrict_to(builder_role_arn=roles.builder_role.role_arn, workflow_role=self.task_role)
        owners = task_owners()

        environment = {
            **resource_values,
            names.ENV_BUILDER_SLOT_LIMIT: str(settings.builder_slot_limit),
            # The preflight refuses a request naming any other role before the run creates anything.
            names.ENV_PASSABLE_ROLES: ",".join(roles.passable_role_arns()),
            # The preflight refuses a region the task role may not copy to (set even when empty).
            names.ENV_DISTRIBUTION_REGIONS: ",".join(settings.distribution_regions),
        }
        if settings.shared_image_accounts:
            # The preflight refuses an image of any other account, which CreateImageBuilder may not name.
            environment[names.ENV_SHARED_IMAGE_ACCOUNTS] = ",".join(settings.shared_image_accounts)
        self.task_environment = environment
        self.functions: dict[str, HouseFunction] = {}
        for task in workflows.LAMBDA_TASKS:
            self.functions[task.name] = HouseFunction(
                self,
                f"{task.name}Function",
                handler=task.handler,
                code=code,
                role=self.task_roles[owners[task.name]],
                stage=stage,
                description=f"Image pipeline task {task.name}",
                environment=environment,
                timeout=Duration.seconds(task.timeout_seconds),
                memory_size=task.memory_mb,
                log_retention=retention,
                # Bounds the AppStream calls a burst of runs can make at once.
                reserved_concurrent_executions=settings.task_concurrency,
            )

        definition = asl.read_definition()
        substitutions = {
            task.placeholder: self.functions[task.name].function_arn for task in workflows.LAMBDA_TASKS
        }
        substitutions |= {
            placeholder: resource_values[variable]
            for placeholder, variable in workflows.RESOURCE_PLACEHOLDERS.items()
        }
        substitutions |= {
            placeholder: workflows.integration_arn(integration, Aws.PARTITION)
            for placeholder, integration in workflows.INTEGRATION_PLACEHOLDERS.items()
        }
        # Every function and resource placeholder: the lifecycle workflows' ASL files use them too.
        self.substitutions = dict(substitutions)
        self.state_machine = HouseStateMachine(
            self,
            "StateMachine",
            # Inline in the template, where cfn-lint reads it; the file deployed is the file tested.
            definition=sfn.DefinitionBody.from_string(definition),
            substitutions={
                key: value for key, value in substitutions.items() if key in asl.placeholders(definition)
            },
            log_execution_data=settings.log_execution_data,
            log_retention=retention,
        )
        self.grant_integrations(self.state_machine, definition)

    def _fleet_statements(self) -> list[iam.PolicyStatement]:
        config = self._config
        return fleet_statements(
            self, config.rollout_fleets(), self._stage, config.settings.distribution_regions
        )

    def grant_task_permissions(self, role: iam.Role, grants: TaskGrants) -> None:
        """What tasks need: `grants` in AppStream and EC2, the runs table, and per `grants` passing
        the configured roles, the jobs, notifying and the run events."""
        statements = [
            *appstream_statements(self, self._stage, grants, self._config.settings.shared_image_accounts),
            *(self._fleet_statements() if grants.fleets else ()),
            *exported_ami_statements(self, grants.ec2),
            *(
                distribution_statements(self, self._stage, self._config.settings.distribution_regions)
                if grants.distributes
                else ()
            ),
            *(
                [
                    *copy_statements(self, self._stage, self._config.settings.distribution_regions),
                    *ami_copy_statements(self, self._stage, self._config.settings.distribution_regions),
                ]
                if grants.deletes_copies
                else ()
            ),
            *(
                ami_distribution_statements(self, self._stage, self._config.settings.distribution_regions)
                if grants.distributes_amis
                else ()
            ),
        ]
        passed = {
            "import": self._roles.import_role,
            "builder": self._roles.builder_role,
            "export": self._roles.export_role,
        }
        if grants.passes:
            arns = dict.fromkeys(passed[kind].role_arn for kind in grants.passes)
            statements.append(pass_role_statement(tuple(arns)))
        statements += [
            iam.PolicyStatement(actions=list(grants.table_items), resources=[self._table.table_arn]),
            iam.PolicyStatement(actions=["dynamodb:Query"], resources=self._table_arns()),
        ]
        if grants.jobs:
            statements += [
                # Writing a builder's job and reading it back on a replay; the lifecycle rule removes it.
                iam.PolicyStatement(
                    actions=["s3:PutObject", "s3:GetObject"], resources=[self._jobs.job_documents_arn()]
                ),
                # Reading the agent's result; writing it (and its status) is the agent's alone.
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[self._jobs.bucket.arn_for_objects(agent_documents.result_key("*"))],
                ),
                # Lets a result not written yet read as NoSuchKey rather than AccessDenied.
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[self._jobs.bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{agent_documents.JOBS_PREFIX}/*"]}},
                ),
            ]
        for statement in statements:
            role.add_to_policy(statement)
        if grants.publish:
            self._grant_publish(role)
        if grants.run_events:
            role.add_to_policy(
                iam.PolicyStatement(actions=["events:PutEvents"], resources=[self._bus.event_bus_arn])
            )
        self._acknowledge_task_wildcards(role, statements)

    def _acknowledge_task_wildcards(self, role: iam.Role, statements: Sequence[iam.PolicyStatement]) -> None:
        """Acknowledge each wildcard resource `statements` name, and `*` (tracing has it too)."""
        reasons = {
            appstream_arn(self, "image-builder"): (
                "Image builders are named per run; the image-builder resource type is AppStream's finest "
                "scope, and stopping and deleting hold only for builders with the image-factory:run-id tag "
                "and this stage's image-factory:stage tag, which every run puts on what it creates."
            ),
            appstream_arn(self, "image"): (
                "Image names come from each run's request ({pipeline}-{date}-{run}); the image resource "
                "type of this account and region is AppStream's finest scope. DeleteImage holds only for "
                "images tagged image-factory:pipeline and with this stage; updates and rollouts may start "
                "from the customer's images."
            ),
            appstream_arn(self, "fleet"): (
                "Fleets are the customer's: a rollout may stop, update and start only those the rollout "
                "jobs name by ARN, and any other only while it carries the image-factory:rollout tag "
                "naming this stage (a StringEquals condition on the resource tag)."
            ),
            **{
                image_arn_in(self, region): (
                    f"Copies of the runs' images in {region}, a region the configuration names "
                    "(settings.distribution_regions), named as the image; sharing and deleting them hold "
                    "only for copies tagged image-factory:pipeline and with this stage, the tags the run "
                    "gives each copy (CopyImage copies none). UpdateFleet names the copy it points a fleet "
                    "there at, and leaves it unchanged."
                )
                for region in self._config.settings.distribution_regions
            },
            **{
                fleet_arn_in(self, region): (
                    f"Fleets of {region}, where runs copy their images: a rollout may stop, update and start "
                    "only those the rollout jobs name by ARN, and any other only while it carries the "
                    "image-factory:rollout tag naming this stage."
                )
                for region in self._config.settings.distribution_regions
            },
            appstream_arn(self, AWS_OWNED_IMAGE): (
                "CreateImageBuilder may start from an AWS-owned base image named in the request; those "
                "ARNs have no account, and only CreateImageBuilder is granted on them."
            ),
            **{
                arn: (
                    "CreateImageBuilder may start from an image another account shares with this one, named "
                    "by ARN in the request; the account is one of settings.shared_image_accounts, and only "
                    "CreateImageBuilder is granted on its images."
                )
                for arn in shared_image_arns(self, self._config.settings.shared_image_accounts)
            },
            exported_ami_arn(self): (
                "Retention deregisters old exported AMIs; the grant holds only for AMIs tagged "
                "image-factory:pipeline (a Null condition on the resource tag). Runs copy and share "
                "their exported AMI, which carries the run's tags (the export's TagSpecifications): "
                "only AMIs tagged image-factory:pipeline and with this stage."
            ),
            **{
                ec2_arn_in(self, region, "image"): (
                    f"Copies of the runs' exported AMIs in {region}, a region the configuration names "
                    "(settings.distribution_regions), named per run; CopyImage makes them (AMI ids are "
                    "known only once made), tagging holds only as part of CopyImage (ec2:CreateAction), "
                    "sharing and deregistering (a failed distribution's cleanup, retention) only for AMIs "
                    "tagged image-factory:pipeline and with this stage, the tags CopyImage gives each copy."
                )
                for region in self._config.settings.distribution_regions
            },
            **{
                ec2_arn_in(self, region, "snapshot"): (
                    f"The snapshots of the exported AMIs' copies in {region}, made by CopyImage; "
                    "deleting holds only for snapshots tagged image-factory:pipeline and with this stage "
                    "(CopyImage tags them as the copy), and snapshot ARNs have no account field."
                )
                for region in self._config.settings.distribution_regions
            },
            snapshot_arn(self): (
                "Retention deletes the EBS snapshots of the exported AMIs it deregisters; their ids are "
                "known only from the AMI, and snapshot ARNs have no account field (DeleteSnapshot acts "
                "only on snapshots this account owns)."
            ),
            **{
                self._jobs.bucket.arn_for_objects(document): (
                    "One job and one result document per image builder, named per run; the grant names "
                    "the document file, never the whole prefix."
                )
                for document in (agent_documents.job_key("*"), agent_documents.result_key("*"))
            },
        }
        spelled = {spelling(self, arn): reason for arn, reason in reasons.items()}
        unscoped: list[str] = []
        for statement in statements:
            for resource in statement.resources:
                if resource == "*":
                    unscoped += [a for a in statement.actions if a not in unscoped]
                    continue
                name = spelling(self, resource)
                if "*" not in name:
                    continue
                if name not in spelled:
                    raise UnsupportedIntegration(f"say in stacks/workflow.py why {name} needs a wildcard")
                acknowledge(role, f"AwsSolutions-IAM5[Resource::{name}]", spelled[name])
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            (
                f"{', '.join(unscoped)} support no resource-level permissions (Service Authorization "
                "Reference; tests/stacks checks the list), nor do the X-Ray actions of tracing."
                if unscoped
                else X_RAY_AND_LOG_DELIVERY
            ),
        )

    def _wildcard(self, arn: str) -> str:
        return f"AwsSolutions-IAM5[Resource::{spelling(self, arn)}]"

    def _table_arns(self) -> list[str]:
        table_arn = self._table.table_arn
        return [table_arn, *(f"{table_arn}/index/{index.name}" for index in names.RUNS_TABLE_INDEXES)]

    def _grant_publish(self, grantee: iam.IGrantable) -> None:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[self._notifications.topic.topic_arn])
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[self._notifications.key.key_arn]
            )
        )

    def grant_integrations(
        self, machine: sfn.StateMachine, definition: str, started: Sequence[sfn.IStateMachine] = ()
    ) -> None:
        """Grant what the Task states of ASL `definition` call, and fail the synth on anything unexpected.

        The state machine may invoke only the functions its definition names. `started`: the
        state machines the ASL starts (`states:startExecution.sync:2`).
        """
        used = asl.placeholders(definition)
        for integration in sorted(asl.service_integrations(definition)):
            service = integration.split(":")[0]
            if integration == "lambda:invoke":
                arns = [
                    self.functions[task.name].function_arn
                    for task in workflows.LAMBDA_TASKS
                    if task.placeholder in used
                ]
                machine.add_to_role_policy(
                    iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=arns)
                )
            elif integration == "sns:publish":
                self._grant_publish(machine)
            elif integration == "events:putEvents":
                machine.add_to_role_policy(
                    iam.PolicyStatement(actions=["events:PutEvents"], resources=[self._bus.event_bus_arn])
                )
            elif service == "dynamodb":
                action = integration.split(":")[1]
                machine.add_to_role_policy(
                    iam.PolicyStatement(
                        actions=[f"dynamodb:{action[0].upper()}{action[1:]}"], resources=self._table_arns()
                    )
                )
            elif integration == "states:startExecution" and started:
                self._grant_start(machine, started)
            else:
                raise UnsupportedIntegration(
                    f"{asl.IMAGE_PIPELINE_ASL.name} uses {integration}; grant it in stacks/workflow.py first"
                )
        acknowledge(
            machine,
            "AwsSolutions-IAM5[Resource::*]",
            X_RAY_AND_LOG_DELIVERY,
        )

    def _grant_start(self, machine: sfn.StateMachine, started: Sequence[sfn.IStateMachine]) -> None:
        """Start, follow and stop executions of other workflows; `.sync` follows them with a managed rule."""
        for other in started:
            other.grant_start_execution(machine)
            other.grant_execution(machine, "states:DescribeExecution", "states:StopExecution")
        rule = Stack.of(self).format_arn(
            service="events",
            resource="rule",
            resource_name="StepFunctionsGetEventsForStepFunctionsExecutionRule",
        )
        machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"], resources=[rule]
            )
        )
        for other in started:
            # The executions `grant_execution` names: the state machine's name is its ARN's last field.
            name = Arn.split(other.state_machine_arn, ArnFormat.COLON_RESOURCE_NAME).resource_name
            executions = Stack.of(self).format_arn(
                service="states",
                resource="execution",
                resource_name=f"{name}:*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            acknowledge(
                machine,
                self._wildcard(executions),
                "Executions of a started workflow are named per run; DescribeExecution and StopExecution are "
                "granted on that one state machine's executions only.",
            )
