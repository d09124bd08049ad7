"""Fleets: create, describe, update, start, stop, delete."""

from __future__ import annotations

from typing import Any

from ..domain.account import Account
from ..domain.catalog import ELASTIC_FLEET_INSTANCE_TYPES, FLEET_INSTANCE_TYPES
from ..domain.fleet_lifecycle import begin_start, begin_stop, change_image
from ..domain.resources import Fleet, Image
from ..domain.volumes import DEFAULT_ROOT_VOLUME_GB, check_floor
from ..errors import AppStreamError
from . import render
from .fleet_requests import check_fleet_update, check_new_fleet
from .image_builders import check_instance_type, check_root_volume, resolve_image
from .paging import page
from .registry import operation

DESCRIBE_PAGE = 50
# Request members kept as given and returned unchanged in the Fleet shape.
STORED_ATTRIBUTES = (
    "DisplayName",
    "Description",
    "VpcConfig",
    "MaxUserDurationInSeconds",
    "DisconnectTimeoutInSeconds",
    "EnableDefaultInternetAccess",
    "DomainJoinInfo",
    "IdleDisconnectTimeoutInSeconds",
    "IamRoleArn",
    "StreamView",
    "Platform",
    "MaxConcurrentSessions",
    "UsbDeviceFilterStrings",
    "SessionScriptS3Location",
    "MaxSessionsPerInstance",
    "DisableIMDSV1",
)
# UpdateFleet AttributesToDelete -> what each one removes.
DELETABLE = {
    "VPC_CONFIGURATION": ("VpcConfig",),
    "VPC_CONFIGURATION_SECURITY_GROUP_IDS": ("VpcConfig.SecurityGroupIds",),
    "DOMAIN_JOIN_INFO": ("DomainJoinInfo",),
    "IAM_ROLE_ARN": ("IamRoleArn",),
    "USB_DEVICE_FILTER_STRINGS": ("UsbDeviceFilterStrings",),
    "SESSION_SCRIPT_S3_LOCATION": ("SessionScriptS3Location",),
    "MAX_SESSIONS_PER_INSTANCE": ("MaxSessionsPerInstance",),
    "VOLUME_CONFIGURATION": ("RootVolumeConfig",),
}
# What a RUNNING fleet lets UpdateFleet change (everything else needs it STOPPED).
RUNNING_UPDATABLE = {
    "ALWAYS_ON": {
        "DisplayName",
        "ComputeCapacity",
        "ImageArn",
        "ImageName",
        "IdleDisconnectTimeoutInSeconds",
        "DisconnectTimeoutInSeconds",
    },
    "ON_DEMAND": {
        "DisplayName",
        "ComputeCapacity",
        "ImageArn",
        "ImageName",
        "IdleDisconnectTimeoutInSeconds",
        "DisconnectTimeoutInSeconds",
    },
    "ELASTIC": {
        "DisplayName",
        "IdleDisconnectTimeoutInSeconds",
        "DisconnectTimeoutInSeconds",
        "MaxConcurrentSessions",
        "SessionScriptS3Location",
        "UsbDeviceFilterStrings",
    },
}


def _fleet(account: Account, name: str) -> Fleet:
    fleet = account.fleets.get(name)
    if fleet is None:
        raise AppStreamError("ResourceNotFoundException", f"The fleet {name} does not exist.")
    return fleet


def _usable_image(account: Account, params: dict[str, Any], instance_type: str, fleet_type: str) -> Image:
    image = resolve_image(account, params)
    if image.state != "AVAILABLE":
        raise AppStreamError(
            "ResourceNotAvailableException", f"The image {image.name} is {image.state}, not AVAILABLE."
        )
    offered = ELASTIC_FLEET_INSTANCE_TYPES if fleet_type == "ELASTIC" else FLEET_INSTANCE_TYPES
    check_instance_type(instance_type, offered, image, f"{fleet_type} fleets")
    return image


