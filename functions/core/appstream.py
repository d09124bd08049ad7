"""The AppStream calls the services share: classified errors, lookups that answer None, run ownership."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from functions.core import clients, names
from functions.core.errors import (
    AppStreamThrottled,
    ImageFactoryError,
    ResourceNameConflict,
    classify_appstream,
    error_code,
)
from functions.core.observability import metrics


def call(action: str, operation: Callable[..., Any], **params: Any) -> dict[str, Any]:
    """Run one AppStream call; failures become the named error for `action`."""
    try:
        return dict(operation(**params))
    except (ClientError, BotoCoreError) as error:
        classified = classify_appstream(error, action)
        if isinstance(classified, AppStreamThrottled):
            # Retries absorb throttling; the metric shows how close to the limit the tasks run.
            metrics.add_metric(name=names.APPSTREAM_THROTTLED_METRIC, unit=MetricUnit.Count, value=1)
        raise classified from error


def appstream_code(error: BaseException) -> str | None:
    """AppStream's error code behind a classified error, if it came from AppStream."""
    cause = error.__cause__
    return error_code(cause) if isinstance(cause, ClientError) else None


def already_exists(error: BaseException) -> bool:
    return appstream_code(error) == "ResourceAlreadyExistsException"


def not_found(error: BaseException) -> bool:
    return appstream_code(error) == "ResourceNotFoundException"


def find_image(name: str, region: str | None = None) -> dict[str, Any] | None:
    """The image `name` of the function's region, or of `region` (a copy there); None if there is none."""
    where = f" in {region}" if region else ""
    try:
        images = call(
            f"DescribeImages {name!r}{where}", clients.appstream_in(region).describe_images, Names=[name]
        )["Images"]
    except Exception as error:
        if not_found(error):
            return None
        raise
    return dict(images[0]) if images else None


def find_image_by_arn(arn: str) -> dict[str, Any] | None:
    """An image by ARN: the only way to name an image another account shares (names are per account)."""
    try:
        images = call(f"DescribeImages {arn!r}", clients.appstream().describe_images, Arns=[arn])["Images"]
    except Exception as error:
        if not_found(error):
            return None
        raise
    return dict(images[0]) if images else None


def find_builder(name: str) -> dict[str, Any] | None:
    try:
        builders = call(
            f"DescribeImageBuilders {name!r}", clients.appstream().describe_image_builders, Names=[name]
        )["ImageBuilders"]
    except Exception as error:
        if not_found(error):
            return None
        raise
    return dict(builders[0]) if builders else None


def tags_of(arn: str, region: str | None = None) -> dict[str, str]:
    """The tags of `arn`, a resource of the function's region or of `region`."""
    listing = call(
        f"ListTagsForResource {arn!r}", clients.appstream_in(region).list_tags_for_resource, ResourceArn=arn
    )
    return dict(listing.get("Tags", {}))


def image_volume_gb(name: str) -> int | None:
    """The volume size the factory tags its images with (`names.TAG_VOLUME_GB`); None if untagged."""
    image = find_image(name)
    if image is None or not image.get("Arn"):
        return None
    return names.tagged_volume_gb(tags_of(str(image["Arn"])))


def owned_by(resource: dict[str, Any], run_tags: Mapping[str, str]) -> bool:
    """Whether `resource` carries the run's id and, when the run has one, its stage (`names.same_run`)."""
    return names.same_run(tags_of(str(resource["Arn"])), run_tags)


def ownership(resource: dict[str, Any], run_tags: Mapping[str, str]) -> bool | None:
    """Whether `resource` carries this run's tags; None when it was deleted since it was described."""
    try:
        return owned_by(resource, run_tags)
    except ImageFactoryError as error:
        if not_found(error):
            return None
        raise


def adopt(
    kind: str, resource: dict[str, Any] | None, name: str, run_tags: Mapping[str, str]
) -> dict[str, Any]:
    """A create found `name` taken: it is ours (a retried create) or a conflict."""
    if resource is None:
        raise ResourceNameConflict(f"{kind} {name!r} exists but cannot be described")
    if not owned_by(resource, run_tags):
        run = run_tags[names.TAG_RUN_ID]
        stage = f" of stage {run_tags[names.TAG_STAGE]}" if names.TAG_STAGE in run_tags else ""
        raise ResourceNameConflict(f"{kind} {name!r} already exists and does not belong to run {run}{stage}")
    return resource


def reason_of(resource: dict[str, Any]) -> str:
    """AppStream's own explanation of a resource's state: state change reason and listed errors."""
    parts = []
    reason = resource.get("StateChangeReason") or {}
    if reason:
        parts.append(f"{reason.get('Code', 'UNKNOWN')}: {reason.get('Message', '')}".strip())
    for listed in (*resource.get("ImageErrors", []), *resource.get("ImageBuilderErrors", [])):
        parts.append(f"{listed.get('ErrorCode', 'UNKNOWN')}: {listed.get('ErrorMessage', '')}".strip())
    return "; ".join(parts) or "no reason given"


def export_error_details(task: dict[str, Any]) -> str:
    """AppStream's reasons for a FAILED or TIMED_OUT export task, or "" when it gives none."""
    return "; ".join(
        f"{item.get('ErrorCode', 'UNKNOWN')}: {item.get('ErrorMessage', '')}"
        for item in task.get("ErrorDetails", [])
    )
