"""What the account holds, for retention: images, fleets, image builders (AppStream), exported AMIs (EC2)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.core import appstream, clients, names
from functions.core.errors import AmiRequestRejected, classify_dependency, error_code, error_message


def listed(action: str, operation: Callable[..., Any], key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated AppStream Describe* call."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = appstream.call(action, operation, **params, **({"NextToken": token} if token else {}))
        items += [dict(item) for item in page.get(key, [])]
        token = page.get("NextToken")
        if not token:
            return items


def private_images() -> list[dict[str, Any]]:
    client = clients.appstream()
    return listed("DescribeImages (private)", client.describe_images, "Images", Type="PRIVATE", MaxResults=25)


def fleets() -> list[dict[str, Any]]:
    return listed("DescribeFleets", clients.appstream().describe_fleets, "Fleets")


def image_builders() -> list[dict[str, Any]]:
    return listed("DescribeImageBuilders", clients.appstream().describe_image_builders, "ImageBuilders")


def image_users(
    fleet_list: Iterable[dict[str, Any]], builders: Iterable[dict[str, Any]]
) -> dict[str, list[str]]:
    """Image ARN or name -> the fleets and builders that use it ("fleet web", "builder b1")."""
    users: dict[str, list[str]] = {}
    for fleet in fleet_list:
        for key in {fleet.get("ImageArn"), fleet.get("ImageName")} - {None}:
            users.setdefault(str(key), []).append(f"fleet {fleet['Name']}")
    for builder in builders:
        if builder.get("ImageArn"):
            users.setdefault(str(builder["ImageArn"]), []).append(f"image builder {builder['Name']}")
    return users


def exported_amis(pipelines: Iterable[str], region: str | None = None) -> list[dict[str, Any]]:
    """This account's AMIs tagged with one of the pipelines (every export tags its AMI so, and the AMI
    distribution each copy) in `region` (None: the function's own)."""
    return ec2_call(
        "DescribeImages" + (f" in {region}" if region else ""),
        clients.ec2_in(region).describe_images,
        Owners=["self"],
        Filters=[{"Name": f"tag:{names.TAG_PIPELINE}", "Values": list(pipelines)}],
    ).get("Images", [])


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    """An EC2 resource's tags as a mapping (EC2 lists them as Key/Value pairs)."""
    return {str(tag["Key"]): str(tag["Value"]) for tag in resource.get("Tags") or [] if "Key" in tag}


def tag_value(resource: dict[str, Any], key: str) -> str | None:
    """An EC2 resource's tag value (EC2 lists tags as Key/Value pairs)."""
    return next((str(tag["Value"]) for tag in resource.get("Tags") or [] if tag.get("Key") == key), None)


def ec2_call(action: str, operation: Callable[..., Any], **params: Any) -> dict[str, Any]:
    """One EC2 call: transient failures are retryable (DependencyUnavailable), refusals AmiRequestRejected."""
    try:
        return dict(operation(**params))
    except (ClientError, BotoCoreError) as error:
        classified = classify_dependency(error, action)
        if classified is not error:
            raise classified from error
        if isinstance(error, ClientError):
            raise AmiRequestRejected(f"{action}: {error_code(error)}: {error_message(error)}") from error
        raise


def ec2_code(error: BaseException) -> str | None:
    cause = error.__cause__
    return error_code(cause) if isinstance(cause, ClientError) else None


def deregister_ami(ami_id: str, snapshots: Iterable[str], region: str | None = None) -> None:
    """Deregister an AMI, then delete its snapshots (deregistering leaves them, and they bill on their
    own); what is already gone counts as done."""
    ec2 = clients.ec2_in(region)
    where = f" in {region}" if region else ""
    try:
        ec2_call(f"DeregisterImage {ami_id}{where}", ec2.deregister_image, ImageId=ami_id)
    except AmiRequestRejected as error:
        if not str(ec2_code(error)).startswith("InvalidAMIID"):
            raise
    for snapshot in snapshots:
        try:
            ec2_call(f"DeleteSnapshot {snapshot}{where}", ec2.delete_snapshot, SnapshotId=snapshot)
        except AmiRequestRejected as error:
            if ec2_code(error) != "InvalidSnapshot.NotFound":
                raise


def snapshots_of(ami: dict[str, Any]) -> list[str]:
    """The EBS snapshots an AMI is made of (DescribeImages' BlockDeviceMappings)."""
    return [
        str(mapping["Ebs"]["SnapshotId"])
        for mapping in ami.get("BlockDeviceMappings") or []
        if (mapping.get("Ebs") or {}).get("SnapshotId")
    ]