@operation("CreateFleet")
def create_fleet(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    fleet_type = params.get("FleetType") or "ON_DEMAND"
    instance_type = params["InstanceType"]
    check_new_fleet(params, fleet_type)
    image: Image | None = None
    if fleet_type != "ELASTIC" or params.get("ImageName") or params.get("ImageArn"):
        image = _usable_image(account, params, instance_type, fleet_type)
    elif instance_type not in ELASTIC_FLEET_INSTANCE_TYPES:
        raise AppStreamError(
            "InvalidParameterCombinationException",
            f"The instance type {instance_type} is not available for ELASTIC fleets.",
        )
    root_volume_gb = check_root_volume(params)
    if image is not None:
        check_floor(image, root_volume_gb, f"the fleet {name}")
    account.check_role(params.get("IamRoleArn"))
    if name in account.fleets:
        raise AppStreamError("ResourceAlreadyExistsException", f"The fleet {name} already exists.")
    if len(account.fleets) >= account.scenario.quotas.fleets:
        raise AppStreamError(
            "LimitExceededException",
            f"The number of fleets has reached its limit ({account.scenario.quotas.fleets}).",
        )
    capacity = params.get("ComputeCapacity") or {}
    attributes = {key: params[key] for key in STORED_ATTRIBUTES if params.get(key) is not None}
    if image is not None:
        attributes.setdefault("Platform", image.platform)
    fleet = Fleet(
        name=name,
        arn=account.arn("fleet", name),
        created=account.now,
        state="STOPPED",
        tags=dict(params.get("Tags") or {}),
        image_name=image.name if image else None,
        image_arn=image.arn if image else None,
        instance_type=instance_type,
        fleet_type=fleet_type,
        desired=capacity.get("DesiredInstances") or capacity.get("DesiredSessions") or 1,
        attributes=attributes,
        root_volume_gb=root_volume_gb,
    )
    account.fleets[name] = fleet
    return {"Fleet": render.fleet(fleet)}


@operation("DescribeFleets")
def describe_fleets(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    names = params.get("Names")
    fleets = [_fleet(account, name) for name in names] if names else list(account.fleets.values())
    chunk, token = page(fleets, "DescribeFleets", params.get("NextToken"), DESCRIBE_PAGE)
    result: dict[str, Any] = {"Fleets": [render.fleet(fleet) for fleet in chunk]}
    if token:
        result["NextToken"] = token
    return result


@operation("UpdateFleet")
def update_fleet(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("Name"):
        raise AppStreamError("InvalidParameterCombinationException", "Name is required to update a fleet.")
    fleet = _fleet(account, params["Name"])
    if fleet.state in ("STARTING", "STOPPING"):
        raise AppStreamError(
            "ConcurrentModificationException",
            f"The fleet {fleet.name} is {fleet.state} and cannot be updated now.",
        )
    changes = {key for key, value in params.items() if key != "Name" and value is not None}
    if fleet.state == "RUNNING":
        refused = sorted(changes - RUNNING_UPDATABLE[fleet.fleet_type])
        if refused:
            raise AppStreamError(
                "OperationNotPermittedException",
                f"The fleet {fleet.name} is RUNNING; stop it to change {', '.join(refused)}.",
            )
    check_fleet_update(params, fleet.fleet_type, fleet.attributes)
    deleting = set(params.get("AttributesToDelete") or [])
    if "VOLUME_CONFIGURATION" in deleting and params.get("RootVolumeConfig"):
        raise AppStreamError(
            "InvalidParameterCombinationException",
            "RootVolumeConfig cannot be set and deleted in one request.",
        )
    root_volume_gb = check_root_volume(params)
    instance_type = params.get("InstanceType") or fleet.instance_type
    image: Image | None = None
    if params.get("ImageName") or params.get("ImageArn"):
        image = _usable_image(account, params, instance_type, fleet.fleet_type)
    elif "InstanceType" in changes and fleet.image_arn:
        check_instance_type(
            instance_type, FLEET_INSTANCE_TYPES, account.image_by_arn(fleet.image_arn), "fleets"
        )
    _check_resulting_volume(account, fleet, image, root_volume_gb, deleting)
    account.check_role(params.get("IamRoleArn"))

    for attribute in sorted(deleting):
        for path in DELETABLE[attribute]:
            _remove(account, fleet, path)
    if params.get("DeleteVpcConfig"):
        fleet.attributes.pop("VpcConfig", None)
    for key in STORED_ATTRIBUTES:
        if params.get(key) is not None:
            fleet.attributes[key] = params[key]
    if image is not None:
        change_image(account, fleet, image)
    fleet.instance_type = instance_type
    if root_volume_gb is not None:
        fleet.root_volume_gb = root_volume_gb
    capacity = params.get("ComputeCapacity")
    if capacity:
        fleet.desired = capacity.get("DesiredInstances") or capacity.get("DesiredSessions") or fleet.desired
    return {"Fleet": render.fleet(fleet)}


def _deleted_root_volume(account: Account) -> int | None:
    """Gone, or read back as the seed's default size: an assumption (docs/emulator-fidelity.md)."""
    reads_default = account.scenario.assumptions.deleted_root_volume == "reads_as_default"
    return DEFAULT_ROOT_VOLUME_GB if reads_default else None


def _check_resulting_volume(
    account: Account, fleet: Fleet, image: Image | None, root_volume_gb: int | None, deleting: set[str]
) -> None:
    """The fleet's root volume after the update may not be below its image's volume size."""
    if root_volume_gb is None:
        deleted = "VOLUME_CONFIGURATION" in deleting
        root_volume_gb = _deleted_root_volume(account) if deleted else fleet.root_volume_gb
    if image is None and fleet.image_arn:
        image = account.image_by_arn(fleet.image_arn)  # a fleet's image cannot be deleted under it
    if image is not None:
        check_floor(image, root_volume_gb, f"the fleet {fleet.name}")


def _remove(account: Account, fleet: Fleet, path: str) -> None:
    if path == "RootVolumeConfig":
        fleet.root_volume_gb = _deleted_root_volume(account)
    elif path == "VpcConfig.SecurityGroupIds":
        vpc = fleet.attributes.get("VpcConfig")
        if vpc is not None:
            fleet.attributes["VpcConfig"] = {k: v for k, v in vpc.items() if k != "SecurityGroupIds"}
    else:
        fleet.attributes.pop(path, None)


@operation("StartFleet")
def start_fleet(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    fleet = _fleet(account, params["Name"])
    if fleet.state in ("STARTING", "STOPPING"):
        raise AppStreamError("ConcurrentModificationException", f"The fleet {fleet.name} is {fleet.state}.")
    if fleet.state == "RUNNING":
        raise AppStreamError("OperationNotPermittedException", f"The fleet {fleet.name} is already RUNNING.")
    if fleet.image_arn is not None:
        image = next((i for i in account.images.values() if i.arn == fleet.image_arn), None)
        if image is None or image.state != "AVAILABLE":
            raise AppStreamError(
                "ResourceNotAvailableException", f"The image of fleet {fleet.name} is not available."
            )
    begin_start(account, fleet)
    return {}


@operation("StopFleet")
def stop_fleet(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    fleet = _fleet(account, params["Name"])
    if fleet.state in ("STOPPED", "STOPPING"):
        return {}  # already on its way down: nothing to do
    begin_stop(account, fleet)
    return {}


@operation("DeleteFleet")
def delete_fleet(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    fleet = _fleet(account, params["Name"])
    if fleet.state != "STOPPED":
        raise AppStreamError(
            "ResourceInUseException", f"The fleet {fleet.name} is {fleet.state}; stop it first."
        )
    del account.fleets[fleet.name]
    return {}
