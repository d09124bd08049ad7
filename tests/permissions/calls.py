"""The IAM request an AWS call makes: action, resource ARNs and the condition keys it carries.

Only the operations the functions use are known; any other operation raises, so a new call
is mapped (and checked) before a test can pass with it. Resource tags come from the state the
call is about to act on (the AppStream emulator's account, moto's EC2), read before the call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from appstream_emulator import inprocess
from image_factory.local_engine.engine import ACCOUNT_ID, DEFAULT_REGION
from tests.permissions.policy_check import Context


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Context


def _appstream_resource(kind: str, name: str, region: str = DEFAULT_REGION) -> tuple[str, dict[str, str]]:
    """ARN and tags of an AppStream resource in `region` (AWS's own images carry no account in their ARN)."""
    emulator = inprocess._current()
    account = emulator._accounts.get(region) if emulator is not None else None
    found = None
    if account is not None:
        by_kind = {"image": account.images, "image-builder": account.builders, "fleet": account.fleets}
        found = by_kind[kind].get(name)
    if found is not None:
        return found.arn, dict(found.tags)
    return f"arn:aws:appstream:{region}:{ACCOUNT_ID}:{kind}/{name}", {}


def _by_arn(arn: str) -> dict[str, str]:
    region = arn.split(":", 5)[3]
    kind, _, name = arn.split(":", 5)[5].partition("/")
    return _appstream_resource(kind, name, region)[1]


# operation -> (kind, parameter naming the resource) for every AppStream resource it acts on
_APPSTREAM = {
    "CreateImageBuilder": [("image-builder", "Name"), ("image", "ImageName")],
    "StartImageBuilder": [("image-builder", "Name")],
    "StopImageBuilder": [("image-builder", "Name")],
    "DeleteImageBuilder": [("image-builder", "Name")],
    "DeleteImage": [("image", "Name")],
    "CreateUpdatedImage": [("image", "existingImageName"), ("image", "newImageName")],
    "UpdateFleet": [("fleet", "Name"), ("image", "ImageName")],
    "StartFleet": [("fleet", "Name")],
    "StopFleet": [("fleet", "Name")],
    "UpdateImagePermissions": [("image", "Name")],
    "DeleteImagePermissions": [("image", "Name")],
}
_APPSTREAM_UNSCOPED = {
    "CreateImportedImage",
    "DescribeImages",
    "DescribeImageBuilders",
    "CreateExportImageTask",
    "GetExportImageTask",
    "ListExportImageTasks",
    "ListTagsForResource",
    "DescribeFleets",
}
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_S3_ACTIONS = {"ListObjectsV2": "ListBucket", "ListObjects": "ListBucket", "HeadObject": "GetObject"}


def _table(name: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{DEFAULT_REGION}:{ACCOUNT_ID}:table/{name}"
    return f"{arn}/index/{index}" if index else arn


def _context(
    service: str,
    params: Mapping[str, Any],
    resource_tags: Callable[[], dict[str, str]] = dict,
    extra: Mapping[str, str] | None = None,
) -> Context:
    request_tags = params.get("Tags") or params.get("TagSpecifications")
    values: dict[str, str] = {"iam:PassedToService": f"{service}.amazonaws.com", **(extra or {})}
    if isinstance(request_tags, dict):
        values.update({f"aws:RequestTag/{key}": value for key, value in request_tags.items()})
    if "Prefix" in params:
        values["s3:prefix"] = params["Prefix"]

    def lookup(key: str) -> str | None:
        if key.startswith("aws:ResourceTag/"):
            # Read lazily, and only by a condition that names it; the call has not run yet.
            return resource_tags().get(key.removeprefix("aws:ResourceTag/"))
        return values.get(key)

    return lookup


def _ec2_tags(image_id: str, region: str) -> dict[str, str]:
    images = boto3.client("ec2", region_name=region).describe_images(ImageIds=[image_id])["Images"]
    return {tag["Key"]: tag["Value"] for image in images for tag in image.get("Tags", [])}


def _snapshot_tags(snapshot_id: str, region: str) -> dict[str, str]:
    ec2 = boto3.client("ec2", region_name=region)
    snapshots = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    return {tag["Key"]: tag["Value"] for snapshot in snapshots for tag in snapshot.get("Tags", [])}


def requests(
    service: str, operation: str, params: Mapping[str, Any], region: str | None = None
) -> list[Request]:
    """What IAM evaluates for one call (several requests where one call acts on several resources)
    made to `region` (the functions' own when None)."""
    region = region or DEFAULT_REGION
    found: list[Request] = []

    def add(
        action: str,
        resource: str,
        tags: Callable[[], dict[str, str]] = dict,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        found.append(Request(action, resource, _context(service, params, tags, extra)))

    for key, value in params.items():
        if key.endswith("RoleArn") and isinstance(value, str):  # handing AppStream a role
            found.append(Request("iam:PassRole", value, _context(service, params)))
    if service == "appstream":
        if operation in _APPSTREAM_UNSCOPED:
            add(f"appstream:{operation}", "*")
        elif operation == "TagResource":
            add("appstream:TagResource", params["ResourceArn"], lambda: _by_arn(params["ResourceArn"]))
        elif operation == "CopyImage":
            # The source image; and the copy in its region, where AWS may authorise it too (an
            # assumption, docs/emulator-fidelity.md): both must be allowed.
            arn, tags = _appstream_resource("image", params["SourceImageName"], region)
            add("appstream:CopyImage", arn, lambda: tags)
            copy, _ = _appstream_resource(
                "image", params["DestinationImageName"], params["DestinationRegion"]
            )
            add("appstream:CopyImage", copy)
        elif operation in _APPSTREAM:
            for kind, parameter in _APPSTREAM[operation]:
                if parameter in params:
                    arn, tags = _appstream_resource(kind, params[parameter], region)
                    add(f"appstream:{operation}", arn, lambda tags=tags: tags)
            if "ImageArn" in params:  # an image by ARN: maybe another account's, shared with this one
                add(f"appstream:{operation}", params["ImageArn"], dict)
        else:
            raise NotImplementedError(f"no IAM mapping for appstream:{operation}")
    elif service == "dynamodb" and operation == "TransactWriteItems":
        for item in params["TransactItems"]:
            ((kind, body),) = item.items()
            add(f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table(body["TableName"]))
    elif service == "dynamodb" and operation in {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"}:
        add(f"dynamodb:{operation}", _table(params["TableName"], params.get("IndexName")))
    elif service == "s3" and operation in {"GetObject", "PutObject", "DeleteObject", "HeadObject"}:
        add(f"s3:{_S3_ACTIONS.get(operation, operation)}", f"arn:aws:s3:::{params['Bucket']}/{params['Key']}")
    elif service == "s3" and operation in _S3_ACTIONS:
        add(f"s3:{_S3_ACTIONS[operation]}", f"arn:aws:s3:::{params['Bucket']}")
    elif service == "sns" and operation == "Publish":
        add("sns:Publish", params["TopicArn"])
    elif service == "events" and operation == "PutEvents":
        for entry in params["Entries"]:
            bus = entry.get("EventBusName", "default")
            add(
                "events:PutEvents",
                bus
                if bus.startswith("arn:")
                else f"arn:aws:events:{DEFAULT_REGION}:{ACCOUNT_ID}:event-bus/{bus}",
            )
    elif service == "lambda" and operation == "Invoke":
        name = params["FunctionName"]
        arn = (
            name
            if name.startswith("arn:")
            else f"arn:aws:lambda:{DEFAULT_REGION}:{ACCOUNT_ID}:function:{name}"
        )
        add("lambda:InvokeFunction", arn)
    elif service == "states" and operation in {"StartExecution", "ListExecutions"}:
        add(f"states:{operation}", params["stateMachineArn"])
    elif service == "states" and operation in {"DescribeExecution", "StopExecution", "GetExecutionHistory"}:
        add(f"states:{operation}", params["executionArn"])
    elif service == "ec2" and operation == "DescribeImages":
        add("ec2:DescribeImages", "*")
    elif service == "ec2" and operation in {"DeregisterImage", "ModifyImageAttribute"}:
        image = params["ImageId"]
        add(f"ec2:{operation}", f"arn:aws:ec2:{region}::image/{image}", lambda: _ec2_tags(image, region))
    elif service == "ec2" and operation == "DeleteSnapshot":
        # Snapshot ARNs carry no account (Service Authorization Reference, Amazon EC2 resource types).
        snapshot = params["SnapshotId"]
        add(
            "ec2:DeleteSnapshot",
            f"arn:aws:ec2:{region}::snapshot/{snapshot}",
            lambda: _snapshot_tags(snapshot, region),
        )
    elif service == "ec2" and operation == "CopyImage":
        # Started in the destination region; authorised on the source AMI, and on the copy and its
        # snapshots, which have no id yet (EC2 User Guide, "Grant permissions to copy Amazon EC2 AMIs").
        source, source_region = params["SourceImageId"], params["SourceRegion"]
        add(
            "ec2:CopyImage",
            f"arn:aws:ec2:{source_region}::image/{source}",
            lambda: _ec2_tags(source, source_region),
        )
        for kind in ("image", "snapshot"):
            add("ec2:CopyImage", f"arn:aws:ec2:{region}::{kind}/*")
        for spec in params.get("TagSpecifications") or []:  # tagging on create is CreateTags
            add(
                "ec2:CreateTags",
                f"arn:aws:ec2:{region}::{spec['ResourceType']}/*",
                extra={"ec2:CreateAction": "CopyImage"},
            )
    else:
        raise NotImplementedError(f"no IAM mapping for {service}:{operation}")
    return found
