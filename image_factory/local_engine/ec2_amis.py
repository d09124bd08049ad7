"""The local account's EC2 AMIs: an export's AMI made in moto's EC2, and CopyImage's tags applied.

On AWS an export leaves an AMI in the account's EC2, tagged with the task's TagSpecifications
(botocore's model of CreateExportImageTask). The emulator makes it through `MotoAmis`, so copying,
sharing and deregistering it meet moto's EC2 as they would meet EC2.

One seam: moto 5.2.5's `AmisResponse.copy_image` ignores CopyImage's TagSpecifications, which EC2
applies to the new AMI and its new snapshots (botocore's model of CopyImage: "The tags to apply to
the new AMI and new snapshots"). The seam applies them after moto's copy; `verify` checks what it
relies on, so an upgrade that moves it fails loudly.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto.core.responses import ActionResult
from moto.ec2.responses.amis import AmisResponse

from image_factory.local_engine.seams import EngineIncompatible, replaced


class MotoAmis:
    """The emulator's AMI registry: an exported AMI registered in moto's EC2 of its region."""

    def register(self, region: str, name: str, description: str | None, tags: dict[str, str]) -> str:
        ec2: Any = boto3.client("ec2", region_name=region)
        ami_id = str(ec2.register_image(Name=name, Description=description or "")["ImageId"])
        if tags:
            ec2.create_tags(Resources=[ami_id], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        return ami_id


def verify() -> None:
    parameters = list(inspect.signature(AmisResponse.copy_image).parameters)
    if parameters != ["self"] or not callable(getattr(AmisResponse, "_parse_tag_specification", None)):
        raise EngineIncompatible(f"moto's AmisResponse.copy_image changed: re-check {__name__}")


@contextmanager
def copy_image_tags() -> Iterator[None]:
    verify()
    copy_image = AmisResponse.copy_image

    def tagged_copy(self: Any) -> ActionResult:
        result = copy_image(self)
        ami = self.ec2_backend.amis[result.result["ImageId"]]  # type: ignore[index]
        by_type = self._parse_tag_specification()
        if by_type.get("image"):
            self.ec2_backend.create_tags([ami.id], by_type["image"])
        if by_type.get("snapshot"):
            self.ec2_backend.create_tags([ami.ebs_snapshot.id], by_type["snapshot"])
        return result

    with replaced(AmisResponse, "copy_image", tagged_copy):
        yield
