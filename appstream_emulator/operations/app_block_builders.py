"""App block builders: create, describe, update, start, stop, delete."""

from __future__ import annotations

from typing import Any

from ..domain.account import Account
from ..domain.app_block_builder_lifecycle import begin_start, begin_stop
from ..domain.catalog import APP_BLOCK_BUILDER_INSTANCE_TYPES
from ..domain.resources import AppBlockBuilder
from ..errors import AppStreamError
from . import render
from .paging import page
from .registry import operation
from .validation import documented_violation, out_of_range

DESCRIBE_PAGE = 25
STORED_ATTRIBUTES = (
    "DisplayName",
    "Description",
    "EnableDefaultInternetAccess",
    "IamRoleArn",
    "VpcConfig",
    "AccessEndpoints",
    "DisableIMDSV1",
)
DELETABLE = {"IAM_ROLE_ARN": "IamRoleArn", "ACCESS_ENDPOINTS": "AccessEndpoints"}
MIN_SUBNETS = 2  # "at least two subnets in different availability zones" (seed l.1032, l.6627)
MAX_PAGE = 25  # "The maximum value is 25." (seed l.4027); the model gives MaxResults no maximum


def _builder(account: Account, name: str) -> AppBlockBuilder:
    builder = account.app_block_builders.get(name)
    if builder is None:
        raise AppStreamError("ResourceNotFoundException", f"The app block builder {name} does not exist.")
    return builder


def _check_instance_type(instance_type: str) -> None:
    if instance_type not in APP_BLOCK_BUILDER_INSTANCE_TYPES:
        raise AppStreamError(
            "InvalidParameterCombinationException",
            f"The instance type {instance_type} is not available for app block builders.",
        )


def _check_platform(platform: str) -> None:
    # "WINDOWS_SERVER_2019 is the only valid value." (seed l.6599); CreateAppBlockBuilder's model enum
    # already says so, UpdateAppBlockBuilder's Platform takes every platform.
    if platform != "WINDOWS_SERVER_2019":
        raise AppStreamError(
            "InvalidParameterCombinationException",
            "WINDOWS_SERVER_2019 is the only platform of app block builders.",
        )


def _check_subnets(vpc: dict[str, Any]) -> None:
    subnets = vpc.get("SubnetIds") or []
    if len(subnets) < MIN_SUBNETS:
        raise documented_violation(
            "VpcConfig.SubnetIds", subnets, f"have length greater than or equal to {MIN_SUBNETS}"
        )


