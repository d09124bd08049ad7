"""The emulated account's resources as plain records; `render` turns them into API shapes.

`generation` changes whenever a call redirects a resource (stop, delete, ...), which
voids every transition scheduled for its previous course.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Image types CreateImportedImage makes (model `ImageType`): from an EC2 AMI, from a WorkSpaces image.
IMPORTED_IMAGE_TYPES = ("CUSTOM", "BYOL")


@dataclass
class Resource:
    name: str
    arn: str
    created: float
    state: str
    tags: dict[str, str] = field(default_factory=dict)
    generation: int = 0

    def redirect(self, state: str) -> None:
        """Move to `state` by request, cancelling whatever was scheduled."""
        self.generation += 1
        self.state = state


@dataclass
class Image(Resource):
    visibility: str = "PRIVATE"  # PUBLIC for AWS-owned base images
    image_type: str = "NATIVE"  # CUSTOM (an AMI) or BYOL (a WorkSpaces image) imported, and descendants
    platform: str = "WINDOWS_SERVER_2022"
    display_name: str | None = None
    description: str | None = None
    base_image_arn: str | None = None
    image_builder_name: str | None = None
    source_ami_id: str | None = None
    agent_version: str | None = None
    always_latest_agent: bool = False
    released: float | None = None
    applications: list[dict[str, Any]] = field(default_factory=list)
    state_reason: dict[str, str] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    from_update: bool = False  # made by CreateUpdatedImage (counts against concurrent updates)
    volume_gb: int = 200  # the image volume size, a root volume floor (domain/volumes.py)
    managed_software: list[str] = field(default_factory=list)  # license-included applications on it

    shared_by: str | None = None  # the owner's account of a SHARED image
    allow_image_builder: bool = True  # a SHARED image: whether its owner lets this account build from it
    # UpdateImagePermissions: account id -> {"allowFleet": bool, "allowImageBuilder": bool}
    shared_with: dict[str, dict[str, bool]] = field(default_factory=dict)
    copying: int = 0  # copies of it under way (assumptions.image_copy: source_copying)

    @property
    def owned(self) -> bool:
        """The account's own image: not AWS's (PUBLIC), not another account's (SHARED)."""
        return self.visibility == "PRIVATE"

    @property
    def owner(self) -> str:
        return "AWS" if self.visibility == "PUBLIC" else f"account {self.shared_by}"

    @property
    def imported(self) -> bool:
        """Made by CreateImportedImage (or from such an image): it takes the EC2 instance families."""
        return self.image_type in IMPORTED_IMAGE_TYPES


@dataclass
class AgentRun:
    """The builder agent's work on one job: scripts, then Image Assistant."""

    run_id: str
    image_name: str
    started: float


@dataclass
class ImageBuilder(Resource):
    image_arn: str = ""
    instance_type: str = ""
    platform: str = "WINDOWS_SERVER_2022"
    description: str | None = None
    display_name: str | None = None
    vpc_config: dict[str, Any] | None = None
    iam_role_arn: str | None = None
    enable_default_internet_access: bool | None = None
    domain_join_info: dict[str, Any] | None = None
    agent_version: str | None = None
    access_endpoints: list[dict[str, Any]] | None = None
    root_volume_gb: int | None = None
    disable_imdsv1: bool | None = None
    # License-included applications on the builder: its image's, with SoftwaresToInstall added and
    # SoftwaresToUninstall taken away; an image it makes includes them.
    managed_software: list[str] = field(default_factory=list)
    network_access: dict[str, str] | None = None  # NetworkAccessConfiguration: its ENI, once it has run
    state_reason: dict[str, str] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    agent_run: AgentRun | None = None
    running_since: float | None = None
    handled_run_ids: set[str] = field(default_factory=set)
    fails_on_start: str | None = None  # reason from a resource fault: the next start ends FAILED


@dataclass
class ExportTask:
    task_id: str
    image_arn: str
    image_name: str
    ami_name: str
    created: float
    state: str
    ami_description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    ami_id: str | None = None
    error_details: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Fleet(Resource):
    image_name: str | None = None
    image_arn: str | None = None
    instance_type: str = ""
    fleet_type: str = "ON_DEMAND"
    desired: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)  # everything else, stored as given
    root_volume_gb: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)  # FleetErrors: why instances did not launch


@dataclass
class AppBlockBuilder(Resource):
    platform: str = "WINDOWS_SERVER_2019"
    instance_type: str = ""
    app_block_arn: str | None = None  # the app block associated with it; needed to start it
    attributes: dict[str, Any] = field(default_factory=dict)
