"""Image builders: create, describe, start, stop, delete, streaming URL."""

from __future__ import annotations

from typing import Any

from ..domain.account import Account
from ..domain.builder_lifecycle import begin_create, begin_delete, begin_start, begin_stop
from ..domain.catalog import IMAGE_BUILDER_INSTANCE_TYPES, instance_type_allowed, is_ec2_family_type
from ..domain.resources import Image, ImageBuilder
from ..domain.volumes import check_floor
from ..errors import AppStreamError
from . import render
from .builder_requests import agent_version, check_builder_request, managed_software
from .paging import page
from .registry import operation

ROOT_VOLUME_GB = range(200, 501)
DESCRIBE_BUILDERS_PAGE = 25
SETTLED_BUILDER_STATES = ("RUNNING", "STOPPED", "FAILED")


def check_root_volume(params: dict[str, Any]) -> int | None:
    config = params.get("RootVolumeConfig")
    if config is None or config.get("VolumeSizeInGb") is None:
        return None
    size = int(config["VolumeSizeInGb"])
    if size not in ROOT_VOLUME_GB:
        raise AppStreamError(
            "InvalidParameterCombinationException",
            f"RootVolumeConfig.VolumeSizeInGb must be between 200 and 500 GB; got {size}.",
        )
    return size


def resolve_image(account: Account, params: dict[str, Any]) -> Image:
    """The image named by exactly one of ImageName and ImageArn."""
    name, arn = params.get("ImageName"), params.get("ImageArn")
    if (name is None) == (arn is None):
        raise AppStreamError(
            "InvalidParameterCombinationException", "Specify exactly one of ImageName and ImageArn."
        )
    return account.image_by_name(name) if name is not None else account.image_by_arn(str(arn))


def check_instance_type(instance_type: str, offered: frozenset[str], image: Image, what: str) -> None:
    if instance_type_allowed(instance_type, offered, image.imported):
        return
    if is_ec2_family_type(instance_type):
        raise AppStreamError(
            "IncompatibleImageException",
            f"The instance type {instance_type} needs an imported (CUSTOM or BYOL) image; {image.name} is "
            f"{image.image_type}.",
        )
    raise AppStreamError(
        "InvalidParameterCombinationException",
        f"The instance type {instance_type} is not available for {what}.",
    )


