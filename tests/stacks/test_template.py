"""What a platform team deploys: the resources and properties of one synthesized stage."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match

from agent_contract import documents as agent_documents
from functions import workflows
from functions.core import names
from stacks import asl
from stacks.api import api_handler_exists
from stacks.bundling import RUNTIME
from stacks.cancel_rules import CLEANUP_INPUT, DETAIL_TYPE, SOURCE
from stacks.config import load_config
from stacks.permissions import (
    APPSTREAM_SCOPED_ACTIONS,
    APPSTREAM_UNSCOPED_ACTIONS,
    DISTRIBUTION_ACTIONS,
    FLEET_ACTIONS,
    SHARED_IMAGE_ACTION,
)
from stacks.rollout_rules import input_transformer
from stacks.triggers import START_RUN_DETAIL_TYPE
from tests.stacks.conftest import Synth
from tests.stacks.policies import resolve

EXAMPLE = load_config(asl.PROJECT_ROOT / "stacks" / "pipelines.example.yaml")
COPIES_ACTED_ON = {*DISTRIBUTION_ACTIONS, "appstream:DeleteImage", "appstream:TagResource"}


def _pipeline_machine(synth: Synth) -> dict[str, Any]:
    # The lifecycle workflows are Standard state machines too; the pipeline is the one with its ASL.
    machines = [
        machine["Properties"]
        for machine in synth.resources("AWS::StepFunctions::StateMachine").values()
        if machine["Properties"].get("StateMachineType", "STANDARD") == "STANDARD"
        and machine["Properties"]["DefinitionString"] == asl.read_definition()
    ]
    assert len(machines) == 1
    return machines[0]


def _statements(synth: Synth) -> list[dict[str, Any]]:
    return [statement for policy in _policies(synth) for statement in policy]


def _policies(synth: Synth) -> list[list[dict[str, Any]]]:
    return [
        p["Properties"]["PolicyDocument"]["Statement"] for p in synth.resources("AWS::IAM::Policy").values()
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_state_machine_is_the_asl_file_with_every_placeholder_filled(synth: Synth) -> None:
    machine = _pipeline_machine(synth)
    assert machine["DefinitionString"] == asl.read_definition()
    assert asl.placeholders(machine["DefinitionString"]) == set(machine["DefinitionSubstitutions"])
    handlers = {
        key: fn["Properties"]["Handler"] for key, fn in synth.resources("AWS::Lambda::Function").items()
    }
    for task in workflows.LAMBDA_TASKS:
        if task.placeholder in machine["DefinitionSubstitutions"]:
            logical_id, attribute = machine["DefinitionSubstitutions"][task.placeholder]["Fn::GetAtt"]
            assert (handlers[logical_id], attribute) == (task.handler, "Arn")


def test_state_machine_logs_everything_but_execution_data_and_traces(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineType": "STANDARD",
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": {
                "Level": "ALL",
                "IncludeExecutionData": False,
                "Destinations": Match.any_value(),
            },
        },
    )


def test_one_function_per_catalog_task_with_house_defaults(synth: Synth) -> None:
    functions = {
        fn["Properties"]["Handler"]: fn["Properties"]
        for fn in synth.resources("AWS::Lambda::Function").values()
    }
    for task in workflows.LAMBDA_TASKS:
        function = functions[task.handler]
        assert function["Runtime"] == RUNTIME.name
        assert function["Architectures"] == ["arm64"]
        assert function["TracingConfig"] == {"Mode": "Active"}
        assert function["Timeout"] == task.timeout_seconds
        assert function["MemorySize"] == task.memory_mb
        # A reservation needs account quota a new account may not have: the default reserves none.
        assert "ReservedConcurrentExecutions" not in function
        variables = function["Environment"]["Variables"]
        assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"} <= variables.keys()
        assert set(workflows.RESOURCE_PLACEHOLDERS.values()) <= variables.keys()
        assert variables[names.ENV_BUILDER_SLOT_LIMIT] == str(EXAMPLE.settings.builder_slot_limit)


def test_runs_table_keys_come_from_the_names_module(synth: Synth) -> None:
    schema = names.table_key_schema()
    synth.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": schema["KeySchema"],
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
            # Spent task tokens expire; nothing a counter counts carries the attribute.
            "TimeToLiveSpecification": {"AttributeName": names.TTL_ATTRIBUTE, "Enabled": True},
        },
    )
    (table,) = synth.resources("AWS::DynamoDB::Table").values()
    properties = table["Properties"]
    assert sorted(properties["AttributeDefinitions"], key=str) == sorted(
        schema["AttributeDefinitions"], key=str
    )
    indexes = {index["IndexName"]: index for index in properties["GlobalSecondaryIndexes"]}
    for expected in schema["GlobalSecondaryIndexes"]:  # type: ignore[attr-defined]
        assert indexes[expected["IndexName"]]["KeySchema"] == expected["KeySchema"]
        assert indexes[expected["IndexName"]]["Projection"] == expected["Projection"]
    assert table["DeletionPolicy"] == "Retain"  # retain_data: true in the example


def test_jobs_bucket_is_private_versioned_and_expires_old_jobs(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "LoggingConfiguration": Match.object_like({"LogFilePrefix": "jobs-bucket/"}),
            # Its object events go to the default bus: an agent's failed result resumes its run's wait.
            "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Prefix": f"{agent_documents.JOBS_PREFIX}/",
                                "ExpirationInDays": EXAMPLE.settings.job_document_days,
                                "Status": "Enabled",
                            }
                        )
                    ]
                )
            },
        },
    )


def test_only_the_builder_role_reads_jobs_and_writes_results(synth: Synth) -> None:
    builder = EXAMPLE.roles.builder_role_arn
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.resources("AWS::S3::BucketPolicy").values()
    ]
    statements = {statement.get("Sid"): statement for policy in policies for statement in policy}
    assert statements["BuilderReadsItsJobs"]["Principal"] == {"AWS": builder}
    assert statements["BuilderReadsItsJobs"]["Action"] == "s3:GetObject"
    assert json.dumps(statements["BuilderReadsItsJobs"]["Resource"]).endswith('/jobs/*/job.json"]]}')
    assert statements["BuilderWritesResults"]["Action"] == "s3:PutObject"
    written = json.dumps(statements["BuilderWritesResults"]["Resource"])
    assert '/jobs/*/result.json"' in written and '/jobs/*/status.json"' in written
    deny_writes = statements["OnlyBuilderWritesResults"]
    assert deny_writes["Effect"] == "Deny"
    assert deny_writes["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [builder]}}
    assert statements["OnlyBuilderAndWorkflowReadJobs"]["Effect"] == "Deny"
    deny_jobs = statements["OnlyWorkflowWritesJobs"]
    assert (deny_jobs["Effect"], deny_jobs["Action"]) == ("Deny", "s3:PutObject")
    assert json.dumps(deny_jobs["Resource"]).endswith('/jobs/*/job.json"]]}')
    tls_only = [
        s for p in policies for s in p if s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(tls_only) == 2  # jobs bucket and its access-log bucket


def test_the_builder_role_gets_its_jobs_and_the_pinned_scripts_only(synth: Synth) -> None:
    (policy,) = [
        policy
        for policy in synth.resources("AWS::IAM::ManagedPolicy").values()
        if "builder agent" in policy["Properties"].get("Description", "")
    ]
    assert policy["Properties"]["Roles"] == [EXAMPLE.roles.builder_role_arn.rsplit("/", 1)[1]]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert json.dumps(statements["ReadOwnJob"]["Resource"]).endswith('/jobs/*/job.json"]]}')
    assert resolve(statements["ReadPinnedScripts"]["Resource"], synth.raw) == (
        "arn:aws:s3:::example-euc-artifacts/image-factory/install-apps.ps1"
    )


def test_notifications_are_encrypted_with_a_rotating_key_alarms_may_use(synth: Synth) -> None:
    synth.template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    synth.template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Principal": {"Service": "cloudwatch.amazonaws.com"}, "Effect": "Allow"}
                        )
                    ]
                )
            },
        },
    )


def test_alarms_may_publish_to_the_topic_over_tls(synth: Synth) -> None:
    (policy,) = synth.resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    publish = [
        s
        for s in statements
        if s["Effect"] == "Allow"
        and s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
        and "sns:Publish" in _as_list(s["Action"])
    ]
    assert publish, "the topic policy replaces SNS's default one: CloudWatch alarms could not publish"
    assert publish[0]["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in statements)


def test_schedules_start_the_pipeline_with_its_stored_request(synth: Synth) -> None:
    pipeline_id = next(
        key
        for key, machine in synth.resources("AWS::StepFunctions::StateMachine").items()
        if machine["Properties"].get("DefinitionString") == asl.read_definition()
    )
    schedules = [
        resource
        for resource in synth.resources("AWS::Scheduler::Schedule").values()
        if resource["Properties"]["Target"]["Arn"] == {"Ref": pipeline_id}
    ]
    expected = [(p, s) for p in EXAMPLE.pipelines for s in p.schedules]
    assert len(schedules) == len(expected)
    for (pipeline, schedule), resource in zip(expected, schedules, strict=True):
        properties = resource["Properties"]
        assert properties["ScheduleExpression"] == schedule.expression
        assert properties["ScheduleExpressionTimezone"] == schedule.time_zone
        assert properties["State"] == "ENABLED"
        assert json.loads(properties["Target"]["Input"]) == pipeline.request
        assert "DeadLetterConfig" in properties["Target"]


def test_image_builder_images_start_their_pipeline(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_like(
                {
                    "source": ["aws.imagebuilder"],
                    "detail-type": ["EC2 Image Builder Image State Change"],
                    "detail": {"state": {"status": ["AVAILABLE"]}},
                }
            ),
            "Targets": [Match.object_like({"DeadLetterConfig": Match.any_value()})],
        },
    )
    starters = [
        machine["Properties"]
        for machine in synth.resources("AWS::StepFunctions::StateMachine").values()
        if machine["Properties"].get("StateMachineType") == "EXPRESS"
    ]
    configured = [p for p in EXAMPLE.pipelines if p.image_builder is not None]
    assert len(starters) == len(configured)
    definition = json.dumps(starters[0]["DefinitionString"])
    assert configured[0].image_builder is not None
    assert configured[0].image_builder.image_pipeline_arn in definition
    assert "aws-sdk:imagebuilder:getImage" in definition


def test_start_run_events_on_the_bus_start_a_run_with_their_detail(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventBusName": Match.any_value(),
            "EventPattern": {
                "detail-type": [START_RUN_DETAIL_TYPE],
                "source": [{"anything-but": [names.EVENT_SOURCE]}],
            },
            "Targets": [Match.object_like({"InputPath": "$.detail"})],
        },
    )


def test_no_statement_allows_every_action(synth: Synth) -> None:
    for statement in _statements(synth):
        actions = _as_list(statement["Action"])
        assert "*" not in actions
        assert not any(action.endswith(":*") for action in actions), statement


def test_appstream_actions_are_scoped_where_appstream_allows(synth: Synth) -> None:
    policies = [p for p in _policies(synth) if "appstream:" in json.dumps(p)]
    assert policies  # each workflow's task functions' (and the run API's, which cancels runs) policies
    known = (
        set(APPSTREAM_SCOPED_ACTIONS)
        | set(APPSTREAM_UNSCOPED_ACTIONS)
        | set(FLEET_ACTIONS)
        | set(DISTRIBUTION_ACTIONS)
    )
    granted: set[str] = set()
    for policy in policies:
        granted |= _check_appstream_scopes(policy)
    assert granted == known  # some role holds each, none holds another


def _check_appstream_scopes(policy: list[dict[str, Any]]) -> set[str]:
    granted: dict[str, list[str]] = {}
    for statement in policy:
        for action in _as_list(statement["Action"]):
            if action.startswith("appstream:"):
                granted.setdefault(action, []).extend(json.dumps(r) for r in _as_list(statement["Resource"]))
    assert granted.keys() <= set(APPSTREAM_SCOPED_ACTIONS) | set(APPSTREAM_UNSCOPED_ACTIONS) | set(
        FLEET_ACTIONS
    ) | set(DISTRIBUTION_ACTIONS)
    for action, resources in granted.items():
        if action in APPSTREAM_UNSCOPED_ACTIONS:
            assert resources == ['"*"'], action
            continue
        if action in FLEET_ACTIONS:
            continue  # named fleets or a tag condition: test_destructive_grants checks which
        # The example shares images from other accounts: CreateImageBuilder also names theirs.
        shared = len(EXAMPLE.settings.shared_image_accounts) if action == SHARED_IMAGE_ACTION else 0
        # Copies: the images of each region the configuration lets runs copy to, besides this one's.
        copies = len(EXAMPLE.settings.distribution_regions) if action in COPIES_ACTED_ON else 0
        allowed = len(APPSTREAM_SCOPED_ACTIONS.get(action, ("image",))) + shared + copies
        assert 1 <= len(set(resources)) <= allowed, action
        for resource in resources:
            assert ":appstream:" in resource
            assert any(f"{kind}/" in resource for kind in ("image", "image-builder", "fleet"))
    return set(granted)


def test_pass_role_only_for_configured_roles_and_only_to_appstream(synth: Synth) -> None:
    statements = [s for s in _statements(synth) if "iam:PassRole" in _as_list(s["Action"])]
    assert statements
    passed: set[str] = set()
    for statement in statements:  # each role passes those its workflow's tasks hand to AppStream
        assert set(_as_list(statement["Resource"])) <= set(EXAMPLE.roles.all())
        passed |= set(_as_list(statement["Resource"]))
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "appstream.amazonaws.com"}}
    assert passed == set(EXAMPLE.roles.all())


def test_no_physical_names_so_two_stages_fit_in_one_account(synth: Synth) -> None:
    name_properties = {
        "AWS::DynamoDB::Table": "TableName",
        "AWS::S3::Bucket": "BucketName",
        "AWS::Lambda::Function": "FunctionName",
        "AWS::StepFunctions::StateMachine": "StateMachineName",
        "AWS::SNS::Topic": "TopicName",
        "AWS::SQS::Queue": "QueueName",
        "AWS::IAM::Role": "RoleName",
        "AWS::Scheduler::Schedule": "Name",
        "AWS::CloudWatch::Dashboard": "DashboardName",
        "AWS::CloudWatch::Alarm": "AlarmName",
        "AWS::Events::Rule": "Name",
    }
    for resource in synth.raw["Resources"].values():
        assert name_properties.get(resource["Type"]) not in resource.get("Properties", {}), resource["Type"]
    for resource in synth.resources("AWS::Events::EventBus").values():
        assert synth.stack.stack_name.replace("-", "") in resource["Properties"]["Name"]
    for resource in synth.resources("AWS::Logs::LogGroup").values():
        name = resource["Properties"].get("LogGroupName")
        assert name is None or synth.stack.stack_name in json.dumps(name)


def test_failures_throttling_and_stuck_triggers_alarm_on_the_topic(synth: Synth) -> None:
    alarms = synth.resources("AWS::CloudWatch::Alarm").values()
    metrics = {(a["Properties"].get("Namespace"), a["Properties"].get("MetricName")) for a in alarms}
    assert {("AWS/States", "ExecutionsFailed"), ("AWS/States", "ExecutionsTimedOut")} <= metrics
    assert {("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles")} <= metrics
    assert ("ImageFactory/test", "AppStreamThrottled") in metrics
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in metrics
    (topic,) = synth.resources("AWS::SNS::Topic")
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic}]
    synth.template.resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_outputs_tell_operators_where_things_are(synth: Synth) -> None:
    assert {
        "StateMachineArn",
        "RunsTableName",
        "JobsBucketName",
        "NotificationTopicArn",
        "EventBusName",
        "DeadLetterQueueUrl",
        "DashboardName",
    } <= synth.raw["Outputs"].keys()


def test_run_api_is_deployed_once_its_handler_exists(synth: Synth) -> None:
    expected = 1 if api_handler_exists() else 0
    synth.template.resource_count_is("AWS::ApiGateway::RestApi", expected)
    assert (names.OUTPUT_RUN_API_URL in synth.raw["Outputs"]) == bool(expected)


def test_a_stopped_run_of_every_workflow_starts_its_own_state_machine(synth: Synth) -> None:
    machines = {
        logical_id
        for logical_id, machine in synth.resources("AWS::StepFunctions::StateMachine").items()
        if machine["Properties"].get("StateMachineType") != "EXPRESS"
    }
    rules = [
        rule["Properties"]
        for rule in synth.resources("AWS::Events::Rule").values()
        if rule["Properties"]["EventPattern"].get("source") == [SOURCE]
    ]
    assert len(rules) == len(machines) == 5
    for rule in rules:
        assert "EventBusName" not in rule  # the default bus, where Step Functions sends its events
        pattern = rule["EventPattern"]
        assert pattern["detail-type"] == [DETAIL_TYPE] and pattern["detail"]["status"] == ["ABORTED"]
        (watched,) = pattern["detail"]["stateMachineArn"]
        (target,) = rule["Targets"]
        assert target["Arn"] == watched  # the stopped run's own state machine cleans up after it
        assert target["DeadLetterConfig"] and target["RetryPolicy"]
        transformer = target["InputTransformer"]
        # The transformer the local engine applies (tests/engine) is the one deployed.
        assert transformer == input_transformer(CLEANUP_INPUT)
    assert {rule["EventPattern"]["detail"]["stateMachineArn"][0]["Ref"] for rule in rules} == machines


def test_the_run_api_answers_before_api_gateway_gives_up(synth: Synth) -> None:
    (api_function,) = [
        function["Properties"]
        for function in synth.resources("AWS::Lambda::Function").values()
        if function["Properties"]["Handler"] == workflows.API_FUNCTION.handler
    ]
    methods = [m["Properties"] for m in synth.resources("AWS::ApiGateway::Method").values()]
    limits = {m["Integration"].get("TimeoutInMillis", 29_000) for m in methods if "Integration" in m}
    # A function still running when API Gateway gives up leaves the caller a bare 504.
    assert limits == {workflows.API_GATEWAY_LIMIT_SECONDS * 1000}
    assert api_function["Timeout"] < workflows.API_GATEWAY_LIMIT_SECONDS


def _starter_states(synth: Synth) -> dict[str, Any]:
    """The Image Builder starter's states, with the stack's tokens left as their names."""
    (starter,) = [
        machine["Properties"]["DefinitionString"]
        for machine in synth.resources("AWS::StepFunctions::StateMachine").values()
        if machine["Properties"].get("StateMachineType") == "EXPRESS"
    ]
    if isinstance(starter, dict):
        _, parts = starter["Fn::Join"]
        tokens = (part if isinstance(part, str) else json.dumps(part).replace('"', "") for part in parts)
        starter = "".join(tokens)
    states: dict[str, Any] = json.loads(starter)["States"]
    return states


def test_image_builder_starter_takes_only_this_accounts_ami_in_this_region(synth: Synth) -> None:
    states = _starter_states(synth)
    ami_ids = states["Describe the new image"]["Output"]["amiIds"]
    assert "Region = '" in ami_ids
    assert "AccountId = '" in ami_ids and "AWS::AccountId" in ami_ids
    no_ami = states["An AMI in this account and region?"]
    assert states[no_ami["Default"]]["Type"] == "Succeed"
    assert no_ami["Choices"][0]["Next"] == "Start the run"


def test_image_builder_starter_ignores_images_built_outside_a_pipeline(synth: Synth) -> None:
    states = _starter_states(synth)
    # A missing SourcePipelineArn must not leave an output field undefined (that fails the state).
    outputs = states["Describe the new image"]["Output"]
    assert "sourcePipelineArn" not in outputs
    assert outputs["fromOurPipeline"].startswith("{% $states.result.Image.SourcePipelineArn = '")
    ours = states["From the configured pipeline?"]
    assert states[ours["Default"]]["Type"] == "Succeed"


def test_image_builder_starter_treats_a_closed_run_of_the_same_image_as_started(synth: Synth) -> None:
    states = _starter_states(synth)
    (caught,) = states["Start the run"]["Catch"]
    assert caught["ErrorEquals"] == ["StepFunctions.ExecutionAlreadyExistsException"]
    assert states[caught["Next"]]["Type"] == "Succeed"


def test_each_state_machine_may_invoke_only_the_functions_its_definition_names(synth: Synth) -> None:
    functions = set(synth.resources("AWS::Lambda::Function"))
    policies = synth.resources("AWS::IAM::Policy").values()
    checked = 0
    for machine in synth.resources("AWS::StepFunctions::StateMachine").values():
        properties = machine["Properties"]
        role = properties["RoleArn"]["Fn::GetAtt"][0]
        named = {f for f in functions if f in json.dumps(properties.get("DefinitionSubstitutions", {}))}
        invokable = {
            resource["Fn::GetAtt"][0]
            for policy in policies
            if {"Ref": role} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Action"] == "lambda:InvokeFunction"
            for resource in (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            if isinstance(resource, dict) and "Fn::GetAtt" in resource
        }
        assert invokable == named, role
        checked += bool(named)
    assert checked == 5  # the image pipeline and the four lifecycle workflows; the starters invoke none
