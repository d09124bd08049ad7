"""Images: import, describe, delete, managed updates."""

from __future__ import annotations

from typing import Any

from ..domain.account import Account
from ..domain.catalog import AGENT_VERSION, FLEET_INSTANCE_TYPES, instance_type_allowed
from ..domain.image_lifecycle import begin_delete, begin_import, begin_update
from ..domain.resources import Image
from ..domain.volumes import imported_volume_gb
from ..errors import AppStreamError
from ..scenario import DEFAULT_AMI_ROOT_VOLUME_GB
from . import render
from .paging import page
from .registry import operation
from .validation import missing_member

TRANSITIONAL_IMAGE_STATES = ("IMPORTING", "VALIDATING", "PENDING", "CREATING", "COPYING", "DELETING")
DESCRIBE_IMAGES_PAGE = 25
# The API reference gives 1-100 characters (seed l.49); botocore's pattern lets 101 through.
IMPORTED_NAME_MAX = 100


@operation("CreateImportedImage")
def create_imported_image(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    if len(name) > IMPORTED_NAME_MAX:
        raise AppStreamError(
            "ValidationException",
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
            f"Member must have length less than or equal to {IMPORTED_NAME_MAX}",
        )
    ami_id = _check_import_source(params)
    _check_intended_instance_type(params)
    account.check_role(params.get("IamRoleArn"))
    # A WorkSpaces image source names no AMI: its size is taken as a small AMI's.
    ami_root_volume_gb = (
        _check_source_ami(account, ami_id) if ami_id is not None else DEFAULT_AMI_ROOT_VOLUME_GB
    )
    if name in account.images:
        raise AppStreamError("ResourceAlreadyExistsException", f"The image {name} already exists.")
    account.check_image_quota()
    if params.get("DryRun"):
        raise AppStreamError(
            "DryRunOperationException", "Request would have succeeded, but DryRun flag is set."
        )

    # A WorkSpaces image is the customer's own Windows desktop licence: the model's type BYOL (the
    # seed's enum has only CUSTOM and NATIVE); its platform is an assumption (docs/emulator-fidelity.md).
    image_type, platform = ("CUSTOM", "WINDOWS_SERVER_2022") if ami_id is not None else ("BYOL", "WINDOWS_11")
    image = Image(
        name=name,
        arn=account.arn("image", name),
        created=account.now,
        state="IMPORTING",
        tags=dict(params.get("Tags") or {}),
        image_type=image_type,
        platform=platform,
        display_name=params.get("DisplayName") or None,
        description=params.get("Description") or None,
        source_ami_id=ami_id,
        agent_version=AGENT_VERSION,
        always_latest_agent=params.get("AgentSoftwareVersion") == "ALWAYS_LATEST",
        applications=[
            _application(app, account.now, platform) for app in params.get("AppCatalogConfig") or []
        ],
        volume_gb=imported_volume_gb(ami_root_volume_gb),
    )
    runtime_validation = bool((params.get("RuntimeValidationConfig") or {}).get("IntendedInstanceType"))
    begin_import(account, image, runtime_validation)
    return {"Image": render.image(image)}


def _check_import_source(params: dict[str, Any]) -> str | None:
    """SourceAmiId and IamRoleArn are [REQUIRED] in the API reference (seed l.57, l.67); the newer
    model makes both optional beside WorkspaceImageId, so one source is needed and a role with an AMI."""
    ami_id, workspace_image_id = params.get("SourceAmiId"), params.get("WorkspaceImageId")
    if ami_id is not None and workspace_image_id is not None:
        raise AppStreamError(
            "InvalidParameterCombinationException", "Specify exactly one of SourceAmiId and WorkspaceImageId."
        )
    if ami_id is None and workspace_image_id is None:
        raise missing_member("SourceAmiId")
    if ami_id is not None and params.get("IamRoleArn") is None:
        raise missing_member("IamRoleArn")
    return ami_id


def _check_intended_instance_type(params: dict[str, Any]) -> None:
    """Runtime validation runs on a type the imported (CUSTOM) image could stream on."""
    intended = (params.get("RuntimeValidationConfig") or {}).get("IntendedInstanceType")
    if intended is not None and not instance_type_allowed(intended, FLEET_INSTANCE_TYPES, custom_image=True):
        raise AppStreamError(
            "InvalidParameterCombinationException",
            f"RuntimeValidationConfig.IntendedInstanceType {intended} is not an instance type an imported "
            "image can use.",
        )


def _check_source_ami(account: Account, ami_id: str) -> int:
    """Refuse an AMI the scenario's catalogue lacks or marks incompatible; its root volume in GB."""
    catalogue = account.scenario.amis
    if catalogue is None:
        return DEFAULT_AMI_ROOT_VOLUME_GB
    ami = next((entry for entry in catalogue if entry.id == ami_id), None)
    if ami is None:
        raise AppStreamError(
            "ResourceNotFoundException", f"The AMI {ami_id} does not exist or is not shared with AppStream."
        )
    if not ami.compatible:
        reason = ami.reason or "it does not meet the requirements for image import"
        raise AppStreamError("IncompatibleImageException", f"The AMI {ami_id} cannot be imported: {reason}")
    return ami.root_volume_gb


def _application(app: dict[str, Any], now: float, platform: str) -> dict[str, Any]:
    entry = {
        "Name": app["Name"],
        "DisplayName": app.get("DisplayName") or app["Name"],
        "LaunchPath": app["AbsoluteAppPath"],
        "LaunchParameters": app.get("LaunchParameters"),
        "WorkingDirectory": app.get("WorkingDirectory"),
        "Enabled": True,
        "Platforms": [platform],
        "CreatedTime": render.timestamp(now),
    }
    return {key: value for key, value in entry.items() if value not in (None, "")}


@operation("DescribeImages")
def describe_images(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    names, arns = params.get("Names"), params.get("Arns")
    if names and arns:
        raise AppStreamError("InvalidParameterCombinationException", "Specify Names or Arns, not both.")
    if names:
        images = [account.image_by_name(name) for name in names]
    elif arns:
        images = [account.image_by_arn(arn) for arn in arns]
    else:
        images = list(account.images.values())
    if params.get("Type"):
        images = [image for image in images if image.visibility == params["Type"]]
    size = params.get("MaxResults") or DESCRIBE_IMAGES_PAGE
    chunk, token = page(images, "DescribeImages", params.get("NextToken"), size)
    result: dict[str, Any] = {"Images": [render.image(image) for image in chunk]}
    if token:
        result["NextToken"] = token
    return result


@operation("DeleteImage")
def delete_image(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    image = account.image_by_name(params["Name"])
    if not image.owned:
        raise AppStreamError("OperationNotPermittedException", f"The image {image.name} is {image.owner}'s.")
    users = [b.name for b in account.builders.values() if b.image_arn == image.arn]
    users += [f.name for f in account.fleets.values() if f.image_arn == image.arn]
    users += [
        t.task_id for t in account.exports.values() if t.image_arn == image.arn and t.state == "EXPORTING"
    ]
    if users:
        raise AppStreamError(
            "ResourceInUseException", f"The image {image.name} is in use by {', '.join(sorted(users))}."
        )
    if image.state in TRANSITIONAL_IMAGE_STATES:
        raise AppStreamError(
            "ConcurrentModificationException",
            f"The image {image.name} is {image.state}; try again when it settles.",
        )
    begin_delete(account, image)
    return {"Image": render.image(image)}


@operation("CreateUpdatedImage")
def create_updated_image(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    existing = account.image_by_name(params["existingImageName"])
    if not existing.owned:
        raise AppStreamError(
            "OperationNotPermittedException", f"The image {existing.name} is {existing.owner}'s."
        )
    if existing.state != "AVAILABLE":
        raise AppStreamError(
            "OperationNotPermittedException", f"The image {existing.name} is {existing.state}, not AVAILABLE."
        )
    # An image made by a managed update already carries the latest software.
    can_update = not existing.from_update
    if params.get("dryRun"):
        return {"image": render.image(existing), "canUpdateImage": can_update}
    if not can_update:
        raise AppStreamError(
            "OperationNotPermittedException", f"The image {existing.name} is already up to date."
        )
    new_name = params["newImageName"]
    if new_name in account.images:
        raise AppStreamError("ResourceAlreadyExistsException", f"The image {new_name} already exists.")
    in_progress = [i for i in account.images.values() if i.from_update and i.state == "PENDING"]
    if len(in_progress) >= account.scenario.quotas.concurrent_image_updates:
        raise AppStreamError(
            "LimitExceededException",
            f"{len(in_progress)} image updates are in progress; the limit is "
            f"{account.scenario.quotas.concurrent_image_updates}.",
        )
    account.check_image_quota()
    image = Image(
        name=new_name,
        arn=account.arn("image", new_name),
        created=account.now,
        state="PENDING",
        tags=dict(params.get("newImageTags") or {}),
        image_type=existing.image_type,
        platform=existing.platform,
        display_name=params.get("newImageDisplayName") or None,
        description=params.get("newImageDescription") or None,
        base_image_arn=existing.arn,
        agent_version=AGENT_VERSION,
        applications=list(existing.applications),
        released=existing.released,  # the base image's release date carries over (seed l.406)
        from_update=True,
        volume_gb=existing.volume_gb,
        managed_software=list(existing.managed_software),
    )
    begin_update(account, image)
    return {"image": render.image(image), "canUpdateImage": True}