@operation("CreateImageBuilder")
def create_image_builder(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    image = resolve_image(account, params)
    if image.state in ("FAILED", "PENDING", "CREATING", "COPYING", "DELETING"):
        raise AppStreamError(
            "ResourceNotAvailableException", f"The image {image.name} is {image.state} and cannot be used."
        )
    if not image.allow_image_builder:
        raise AppStreamError(
            "OperationNotPermittedException",
            f"The image {image.name} is shared by {image.owner} without permission to start image builders.",
        )
    check_instance_type(params["InstanceType"], IMAGE_BUILDER_INSTANCE_TYPES, image, "image builders")
    check_builder_request(params)
    root_volume_gb = check_root_volume(params)
    check_floor(image, root_volume_gb, f"the image builder {name}")
    account.check_role(params.get("IamRoleArn"))
    if name in account.builders:
        raise AppStreamError("ResourceAlreadyExistsException", f"The image builder {name} already exists.")
    quota = account.scenario.quotas.image_builders
    if len(account.builders) >= quota:
        raise AppStreamError(
            "LimitExceededException",
            f"The number of image builders in this account has reached its limit ({quota}).",
        )
    builder = ImageBuilder(
        name=name,
        arn=account.arn("image-builder", name),
        created=account.now,
        state="PENDING",
        tags=dict(params.get("Tags") or {}),
        image_arn=image.arn,
        instance_type=params["InstanceType"],
        platform=image.platform,
        description=params.get("Description") or None,
        display_name=params.get("DisplayName") or None,
        vpc_config=params.get("VpcConfig"),
        iam_role_arn=params.get("IamRoleArn"),
        enable_default_internet_access=params.get("EnableDefaultInternetAccess"),
        domain_join_info=params.get("DomainJoinInfo"),
        agent_version=agent_version(params.get("AppstreamAgentVersion")),
        access_endpoints=params.get("AccessEndpoints"),
        root_volume_gb=root_volume_gb,
        disable_imdsv1=params.get("DisableIMDSV1"),
        managed_software=managed_software(image, params),
    )
    begin_create(account, builder)
    return {"ImageBuilder": render.image_builder(builder)}


@operation("DescribeImageBuilders")
def describe_image_builders(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    names = params.get("Names")
    builders = [account.builder(name) for name in names] if names else list(account.builders.values())
    size = params.get("MaxResults") or DESCRIBE_BUILDERS_PAGE
    chunk, token = page(builders, "DescribeImageBuilders", params.get("NextToken"), size)
    result: dict[str, Any] = {"ImageBuilders": [render.image_builder(builder) for builder in chunk]}
    if token:
        result["NextToken"] = token
    return result


def _busy(builder: ImageBuilder, action: str) -> AppStreamError:
    return AppStreamError(
        "ConcurrentModificationException",
        f"The image builder {builder.name} is {builder.state}; it cannot be {action} until it settles.",
    )


@operation("StartImageBuilder")
def start_image_builder(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    builder = account.builder(params["Name"])
    if builder.state not in SETTLED_BUILDER_STATES:
        raise _busy(builder, "started")
    if builder.state != "STOPPED":
        raise AppStreamError(
            "ResourceNotAvailableException",
            f"The image builder {builder.name} is {builder.state}; only a STOPPED one can be started.",
        )
    image = next((i for i in account.images.values() if i.arn == builder.image_arn), None)
    if image is None or image.state == "FAILED":
        raise AppStreamError(
            "ResourceNotAvailableException", f"The image of image builder {builder.name} is gone."
        )
    if params.get("AppstreamAgentVersion"):
        builder.agent_version = agent_version(params["AppstreamAgentVersion"])
    begin_start(account, builder, account.now)
    return {"ImageBuilder": render.image_builder(builder)}


@operation("StopImageBuilder")
def stop_image_builder(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    builder = account.builder(params["Name"])
    if builder.state not in SETTLED_BUILDER_STATES:
        raise _busy(builder, "stopped")
    if builder.state != "RUNNING":
        raise AppStreamError(
            "OperationNotPermittedException",
            f"The image builder {builder.name} is {builder.state}; only a RUNNING one can be stopped.",
        )
    begin_stop(account, builder, account.now)
    return {"ImageBuilder": render.image_builder(builder)}


@operation("DeleteImageBuilder")
def delete_image_builder(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    builder = account.builder(params["Name"])
    if builder.state not in SETTLED_BUILDER_STATES:
        raise _busy(builder, "deleted")
    if builder.state == "RUNNING":
        raise AppStreamError(
            "OperationNotPermittedException",
            f"The image builder {builder.name} is RUNNING; stop it before deleting it.",
        )
    begin_delete(account, builder, account.now)
    return {"ImageBuilder": render.image_builder(builder)}


@operation("CreateImageBuilderStreamingURL")
def create_image_builder_streaming_url(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    builder = account.builder(params["Name"])
    if builder.state != "RUNNING":
        raise AppStreamError(
            "OperationNotPermittedException",
            f"The image builder {builder.name} is {builder.state}, not RUNNING.",
        )
    validity = params.get("Validity") or 3600
    if not 1 <= validity <= 604800:
        raise AppStreamError("ValidationException", "Validity must be between 1 and 604800 seconds.")
    token = account.random.token()
    return {
        "StreamingURL": f"https://appstream2.{account.region}.aws.amazon.com/authenticate?parameters={token}",
        "Expires": render.timestamp(account.now + validity),
    }
