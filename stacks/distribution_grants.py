"""What the image pipeline's tasks may do to distribute an image: copy it to the regions the
configuration names (`settings.distribution_regions`), share it and its copies with other
accounts, and undo both for a run that fails before its distribution ends.

AWS's service authorization data gives CopyImage, UpdateImagePermissions and
DeleteImagePermissions the `image` resource type (and `aws:ResourceTag`): the source image
for CopyImage. Sharing, unsharing and deleting hold only for this stage's images, as every
destructive grant does (`permissions.ownership_condition`): a copy carries those tags once
the run has given them (CopyImage copies no tags). No source says whether AWS also
authorises CopyImage on the copy it makes (docs/emulator-fidelity.md, "Authorisation"): the
configured regions' images are granted CopyImage too, with TagResource for the tags the copy
gets, without a tag condition (the copy has no tag yet to check; the source's is checked).

The exported AMI's distribution (`ami_distribution_statements`) is EC2's: CopyImage is started in
the destination region and authorised on the source AMI and on the copy and its snapshots (EC2 User
Guide, "Grant permissions to copy Amazon EC2 AMIs"; resource-level on the source since October
2024); the copy's tags come with CopyImage (TagSpecifications), so CreateTags holds only for
CopyImage (`ec2:CreateAction`). Sharing, deregistering and deleting snapshots hold only for this
stage's AMIs and snapshots, which carry the run's tags (the export's TagSpecifications, the copy's).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.permissions import appstream_arn, image_arn_in, ownership_condition

COPY = "appstream:CopyImage"
SHARING = ("appstream:UpdateImagePermissions", "appstream:DeleteImagePermissions")


def distribution_statements(
    scope: Construct, stage: str, regions: Sequence[str]
) -> list[iam.PolicyStatement]:
    own = ownership_condition(("image",), stage)
    statements = [
        iam.PolicyStatement(
            actions=[COPY, *SHARING], resources=[appstream_arn(scope, "image")], conditions=own
        )
    ]
    elsewhere = [image_arn_in(scope, region) for region in dict.fromkeys(regions)]
    if elsewhere:
        statements += [
            *copy_statements(scope, stage, regions, SHARING),
            iam.PolicyStatement(actions=[COPY, "appstream:TagResource"], resources=elsewhere),
        ]
    return statements


def copy_statements(
    scope: Construct, stage: str, regions: Sequence[str], actions: Sequence[str] = ()
) -> list[iam.PolicyStatement]:
    """DeleteImage (and `actions`) on this stage's copies in `regions`: a failed distribution's cleanup,
    and retention, which deletes an image's copies with it."""
    elsewhere = [image_arn_in(scope, region) for region in dict.fromkeys(regions)]
    if not elsewhere:
        return []
    own = ownership_condition(("image",), stage)
    return [
        iam.PolicyStatement(actions=[*actions, "appstream:DeleteImage"], resources=elsewhere, conditions=own)
    ]


def ami_distribution_statements(
    scope: Construct, stage: str, regions: Sequence[str]
) -> list[iam.PolicyStatement]:
    own = ownership_condition(("image",), stage)
    elsewhere = list(dict.fromkeys(regions))
    images = [ec2_arn_in(scope, region, "image") for region in elsewhere]
    snapshots = [ec2_arn_in(scope, region, "snapshot") for region in elsewhere]
    statements = [
        iam.PolicyStatement(
            actions=["ec2:ModifyImageAttribute"],
            resources=[ec2_arn_in(scope, None, "image"), *images],
            conditions=own,
        )
    ]
    if elsewhere:
        copying = {"StringEquals": {"ec2:CreateAction": "CopyImage"}}
        statements += [
            iam.PolicyStatement(
                actions=["ec2:CopyImage"], resources=[ec2_arn_in(scope, None, "image")], conditions=own
            ),
            iam.PolicyStatement(actions=["ec2:CopyImage"], resources=[*images, *snapshots]),
            iam.PolicyStatement(
                actions=["ec2:CreateTags"], resources=[*images, *snapshots], conditions=copying
            ),
            *ami_copy_statements(scope, stage, elsewhere),
        ]
    return statements


def ami_copy_statements(scope: Construct, stage: str, regions: Sequence[str]) -> list[iam.PolicyStatement]:
    """Deregister this stage's copies of exported AMIs in `regions` and delete their snapshots: a failed
    AMI distribution's cleanup, and retention, which removes an AMI's copies with it."""
    elsewhere = list(dict.fromkeys(regions))
    if not elsewhere:
        return []
    own = ownership_condition(("image",), stage)
    return [
        iam.PolicyStatement(
            actions=["ec2:DeregisterImage"],
            resources=[ec2_arn_in(scope, region, "image") for region in elsewhere],
            conditions=own,
        ),
        iam.PolicyStatement(
            actions=["ec2:DeleteSnapshot"],
            resources=[ec2_arn_in(scope, region, "snapshot") for region in elsewhere],
            conditions=own,
        ),
    ]


def ec2_arn_in(scope: Construct, region: str | None, resource_type: str) -> str:
    """Every AMI or snapshot in `region` (None: the stack's); their ARNs carry no account."""
    return Stack.of(scope).format_arn(
        service="ec2", region=region, account="", resource=resource_type, resource_name="*"
    )
