"""Images beyond their region and account: CopyImage, and the image permissions that share an image."""

from __future__ import annotations

import re
from typing import Any

from ..domain.account import Account
from ..domain.image_lifecycle import begin_copy
from ..domain.regions import appstream_regions
from ..domain.resources import Image
from ..errors import AppStreamError
from .paging import page
from .registry import operation

# "The 12-digit identifier of the AWS account" (API reference); the model's pattern is only ^\d+$.
ACCOUNT_ID = re.compile(r"^\d{12}$")
DESCRIBE_PERMISSIONS_PAGE = 100


def _own_image(account: Account, name: str) -> Image:
    """A private image of the account; AWS's base images are not the account's to copy or share."""
    image = account.image_by_name(name)
    if image.visibility == "PUBLIC":
        raise AppStreamError("ResourceNotFoundException", f"The image {name} is not a private image you own.")
    return image


def _available(image: Image, *also: str) -> None:
    if image.state != "AVAILABLE" and image.state not in also:
        raise AppStreamError("ResourceNotAvailableException", f"The image {image.name} is {image.state}.")


@operation("CopyImage")
def copy_image(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    source = _own_image(account, params["SourceImageName"])
    # A source already being copied (COPYING, assumptions.image_copy) can be copied to another region.
    _available(source, "COPYING")
    region = params["DestinationRegion"]
    if region not in appstream_regions():
        raise AppStreamError("ResourceNotAvailableException", f"AppStream is not available in {region}.")
    destination = account.in_region(region)
    name = params["DestinationImageName"]
    if name in destination.images:
        raise AppStreamError(
            "ResourceAlreadyExistsException", f"The image {name} already exists in {region}."
        )
    destination.check_image_quota()
    copy = Image(
        name=name,
        arn=destination.arn("image", name),
        created=destination.now,
        state="PENDING",
        tags={},  # "any tags you added to the image will not be copied" (API reference)
        image_type=source.image_type,
        platform=source.platform,
        display_name=source.display_name,
        description=params.get("DestinationImageDescription") or source.description,
        base_image_arn=source.base_image_arn,
        agent_version=source.agent_version,
        applications=list(source.applications),
        released=source.released,
        volume_gb=source.volume_gb,
    )
    begin_copy(account, source, destination, copy)
    return {"DestinationImageName": name}


@operation("UpdateImagePermissions")
def update_image_permissions(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    image = _own_image(account, params["Name"])
    shared = _account_id(params["SharedAccountId"])
    _available(image)
    if shared not in image.shared_with and len(image.shared_with) >= account.scenario.quotas.image_shares:
        raise AppStreamError(
            "LimitExceededException",
            f"The image {image.name} is shared with {len(image.shared_with)} accounts, the limit.",
        )
    permissions = params["ImagePermissions"]
    image.shared_with[shared] = {
        "allowFleet": bool(permissions.get("allowFleet", False)),
        "allowImageBuilder": bool(permissions.get("allowImageBuilder", False)),
    }
    return {}


@operation("DescribeImagePermissions")
def describe_image_permissions(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    image = _own_image(account, params["Name"])
    wanted = params.get("SharedAwsAccountIds")
    entries = [
        {"sharedAccountId": shared, "imagePermissions": dict(permissions)}
        for shared, permissions in image.shared_with.items()
        if not wanted or shared in wanted
    ]
    size = params.get("MaxResults") or DESCRIBE_PERMISSIONS_PAGE
    chunk, token = page(entries, f"DescribeImagePermissions/{image.name}", params.get("NextToken"), size)
    result: dict[str, Any] = {"Name": image.name, "SharedImagePermissionsList": chunk}
    if token:
        result["NextToken"] = token
    return result


@operation("DeleteImagePermissions")
def delete_image_permissions(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    image = _own_image(account, params["Name"])
    shared = _account_id(params["SharedAccountId"])
    if image.shared_with.pop(shared, None) is None:
        raise AppStreamError(
            "ResourceNotFoundException", f"The image {image.name} is not shared with account {shared}."
        )
    return {}


def _account_id(value: str) -> str:
    if not ACCOUNT_ID.fullmatch(value):
        raise AppStreamError(
            "ValidationException",
            "1 validation error detected: Value at 'sharedAccountId' failed to satisfy constraint: "
            "Member must be a 12-digit AWS account ID",
        )
    return value
