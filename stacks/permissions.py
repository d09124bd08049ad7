"""What the task functions may do in AppStream, and to which resources.

Per the Service Authorization Reference, only some AppStream actions accept a resource
ARN; those are scoped to this account and region's images and image builders. The rest
(Describe*, the import and export-task operations) accept only "*". A test checks this
split against AWS's published action data shipped with cfn-lint.

Actions that stop, delete or change what they act on hold only for what this project
manages: images and image builders carrying the selection tag and the stage tag every run
puts on what it creates (AppStream's image and image-builder types accept
`aws:ResourceTag`), and the
customer's fleets that the configuration's rollout jobs name, by ARN, or that carry the
`image-factory:rollout` tag with this stage's name (how a fleet opts in to rollouts the
run API starts).

Each workflow's task functions have a role of their own, holding only what its tasks call
(`WORKFLOW_TASK_GRANTS`): a rollout cannot create builders, a backup cannot move fleets, and
only the workflows that hand a service role to AppStream may pass it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from functions.core import names

APPSTREAM_PRINCIPAL = "appstream.amazonaws.com"

# AWS's own base images (a request may start from one by name) have no account in their ARN.
AWS_OWNED_IMAGE = "aws-owned-image"

# action -> the AppStream resource types its Resource element names
APPSTREAM_SCOPED_ACTIONS: dict[str, tuple[str, ...]] = {
    "appstream:CreateImageBuilder": ("image", AWS_OWNED_IMAGE, "image-builder"),
    "appstream:StopImageBuilder": ("image-builder",),
    "appstream:DeleteImageBuilder": ("image-builder",),
    "appstream:DeleteImage": ("image",),
    "appstream:CreateUpdatedImage": ("image",),
    # Kept for tagging on create: many services authorise a create's Tags as TagResource, and no
    # source says whether AppStream does (docs/emulator-fidelity.md); no code calls it directly.
    "appstream:TagResource": ("image", "image-builder"),
}

# Distribution: copy images to other regions and share them with other accounts, and undo both
# (stacks/distribution_grants.py grants them, in this region and the configured ones).
DISTRIBUTION_ACTIONS = (
    "appstream:CopyImage",
    "appstream:UpdateImagePermissions",
    "appstream:DeleteImagePermissions",
)

# Fleet rollout: point a fleet at an image of this account, stopping and starting it around that.
FLEET_ACTIONS = ("appstream:UpdateFleet", "appstream:StopFleet", "appstream:StartFleet")

# Prefixes of the actions that change or destroy the resource they name.
DESTRUCTIVE_PREFIXES = ("appstream:Delete", "appstream:Stop", "appstream:Start", "appstream:Update")

# The tag of run-created resources (every run's plan, functions.core.plan.RunPlan.tags, puts both
# on all) that a destructive action requires: the one each selection keys on (retention reaps
# builders by run id, images by pipeline).
OWNERSHIP_TAGS = {"image-builder": names.TAG_RUN_ID, "image": names.TAG_PIPELINE}


def ownership_condition(resource_types: tuple[str, ...], stage: str) -> dict[str, dict[str, str]]:
    """Made by a run (its selection tag is there) of this stage (another stage's are its own)."""
    return {
        "Null": {f"aws:ResourceTag/{OWNERSHIP_TAGS[kind]}": "false" for kind in resource_types},
        "StringEquals": {f"aws:ResourceTag/{names.TAG_STAGE}": stage},
    }


# Actions that support no resource-level permissions.
APPSTREAM_UNSCOPED_ACTIONS: tuple[str, ...] = (
    "appstream:CreateImportedImage",
    "appstream:DescribeImages",
    "appstream:DescribeImageBuilders",
    "appstream:CreateExportImageTask",
    "appstream:GetExportImageTask",
    "appstream:ListExportImageTasks",
    "appstream:ListTagsForResource",
    "appstream:DescribeFleets",
)


# The one action a shared image is named in: a builder starts from it (CreateImageBuilder's ImageArn).
SHARED_IMAGE_ACTION = "appstream:CreateImageBuilder"


def shared_image_arns(scope: Construct, accounts: Sequence[str]) -> list[str]:
    """The images of `accounts` (in this region), shared with this one."""
    return [
        Stack.of(scope).format_arn(service="appstream", account=account, resource="image", resource_name="*")
        for account in accounts
    ]


def appstream_arn(scope: Construct, resource_type: str) -> str:
    if resource_type == AWS_OWNED_IMAGE:
        return Stack.of(scope).format_arn(
            service="appstream", account="", resource="image", resource_name="*"
        )
    return Stack.of(scope).format_arn(service="appstream", resource=resource_type, resource_name="*")


# The runs table's item actions, by who calls them (IAM checks each item of a TransactWriteItems as
# its own action); the table and its indexes are only queried. Every task reads and updates its
# run's and steps' items (functions.core.records); a new item is put only where a run is first
# recorded (RecordRun, or RecordFailure of a run rejected before it), by the builder slots
# (functions/workflows/image_pipeline/slots.py, which also delete their waiters) and by export
# backups' last-export records (functions/workflows/export_backup/backup_records.py).
READ_UPDATE = ("dynamodb:GetItem", "dynamodb:UpdateItem")
PUT = ("dynamodb:PutItem",)
DELETE = ("dynamodb:DeleteItem",)


@dataclass(frozen=True)
class TaskGrants:
    """What the task functions of one workflow call in AppStream, EC2 and IAM, and which of the
    stack's resources they use besides the runs table (every task records its steps there)."""

    appstream: tuple[str, ...] = ()  # scoped ones on the types APPSTREAM_SCOPED_ACTIONS names
    creates: tuple[str, ...] = ()  # the AppStream resource types created with tags (TagResource)
    fleets: bool = False  # rollouts: FLEET_ACTIONS on the configured and the tagged fleets
    ec2: tuple[str, ...] = ()  # of EXPORTED_AMI_ACTIONS
    passes: tuple[str, ...] = ()  # the service roles (config.ROLE_KINDS) handed to AppStream
    distributes: bool = False  # DISTRIBUTION_ACTIONS (stacks/distribution_grants.py)
    distributes_amis: bool = False  # the exported AMI's copies and shares (stacks/distribution_grants.py)
    deletes_copies: bool = False  # this stage's image and AMI copies deleted (stacks/distribution_grants.py)
    jobs: bool = False  # the builder agent's job and result documents
    publish: bool = False  # the notification topic
    run_events: bool = False  # starts and finishes runs, whose changes go to the event bus
    table_items: tuple[str, ...] = READ_UPDATE  # the runs table's items; the table and indexes are queried

    def appstream_actions(self) -> set[str]:
        tagging = {"appstream:TagResource"} if self.creates or self.distributes else set()
        distributing = DISTRIBUTION_ACTIONS if self.distributes else ()
        return {*self.appstream, *tagging, *(FLEET_ACTIONS if self.fleets else ()), *distributing}


_DESCRIBE = ("appstream:DescribeImages", "appstream:ListTagsForResource")
_EXPORT = (
    "appstream:CreateExportImageTask",
    "appstream:GetExportImageTask",
    "appstream:ListExportImageTasks",
)
_REAP = ("appstream:StopImageBuilder", "appstream:DeleteImageBuilder", "appstream:DeleteImage")

# workflow (functions.workflows) -> what its own tasks call; a test checks no role holds more.
WORKFLOW_TASK_GRANTS: dict[str, TaskGrants] = {
    # Preflight, import, builder, snapshot, distribution, export and the cleanup of what a run created.
    "image-pipeline": TaskGrants(
        appstream=(
            *_DESCRIBE,
            "appstream:DescribeImageBuilders",
            "appstream:CreateImportedImage",
            "appstream:CreateImageBuilder",
            *_EXPORT,
            *_REAP,
        ),
        creates=("image", "image-builder"),
        distributes=True,
        distributes_amis=True,
        ec2=("ec2:DescribeImages",),
        passes=("import", "builder", "export"),
        jobs=True,
        publish=True,
        run_events=True,
        table_items=(*READ_UPDATE, *PUT, *DELETE),
    ),
    "export-backup": TaskGrants(
        appstream=(*_DESCRIBE, *_EXPORT), passes=("export",), table_items=(*READ_UPDATE, *PUT)
    ),
    "managed-update": TaskGrants(
        appstream=(*_DESCRIBE, "appstream:CreateUpdatedImage", "appstream:DeleteImage"), creates=("image",)
    ),
    "fleet-rollout": TaskGrants(appstream=(*_DESCRIBE, "appstream:DescribeFleets"), fleets=True),
    "retention": TaskGrants(
        appstream=(*_DESCRIBE, "appstream:DescribeImageBuilders", "appstream:DescribeFleets", *_REAP),
        ec2=("ec2:DescribeImages", "ec2:DeregisterImage", "ec2:DeleteSnapshot"),
        deletes_copies=True,
    ),
}
# The tasks several workflows share (the lifecycle workflows' run records, a stopped run's
# cleanup plan and record): no AppStream at all.
SHARED_TASK_GRANTS = TaskGrants(run_events=True, table_items=(*READ_UPDATE, *PUT))
# The run API reads run records (GetItem, and Query on the table's indexes) and nothing else of the
# table: starting, cancelling and recording runs is the workflows' own (a stopped run cleans up in
# its own state machine, stacks/cancel_cleanup.py). Nothing in AppStream or EC2, no role passed.
RUN_API_GRANTS = TaskGrants(table_items=("dynamodb:GetItem",))


def appstream_statements(
    scope: Construct, stage: str, grants: TaskGrants, shared_image_accounts: Sequence[str] = ()
) -> list[iam.PolicyStatement]:
    """The AppStream actions of `grants` but the fleet ones (`fleet_statements`); CreateImageBuilder
    also on the images of `shared_image_accounts`."""
    wanted = grants.appstream_actions()
    by_grant: dict[tuple[tuple[str, ...], bool], list[str]] = {}
    for action, resource_types in APPSTREAM_SCOPED_ACTIONS.items():
        if action not in wanted:
            continue
        if action == "appstream:TagResource":
            resource_types = tuple(kind for kind in resource_types if kind in grants.creates)
        tagged = action.startswith(DESTRUCTIVE_PREFIXES)
        by_grant.setdefault((resource_types, tagged), []).append(action)
    statements = [
        iam.PolicyStatement(
            actions=actions,
            resources=[appstream_arn(scope, kind) for kind in resource_types],
            conditions=ownership_condition(resource_types, stage) if tagged else None,
        )
        for (resource_types, tagged), actions in by_grant.items()
    ]
    if SHARED_IMAGE_ACTION in wanted and shared_image_accounts:
        statements.append(
            iam.PolicyStatement(
                actions=[SHARED_IMAGE_ACTION], resources=shared_image_arns(scope, shared_image_accounts)
            )
        )
    unscoped = [action for action in APPSTREAM_UNSCOPED_ACTIONS if action in wanted]
    if unscoped:
        statements.append(iam.PolicyStatement(actions=unscoped, resources=["*"]))
    granted_elsewhere = {*FLEET_ACTIONS, *DISTRIBUTION_ACTIONS}
    unknown = wanted - set(APPSTREAM_SCOPED_ACTIONS) - set(APPSTREAM_UNSCOPED_ACTIONS) - granted_elsewhere
    if unknown:
        raise ValueError(f"say in stacks/permissions.py which resources {sorted(unknown)} accept")
    return statements


def fleet_statements(
    scope: Construct, fleets: Sequence[tuple[str | None, str]], stage: str, regions: Sequence[str]
) -> list[iam.PolicyStatement]:
    """Rollouts may move the configured `fleets` ((region, name), None: this region) and the fleets
    tagged for `stage`, here and in the other `regions`; UpdateFleet also names the image it points
    the fleet at (in the fleet's region: the copy there), which it leaves unchanged."""
    stack = Stack.of(scope)
    everywhere: list[str | None] = [None, *sorted(set(regions))]
    tagged_for_stage = {"StringEquals": {f"aws:ResourceTag/{names.TAG_ROLLOUT}": stage}}
    statements = [
        iam.PolicyStatement(
            actions=list(FLEET_ACTIONS),
            resources=[_arn(stack, region, "fleet", "*") for region in everywhere],
            conditions=tagged_for_stage,
        ),
        iam.PolicyStatement(
            actions=["appstream:UpdateFleet"],
            resources=[_arn(stack, region, "image", "*") for region in everywhere],
        ),
    ]
    if fleets:
        named = [_arn(stack, region, "fleet", name) for region, name in sorted(set(fleets), key=str)]
        statements.append(iam.PolicyStatement(actions=list(FLEET_ACTIONS), resources=named))
    return statements


def _arn(stack: Stack, region: str | None, resource_type: str, name: str) -> str:
    """An AppStream ARN of this account in `region` (None: the stack's)."""
    return stack.format_arn(service="appstream", region=region, resource=resource_type, resource_name=name)


def fleet_arn_in(scope: Construct, region: str) -> str:
    """Every fleet of this account in `region`."""
    return _arn(Stack.of(scope), region, "fleet", "*")


def image_arn_in(scope: Construct, region: str) -> str:
    """Every image of this account in `region`."""
    return _arn(Stack.of(scope), region, "image", "*")


def pass_role_statement(role_arns: tuple[str, ...]) -> iam.PolicyStatement:
    """Pass exactly the configured roles, and only to AppStream."""
    return iam.PolicyStatement(
        actions=["iam:PassRole"],
        resources=list(role_arns),
        conditions={"StringEquals": {"iam:PassedToService": APPSTREAM_PRINCIPAL}},
    )


def exported_ami_arn(scope: Construct) -> str:
    return Stack.of(scope).format_arn(service="ec2", account="", resource="image", resource_name="*")


def snapshot_arn(scope: Construct) -> str:
    # Snapshot ARNs carry no account: with one, the grant matches no snapshot at all.
    return Stack.of(scope).format_arn(service="ec2", account="", resource="snapshot", resource_name="*")


EXPORTED_AMI_ACTIONS = ("ec2:DescribeImages", "ec2:DeregisterImage", "ec2:DeleteSnapshot")


def exported_ami_statements(scope: Construct, actions: Sequence[str]) -> list[iam.PolicyStatement]:
    """Exported AMIs: list them (a preflight reads the source AMI too), deregister only AMIs with a
    pipeline tag, delete their snapshots (retention); `actions` picks which."""
    if unknown := set(actions) - set(EXPORTED_AMI_ACTIONS):
        raise ValueError(f"say in stacks/permissions.py which resources {sorted(unknown)} accept")
    statements = {
        "ec2:DescribeImages": iam.PolicyStatement(actions=["ec2:DescribeImages"], resources=["*"]),
        "ec2:DeregisterImage": iam.PolicyStatement(
            actions=["ec2:DeregisterImage"],
            resources=[exported_ami_arn(scope)],
            conditions={"Null": {f"aws:ResourceTag/{names.TAG_PIPELINE}": "false"}},
        ),
        "ec2:DeleteSnapshot": iam.PolicyStatement(
            actions=["ec2:DeleteSnapshot"], resources=[snapshot_arn(scope)]
        ),
    }
    return [statement for action, statement in statements.items() if action in actions]