@operation("CreateAppBlockBuilder")
def create_app_block_builder(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    _check_instance_type(params["InstanceType"])
    _check_subnets(params["VpcConfig"])
    account.check_role(params.get("IamRoleArn"))
    if name in account.app_block_builders:
        raise AppStreamError(
            "ResourceAlreadyExistsException", f"The app block builder {name} already exists."
        )
    quota = account.scenario.quotas.app_block_builders
    if len(account.app_block_builders) >= quota:
        raise AppStreamError(
            "LimitExceededException", f"The number of app block builders has reached its limit ({quota})."
        )
    builder = AppBlockBuilder(
        name=name,
        arn=account.arn("app-block-builder", name),
        created=account.now,
        state="STOPPED",
        tags=dict(params.get("Tags") or {}),
        platform=params["Platform"],
        instance_type=params["InstanceType"],
        attributes={key: params[key] for key in STORED_ATTRIBUTES if params.get(key) is not None},
    )
    account.app_block_builders[name] = builder
    return {"AppBlockBuilder": render.app_block_builder(builder)}


@operation("DescribeAppBlockBuilders")
def describe_app_block_builders(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    names = params.get("Names")
    builders = [_builder(account, n) for n in names] if names else list(account.app_block_builders.values())
    size = params.get("MaxResults") or DESCRIBE_PAGE
    if size > MAX_PAGE:
        raise out_of_range("MaxResults", size, 1, MAX_PAGE)
    chunk, token = page(builders, "DescribeAppBlockBuilders", params.get("NextToken"), size)
    result: dict[str, Any] = {"AppBlockBuilders": [render.app_block_builder(b) for b in chunk]}
    if token:
        result["NextToken"] = token
    return result


@operation("UpdateAppBlockBuilder")
def update_app_block_builder(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    builder = _builder(account, params["Name"])
    if builder.state in ("STARTING", "STOPPING"):
        raise AppStreamError(
            "ConcurrentModificationException", f"The app block builder {builder.name} is {builder.state}."
        )
    changes = {key for key, value in params.items() if key != "Name" and value is not None}
    if builder.state == "RUNNING" and changes - {"DisplayName", "Description"}:
        raise AppStreamError(
            "ResourceInUseException",
            f"The app block builder {builder.name} is RUNNING; only DisplayName and Description can change.",
        )
    if params.get("Platform") is not None:
        _check_platform(params["Platform"])
    if params.get("InstanceType") is not None:
        _check_instance_type(params["InstanceType"])
    if params.get("VpcConfig") is not None:
        _check_subnets(params["VpcConfig"])
    if params.get("InstanceType") is not None:
        builder.instance_type = params["InstanceType"]
    account.check_role(params.get("IamRoleArn"))
    for attribute in params.get("AttributesToDelete") or []:
        if attribute == "VPC_CONFIGURATION_SECURITY_GROUP_IDS":
            vpc = builder.attributes.get("VpcConfig") or {}
            builder.attributes["VpcConfig"] = {k: v for k, v in vpc.items() if k != "SecurityGroupIds"}
        else:
            builder.attributes.pop(DELETABLE[attribute], None)
    for key in STORED_ATTRIBUTES:
        if params.get(key) is not None:
            builder.attributes[key] = params[key]
    return {"AppBlockBuilder": render.app_block_builder(builder)}


@operation("StartAppBlockBuilder")
def start_app_block_builder(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    builder = _builder(account, params["Name"])
    # "An app block builder can only be started when it's associated with an app block." (seed l.5440)
    if builder.state == "STOPPED" and builder.app_block_arn is None:
        raise AppStreamError(
            "OperationNotPermittedException",
            f"The app block builder {builder.name} has no app block associated with it.",
        )
    _check_settles(builder, "RUNNING", "is already RUNNING")
    begin_start(account, builder)
    return {"AppBlockBuilder": render.app_block_builder(builder)}


@operation("StopAppBlockBuilder")
def stop_app_block_builder(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    builder = _builder(account, params["Name"])
    _check_settles(builder, "STOPPED", "is STOPPED")
    begin_stop(account, builder)
    return {"AppBlockBuilder": render.app_block_builder(builder)}


def _check_settles(builder: AppBlockBuilder, settled: str, refusal: str) -> None:
    """A start or stop is refused mid-change, or when the builder is already `settled`."""
    if builder.state in ("STARTING", "STOPPING"):
        raise AppStreamError(
            "ConcurrentModificationException", f"The app block builder {builder.name} is {builder.state}."
        )
    if builder.state == settled:
        raise AppStreamError(
            "OperationNotPermittedException", f"The app block builder {builder.name} {refusal}."
        )


@operation("DeleteAppBlockBuilder")
def delete_app_block_builder(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    builder = _builder(account, params["Name"])
    if builder.state in ("STARTING", "STOPPING"):
        raise AppStreamError(
            "ConcurrentModificationException", f"The app block builder {builder.name} is {builder.state}."
        )
    if builder.state == "RUNNING":
        raise AppStreamError(
            "OperationNotPermittedException",
            f"The app block builder {builder.name} is RUNNING; stop it first.",
        )
    # "An app block builder can only be deleted when it has no association with an app block." (model)
    if builder.app_block_arn is not None:
        raise AppStreamError(
            "ResourceInUseException", f"The app block builder {builder.name} is associated with an app block."
        )
    del account.app_block_builders[builder.name]
    return {}
