"""The run API: an IAM-authorised (SigV4) REST API in front of the run API's handler.

Routes (those of the OpenAPI document, see stacks/api_routes.py): POST /runs (start an
image pipeline run), GET /runs (list), GET /runs/{run_id} (one run with its steps),
POST /runs/{run_id}/cancel (stop), GET /workflows, and POST /workflows/WORKFLOW/runs for
each workflow. The handler may start,
describe and stop executions of exactly this stage's state machines, whose ARNs it gets
by environment, and read the runs table (`stacks.permissions.RUN_API_GRANTS`); nothing in
AppStream or EC2. A stopped run cleans up in its own state machine (stacks/cancel_cleanup.py).
The stack adds the API only once the handler module `functions.api.handler` exists.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from functions import workflows
from functions.api.app import openapi_document
from functions.core import names
from functions.workflows import DEFAULT_WORKFLOW
from stacks import api_routes
from stacks.bundling import FUNCTIONS_PACKAGE
from stacks.config import DeploymentConfig
from stacks.house import LOG_RETENTION, HouseFunction
from stacks.nag import acknowledge, spelling
from stacks.permissions import RUN_API_GRANTS
from stacks.workflow import ImagePipeline

# The policy of API Gateway's account-level logging role, when the stack creates that role.
_PUSH_TO_LOGS = iam.ManagedPolicy.from_aws_managed_policy_name(
    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
)

API_HANDLER = workflows.API_FUNCTION.handler
# Lambda allows 4 KB of environment in all; larger pipeline configurations go to S3.
INLINE_PIPELINES_LIMIT = 2048


def api_handler_exists() -> bool:
    module = API_HANDLER.rsplit(".", 1)[0]
    return FUNCTIONS_PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py").is_file()


def pipelines_document(config: DeploymentConfig) -> str:
    """The configured pipelines a `{"pipeline": NAME}` request body starts, as the handler reads them."""
    pipelines = [{"name": pipeline.name, "request": pipeline.request} for pipeline in config.pipelines]
    return json.dumps({"pipelines": pipelines}, separators=(",", ":"), sort_keys=True)


class RunApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        config: DeploymentConfig,
        code: lambda_.Code,
        workflow: ImagePipeline,
        lifecycle: Mapping[str, sfn.StateMachine],
    ) -> None:
        """`lifecycle`: each lifecycle workflow's state machine, by workflow name."""
        super().__init__(scope, construct_id)
        settings = config.settings
        retention = LOG_RETENTION[settings.log_retention_days]
        machines: dict[str, sfn.StateMachine] = {DEFAULT_WORKFLOW: workflow.state_machine, **lifecycle}
        role = iam.Role(self, "HandlerRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        # Reading runs; the records are written by the workflows alone.
        workflow.grant_task_permissions(role, RUN_API_GRANTS)
        environment = {
            **workflow.task_environment,
            **{
                names.env_workflow_state_machine(name): machine.state_machine_arn
                for name, machine in machines.items()
            },
            **self._pipelines_setting(config, role),
        }
        self.handler = HouseFunction(
            self,
            "Handler",
            handler=API_HANDLER,
            code=code,
            role=role,
            stage=stage,
            description="Run API: start, list, show and cancel image pipeline and lifecycle runs",
            environment=environment,
            timeout=Duration.seconds(workflows.API_FUNCTION.timeout_seconds),
            memory_size=workflows.API_FUNCTION.memory_mb,
            log_retention=retention,
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:StartExecution"],
                resources=[machine.state_machine_arn for machine in machines.values()],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:StopExecution"],
                resources=[_executions(role, machine) for machine in machines.values()],
            )
        )

        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=retention, removal_policy=RemovalPolicy.DESTROY
        )
        self.rest_api = apigateway.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{Stack.of(self).stack_name}-runs",  # shown in the console; one per stage
            description="AppStream Image Factory run API",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            cloud_watch_role=settings.api_gateway_cloudwatch_role,
            # CDK accepts a removal policy only with the role. The role is account-wide: other stages
            # and APIs may rely on it, so it is retained.
            cloud_watch_role_removal_policy=(
                RemovalPolicy.RETAIN if settings.api_gateway_cloudwatch_role else None
            ),
            default_method_options=apigateway.MethodOptions(
                authorization_type=apigateway.AuthorizationType.IAM
            ),
            deploy_options=apigateway.StageOptions(
                stage_name="v1",
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigateway.MethodLoggingLevel.INFO,
                data_trace_enabled=False,  # bodies can carry launch parameters
                throttling_rate_limit=10,
                throttling_burst_limit=20,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        # Proxy integration with no test-invoke permissions: one Lambda permission per route.
        integration = apigateway.LambdaIntegration(self.handler, allow_test_invoke=False)
        api_routes.add_routes(self.rest_api, integration, openapi_document())
        api_routes.add_error_responses(self.rest_api)
        _acknowledge_api(self.rest_api, settings.api_gateway_cloudwatch_role)

    def _pipelines_setting(self, config: DeploymentConfig, role: iam.IRole) -> dict[str, str]:
        document = pipelines_document(config)
        if len(document) <= INLINE_PIPELINES_LIMIT:
            return {names.ENV_PIPELINES_CONFIG: document}
        folder = Path(tempfile.mkdtemp(prefix="image-factory-pipelines-"))
        (folder / "pipelines.json").write_text(document, encoding="utf-8")
        asset = s3_assets.Asset(self, "Pipelines", path=str(folder / "pipelines.json"))
        asset.grant_read(role)
        return {names.ENV_PIPELINES_CONFIG_URI: asset.s3_object_url}


def _executions(role: iam.Role, machine: sfn.StateMachine) -> str:
    """Every execution of `machine`: the API names each after its run id, so no narrower ARN exists."""
    executions = Stack.of(machine).format_arn(
        service="states",
        resource="execution",
        resource_name=f"{machine.state_machine_name}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    acknowledge(
        role,
        f"AwsSolutions-IAM5[Resource::{spelling(role, executions)}]",
        "Show and cancel act on executions of this stage's own workflows only; the API names each "
        "execution after its run id.",
    )
    return executions


def _acknowledge_api(api: apigateway.RestApi, creates_cloudwatch_role: bool) -> None:
    acknowledge(
        api,
        "AwsSolutions-APIG3",
        "Regional API reachable only with SigV4 credentials of this account's IAM principals, "
        "throttled per stage; a web ACL adds nothing an anonymous caller could reach.",
    )
    acknowledge(
        api,
        "AwsSolutions-COG4",
        "Callers are IAM principals (SigV4, AuthorizationType AWS_IAM), not Cognito users.",
    )
    if creates_cloudwatch_role:
        acknowledge(
            api,
            f"AwsSolutions-IAM4[Policy::{spelling(api, _PUSH_TO_LOGS.managed_policy_arn)}]",
            "API Gateway's account-level logging role uses the AWS managed policy AWS documents for it.",
        )
