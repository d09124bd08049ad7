"""Where runs keep their state: the runs table, the jobs bucket, the notification topic, the event bus.

Physical names are left to CloudFormation so two stages fit in one account and region.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from agent_contract import documents as agent_documents
from functions.core import names
from stacks.config import DeploymentConfig


class RunsTable(dynamodb.Table):
    """Runs, steps and builder slots, keyed exactly as `functions.core.names` says."""

    def __init__(self, scope: Construct, construct_id: str, *, retain: bool) -> None:
        string = dynamodb.AttributeType.STRING
        super().__init__(
            scope,
            construct_id,
            partition_key=dynamodb.Attribute(name=names.PARTITION_KEY, type=string),
            sort_key=dynamodb.Attribute(name=names.SORT_KEY, type=string),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute=names.TTL_ATTRIBUTE,  # the waits' spent task tokens
            deletion_protection=retain,
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        for index in names.RUNS_TABLE_INDEXES:
            self.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(name=index.partition_key, type=string),
                sort_key=dynamodb.Attribute(name=index.sort_key, type=string),
                projection_type=dynamodb.ProjectionType.ALL,
            )


class JobsBucket(Construct):
    """Job documents for the builder agent, and the agent's results.

    The bucket policy lets the builder role read job documents and write results, and
    denies both to everyone else except the task functions: a result in this bucket is
    trusted to say what happened on the builder.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        settings = config.settings
        removal = RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,  # the only encryption S3 server access logging accepts
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(max(settings.log_retention_days, 1)))],
            removal_policy=removal,
            auto_delete_objects=not settings.retain_data,
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="jobs-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-old-job-documents",
                    prefix=f"{agent_documents.JOBS_PREFIX}/",
                    expiration=Duration.days(settings.job_document_days),
                    noncurrent_version_expiration=Duration.days(7),
                ),
                s3.LifecycleRule(
                    id="tidy-versions-and-uploads",
                    expired_object_delete_marker=True,
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
            ],
            removal_policy=removal,
            auto_delete_objects=not settings.retain_data,
        )
        # S3 sends the bucket's object events to the default bus, where the agent's result resumes its
        # run's snapshot wait (stacks/signal_rules.py). Set on the bucket itself: the construct's
        # `event_bridge_enabled` would add a custom resource and its function for the same setting.
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.add_property_override(
            "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
        )

    def job_documents_arn(self) -> str:
        return self.bucket.arn_for_objects(agent_documents.job_key("*"))

    def agent_output_arns(self) -> list[str]:
        """The documents only the builder agent writes: its result and its progress status."""
        return [
            self.bucket.arn_for_objects(agent_documents.result_key("*")),
            self.bucket.arn_for_objects(agent_documents.status_key("*")),
        ]

    def restrict_to(self, *, builder_role_arn: str, workflow_role: iam.IRole) -> None:
        """Builder role: reads jobs, writes results and status. Only the workflow writes jobs."""
        builder = iam.ArnPrincipal(builder_role_arn)
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BuilderReadsItsJobs",
                principals=[builder],
                actions=["s3:GetObject"],
                resources=[self.job_documents_arn()],
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BuilderWritesResults",
                principals=[builder],
                actions=["s3:PutObject"],
                resources=self.agent_output_arns(),
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BuilderSeesWhetherItsJobExists",  # a missing job is then 404, not 403
                principals=[builder],
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{agent_documents.JOBS_PREFIX}/*"]}},
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyBuilderAndWorkflowReadJobs",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],
                resources=[self.job_documents_arn()],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": [builder_role_arn, workflow_role.role_arn]}},
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyWorkflowWritesJobs",  # a job carries the script pins the builder will trust
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[self.job_documents_arn()],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": [workflow_role.role_arn]}},
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyBuilderWritesResults",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=self.agent_output_arns(),
                conditions={"ArnNotEquals": {"aws:PrincipalArn": [builder_role_arn]}},
            )
        )


class Notifications(Construct):
    """Run notifications and alarms, encrypted with a key CloudWatch alarms may use."""

    def __init__(self, scope: Construct, construct_id: str, *, emails: tuple[str, ...]) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the AppStream Image Factory notification topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,  # nothing stays encrypted under it once the topic is gone
            pending_window=Duration.days(7),
        )
        # Alarms publish through CloudWatch, which must be able to use the key (the AWS managed
        # SNS key would refuse it).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True)
        # enforce_ssl writes a topic policy, which replaces SNS's default one: without this
        # statement CloudWatch may not publish, and no alarm would ever reach anyone.
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))


class RunEventBus(events.EventBus):
    """Where run state changes are published (source `image-factory`) and start-run requests arrive."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id, description="AppStream Image Factory run events")
