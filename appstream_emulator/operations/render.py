"""Resources as the API returns them: botocore's Python shapes, without empty members."""

from __future__ import annotations

from typing import Any

from ..domain.catalog import AGENT_VERSION, CUSTOM_INSTANCE_FAMILIES, NATIVE_INSTANCE_FAMILIES
from ..domain.resources import AppBlockBuilder, ExportTask, Fleet, Image, ImageBuilder
from ..domain.timeline import timestamp


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None and value != []}


def image(item: Image) -> dict[str, Any]:
    return _compact(
        {
            "Name": item.name,
            "Arn": item.arn,
            "BaseImageArn": item.base_image_arn,
            "DisplayName": item.display_name,
            "State": item.state,
            "Visibility": item.visibility,
            "ImageBuilderSupported": item.allow_image_builder,
            "ImageBuilderName": item.image_builder_name,
            "Platform": item.platform,
            "Description": item.description,
            "StateChangeReason": item.state_reason,
            "Applications": item.applications,
            "CreatedTime": timestamp(item.created),
            "PublicBaseImageReleasedDate": timestamp(item.released) if item.released is not None else None,
            "AppstreamAgentVersion": item.agent_version,
            "ImagePermissions": None
            if item.visibility == "PUBLIC"
            else {"allowFleet": True, "allowImageBuilder": item.allow_image_builder},
            "ImageErrors": item.errors,
            "LatestAppstreamAgentVersion": "TRUE" if item.agent_version == AGENT_VERSION else "FALSE",
            "SupportedInstanceFamilies": CUSTOM_INSTANCE_FAMILIES
            if item.imported
            else NATIVE_INSTANCE_FAMILIES,
            "DynamicAppProvidersEnabled": "DISABLED",
            "ImageSharedWithOthers": ("TRUE" if item.shared_with else "FALSE") if item.owned else None,
            "ManagedSoftwareIncluded": bool(item.managed_software),
            "ImageType": item.image_type,
        }
    )


def image_builder(item: ImageBuilder) -> dict[str, Any]:
    return _compact(
        {
            "Name": item.name,
            "Arn": item.arn,
            "ImageArn": item.image_arn,
            "Description": item.description,
            "DisplayName": item.display_name,
            "VpcConfig": item.vpc_config,
            "InstanceType": item.instance_type,
            "Platform": item.platform,
            "IamRoleArn": item.iam_role_arn,
            "State": item.state,
            "StateChangeReason": item.state_reason,
            "CreatedTime": timestamp(item.created),
            "EnableDefaultInternetAccess": item.enable_default_internet_access,
            "DomainJoinInfo": item.domain_join_info,
            "NetworkAccessConfiguration": item.network_access,
            "ImageBuilderErrors": item.errors,
            "AppstreamAgentVersion": item.agent_version,
            "AccessEndpoints": item.access_endpoints,
            "RootVolumeConfig": {"VolumeSizeInGb": item.root_volume_gb}
            if item.root_volume_gb is not None
            else None,
            "LatestAppstreamAgentVersion": "TRUE" if item.agent_version == AGENT_VERSION else "FALSE",
            "DisableIMDSV1": item.disable_imdsv1,
        }
    )


def export_task(item: ExportTask) -> dict[str, Any]:
    return _compact(
        {
            "TaskId": item.task_id,
            "ImageArn": item.image_arn,
            "AmiName": item.ami_name,
            "CreatedDate": timestamp(item.created),
            "AmiDescription": item.ami_description,
            "State": item.state,
            "AmiId": item.ami_id,
            "TagSpecifications": item.tags or None,
            "ErrorDetails": item.error_details,
        }
    )


def fleet(item: Fleet) -> dict[str, Any]:
    running = item.desired if item.state == "RUNNING" else 0
    return _compact(
        {
            "Arn": item.arn,
            "Name": item.name,
            "ImageName": item.image_name,
            "ImageArn": item.image_arn,
            "InstanceType": item.instance_type,
            "FleetType": item.fleet_type,
            "ComputeCapacityStatus": {
                "Desired": item.desired,
                "Running": running,
                "InUse": 0,
                "Available": running,
            },
            "State": item.state,
            "CreatedTime": timestamp(item.created),
            "RootVolumeConfig": {"VolumeSizeInGb": item.root_volume_gb}
            if item.root_volume_gb is not None
            else None,
            "FleetErrors": list(item.errors) or None,
            **item.attributes,
        }
    )


def app_block_builder(item: AppBlockBuilder) -> dict[str, Any]:
    return _compact(
        {
            "Arn": item.arn,
            "Name": item.name,
            "Platform": item.platform,
            "InstanceType": item.instance_type,
            "State": item.state,
            "CreatedTime": timestamp(item.created),
            **item.attributes,
        }
    )
