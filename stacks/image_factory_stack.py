"""One stage of AppStream Image Factory: everything a deployment needs, in one stack."""

from __future__ import annotations

from aws_cdk import Annotations, CfnOutput, Environment, Stack, Tags, Token
from constructs import Construct

from functions.core import names
from functions.workflows import DEFAULT_WORKFLOW, get_workflow
from stacks.api import RunApi, api_handler_exists
from stacks.builder_agent_policy import BuilderAgentPolicy, pinned_script_arns
from stacks.bundling import functions_code
from stacks.cancel_cleanup import CancelCleanups
from stacks.config import ConfigError, DeploymentConfig
from stacks.lifecycle import LifecycleWorkflows
from stacks.monitoring import Monitoring
from stacks.rollout_chain import RolloutChains
from stacks.service_roles import ServiceRoles
from stacks.signals import Signals
from stacks.storage import JobsBucket, Notifications, RunEventBus, RunsTable
from stacks.triggers import Triggers
from stacks.workflow import ImagePipeline

STAGE_TAG = "image-factory:stage"


class ImageFactoryStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        config: DeploymentConfig,
        env: Environment | None = None,
        include_api: bool | None = None,
    ) -> None:
        """`include_api`: deploy the run API; by default, once its handler module exists."""
        super().__init__(
            scope,
            construct_id,
            env=env,
            description=f"AppStream Image Factory ({stage}): AMI to WorkSpaces Applications image pipelines",
            termination_protection=config.settings.termination_protection,
        )
        Tags.of(self).add(STAGE_TAG, stage)
        self._check_placement(config)

        table = RunsTable(self, "RunsTable", retain=config.settings.retain_data)
        jobs = JobsBucket(self, "Jobs", config=config)
        notifications = Notifications(self, "Notifications", emails=config.settings.notification_emails)
        bus = RunEventBus(self, "RunEvents")
        code = functions_code()
        roles = ServiceRoles(self, "ServiceRoles", stage=stage, config=config)
        workflow = ImagePipeline(
            self,
            "ImagePipeline",
            stage=stage,
            config=config,
            roles=roles,
            code=code,
            table=table,
            jobs=jobs,
            notifications=notifications,
            bus=bus,
        )
        BuilderAgentPolicy(
            self,
            "BuilderAgentPolicy",
            jobs_bucket=jobs.bucket,
            builder_role=roles.builder_role,
            script_object_arns=pinned_script_arns(self, config),
        )
        triggers = Triggers(self, "Triggers", config=config, pipeline=workflow.state_machine, bus=bus)
        lifecycle = LifecycleWorkflows(
            self, "Lifecycle", config=config, pipeline=workflow, dead_letters=triggers.dead_letters
        )
        RolloutChains(
            self,
            "RolloutChains",
            config=config,
            rollout=lifecycle.state_machines["fleet-rollout"],
            bus=bus,
            dead_letters=triggers.dead_letters,
        )
        CancelCleanups(
            self,
            "CancelCleanups",
            machines={DEFAULT_WORKFLOW: workflow.state_machine, **lifecycle.state_machines},
            dead_letters=triggers.dead_letters,
        )
        signals = Signals(
            self,
            "Signals",
            stage=stage,
            config=config,
            code=code,
            table=table,
            jobs_bucket=jobs.bucket,
            dead_letters=triggers.dead_letters,
        )
        functions = [*workflow.functions.values(), *signals.functions]

        self.api: RunApi | None = None
        if include_api if include_api is not None else api_handler_exists():
            self.api = RunApi(
                self,
                "RunApi",
                stage=stage,
                config=config,
                code=code,
                workflow=workflow,
                lifecycle=lifecycle.state_machines,
            )
            functions.append(self.api.handler)
            CfnOutput(
                self,
                names.OUTPUT_RUN_API_URL,
                value=self.api.rest_api.url,
                description="Run API (SigV4, IAM)",
            )
        else:
            Annotations.of(self).add_info(
                "Run API not deployed: functions/api/handler.py does not exist yet (stacks/api.py is ready)."
            )

        monitoring = Monitoring(
            self,
            "Monitoring",
            stage=stage,
            topic=notifications.topic,
            pipeline=workflow.state_machine,
            starters=triggers.starters,
            functions=functions,
            dead_letters=triggers.dead_letters,
            workflows=lifecycle.state_machines,
        )

        outputs = {
            "StateMachineArn": (workflow.state_machine.state_machine_arn, "Image pipeline (StartExecution)"),
            "RunsTableName": (table.table_name, "Runs, steps and builder slots"),
            "JobsBucketName": (jobs.bucket.bucket_name, "Builder agent jobs and results"),
            "NotificationTopicArn": (notifications.topic.topic_arn, "Run notifications and alarms"),
            "EventBusName": (bus.event_bus_name, "Run state changes; Start Image Factory Run events"),
            "DeadLetterQueueUrl": (triggers.dead_letters.queue_url, "Triggers that could not start a run"),
            "DashboardName": (monitoring.dashboard.dashboard_name, "CloudWatch dashboard"),
            "ImportRoleArn": (roles.import_role.role_arn, "AppStream import role (source.import_role_arn)"),
            "BuilderRoleArn": (roles.builder_role.role_arn, "Image builder role (builder.iam_role_arn)"),
            "ExportRoleArn": (roles.export_role.role_arn, "AppStream export role (export.role_arn)"),
        }
        for name, machine in lifecycle.state_machines.items():
            outputs[get_workflow(name).placeholder] = (machine.state_machine_arn, f"Workflow {name}")
        for output_id, (value, description) in outputs.items():
            CfnOutput(self, output_id, value=value, description=description)

    def _check_placement(self, config: DeploymentConfig) -> None:
        """Image Builder events never cross regions or accounts: a trigger elsewhere would never fire."""
        for index, pipeline in enumerate(config.pipelines):
            if pipeline.image_builder is None:
                continue
            _, _, _, region, account, _ = pipeline.image_builder.image_pipeline_arn.split(":", 5)
            for what, expected, actual in (
                ("region", region, self.region),
                ("account", account, self.account),
            ):
                if not Token.is_unresolved(actual) and expected != actual:
                    raise ConfigError(
                        f"pipelines[{index}].image_builder.image_pipeline_arn: the image pipeline is in "
                        f"{what} {expected}, this stack deploys to {actual}; its events would never arrive"
                    )
        accounts = {arn.split(":")[4] for arn in config.roles.all()}
        if accounts and not Token.is_unresolved(self.account) and accounts != {self.account}:
            Annotations.of(self).add_warning_v2(
                "image-factory:roles-account",
                f"roles.* are in account(s) {', '.join(sorted(accounts))}; "
                f"this stack deploys to {self.account}",
            )
