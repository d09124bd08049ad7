"""What AppStream offers every account: instance types (2025-11-17 API docs) and public base images."""

from __future__ import annotations

import re

_STANDARD = ["stream.standard.small", "stream.standard.medium", "stream.standard.large"]
_LARGER_STANDARD = ["stream.standard.xlarge", "stream.standard.2xlarge"]
_SIZED_FAMILIES = [
    *(f"stream.compute.{size}" for size in ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge")),
    *(f"stream.memory.{size}" for size in ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge")),
    *(
        f"stream.memory.z1d.{size}"
        for size in ("large", "xlarge", "2xlarge", "3xlarge", "6xlarge", "12xlarge")
    ),
    *(f"stream.graphics-design.{size}" for size in ("large", "xlarge", "2xlarge", "4xlarge")),
    *(
        f"stream.graphics.g4dn.{size}"
        for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
    ),
    *(
        f"stream.graphics.g5.{s}"
        for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")
    ),
    *(
        f"stream.graphics.g6.{s}"
        for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge")
    ),
    "stream.graphics.gr6.4xlarge",
    "stream.graphics.gr6.8xlarge",
    *(f"stream.graphics.g6f.{size}" for size in ("large", "xlarge", "2xlarge", "4xlarge")),
    "stream.graphics.gr6f.4xlarge",
]

IMAGE_BUILDER_INSTANCE_TYPES: frozenset[str] = frozenset(_STANDARD + _SIZED_FAMILIES)
FLEET_INSTANCE_TYPES: frozenset[str] = frozenset(_STANDARD + _LARGER_STANDARD + _SIZED_FAMILIES)
ELASTIC_FLEET_INSTANCE_TYPES: frozenset[str] = frozenset(_STANDARD + _LARGER_STANDARD)
APP_BLOCK_BUILDER_INSTANCE_TYPES: frozenset[str] = frozenset(_STANDARD + _LARGER_STANDARD)

# The model's InstanceType pattern. Imported (CUSTOM) images unlock the general purpose,
# memory, compute and accelerated EC2 families, whose names the docs do not list, so any
# well-formed instance type is accepted for them.
WELL_FORMED_INSTANCE_TYPE = re.compile(
    r"^[a-zA-Z0-9-]+(\.[a-z0-9-]+)+\.(small|medium|large|xlarge|\d+xlarge|metal)\Z"
)

NATIVE_INSTANCE_FAMILIES = [
    "GENERAL_PURPOSE",
    "COMPUTE_OPTIMIZED",
    "MEMORY_OPTIMIZED",
    "GRAPHICS",
    "GRAPHICS_G4",
    "GRAPHICS_G5",
]
CUSTOM_INSTANCE_FAMILIES = ["GENERAL_PURPOSE", "MEMORY_OPTIMIZED", "COMPUTE_OPTIMIZED", "ACCELERATED"]


def instance_type_allowed(instance_type: str, offered: frozenset[str], custom_image: bool) -> bool:
    if instance_type in offered:
        return True
    return custom_image and is_ec2_family_type(instance_type)


def is_ec2_family_type(instance_type: str) -> bool:
    """A well-formed type outside the documented catalogue: only imported images can use one."""
    return instance_type not in FLEET_INSTANCE_TYPES and bool(WELL_FORMED_INSTANCE_TYPE.match(instance_type))


# AWS-owned base images present in every account from the start: (name, platform, release date).
PUBLIC_BASE_IMAGES: list[tuple[str, str, str]] = [
    ("AppStream-WinServer2022-09-08-2025", "WINDOWS_SERVER_2022", "2025-09-08"),
    ("AppStream-WinServer2019-09-08-2025", "WINDOWS_SERVER_2019", "2025-09-08"),
    ("AppStream-Graphics-G5-WinServer2022-09-08-2025", "WINDOWS_SERVER_2022", "2025-09-08"),
    ("AppStream-AmazonLinux2-09-08-2025", "AMAZON_LINUX2", "2025-09-08"),
]

AGENT_VERSION = "1.1.1495"
