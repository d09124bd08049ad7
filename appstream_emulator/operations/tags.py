"""Tags on images, image builders, fleets and app block builders, addressed by ARN."""

from __future__ import annotations

from typing import Any

from ..domain.account import Account
from ..domain.resources import Resource
from ..errors import AppStreamError
from .registry import operation


def _resource(account: Account, arn: str) -> Resource:
    pools: list[dict[str, Any]] = [
        account.images,
        account.builders,
        account.fleets,
        account.app_block_builders,
    ]
    for pool in pools:
        for resource in pool.values():
            if resource.arn == arn and getattr(resource, "owned", True):
                return resource
    raise AppStreamError("ResourceNotFoundException", f"The resource {arn} does not exist.")


@operation("TagResource")
def tag_resource(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    resource = _resource(account, params["ResourceArn"])
    merged = {**resource.tags, **params["Tags"]}
    limit = account.scenario.quotas.tags_per_resource
    if len(merged) > limit:
        raise AppStreamError("LimitExceededException", f"A resource can have at most {limit} tags.")
    resource.tags = merged
    return {}


@operation("UntagResource")
def untag_resource(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    resource = _resource(account, params["ResourceArn"])
    resource.tags = {key: value for key, value in resource.tags.items() if key not in set(params["TagKeys"])}
    return {}


@operation("ListTagsForResource")
def list_tags_for_resource(account: Account, params: dict[str, Any]) -> dict[str, Any]:
    resource = _resource(account, params["ResourceArn"])
    return {"Tags": dict(resource.tags)} if resource.tags else {}
