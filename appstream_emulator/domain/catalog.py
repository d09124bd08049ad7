"""What AppStream offers every account: instance types (2025-11-17 API docs), license-included
applications and public base images."""

from __future__ import annotations

import re

_STANDARD = ["stream.standard.small", "stream.standard.medium", "stream.standard.large"]
_LARGER_STANDARD = ["stream.standard.xlarge", "stream.standard.2xlarge"]
# The seed still lists stream.graphics-design.* (and older references stream.graphics-pro.*), but
# both families are retired (docs/emulator-fidelity.md, "Instance types"), so neither is offered.
_SIZED_FAMILIES = [
    *(f"stream.compute.{size}" for size in ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge")),
    *(f"stream.memory.{size}" for size in ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge")),
    *(
        f"stream.memory.z1d.{size}"
        for size in ("large", "xlarge", "2xlarge", "3xlarge", "6xlarge", "12xlarge")
    ),
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

# Imported (CUSTOM) images unlock the EC2 families the docs name by prefix ("GeneralPurpose.*",
# "MemoryOptimized.*", "ComputeOptimized.*", "Accelerated.*"); the members of each are not listed,
# so any well-formed size within one of those families is accepted.
EC2_FAMILY_PREFIXES = ("GeneralPurpose", "MemoryOptimized", "ComputeOptimized", "Accelerated")
EC2_FAMILY_INSTANCE_TYPE = re.compile(
    rf"^({'|'.join(EC2_FAMILY_PREFIXES)})\.([a-z0-9-]+\.)*(small|medium|large|xlarge|\d+xlarge|metal)\Z"
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
    """A type of one of the EC2 families only imported images can use."""
    return bool(EC2_FAMILY_INSTANCE_TYPE.match(instance_type))


# AWS-owned base images present in every account from the start: (name, platform, release date).
PUBLIC_BASE_IMAGES: list[tuple[str, str, str]] = [
    ("AppStream-WinServer2022-09-08-2025", "WINDOWS_SERVER_2022", "2025-09-08"),
    ("AppStream-WinServer2019-09-08-2025", "WINDOWS_SERVER_2019", "2025-09-08"),
    ("AppStream-Graphics-G5-WinServer2022-09-08-2025", "WINDOWS_SERVER_2022", "2025-09-08"),
    ("AppStream-AmazonLinux2-09-08-2025", "AMAZON_LINUX2", "2025-09-08"),
]

AGENT_VERSION = "1.1.1495"
# What AppstreamAgentVersion names to ask for the newest agent (seed l.2369, l.5655).
LATEST_AGENT = "[LATEST]"

# SoftwaresToInstall and SoftwaresToUninstall of CreateImageBuilder (seed l.2431-2479, l.2491-2539).
LICENSE_INCLUDED_APPLICATIONS: frozenset[str] = frozenset(
    f"Microsoft_{product}_{edition}_{bits}"
    for product, editions in (
        (
            "Office",
            (
                "2021_LTSC_Professional_Plus",
                "2024_LTSC_Professional_Plus",
                "2021_LTSC_Standard",
                "2024_LTSC_Standard",
            ),
        ),
        (
            "Visio",
            ("2021_LTSC_Professional", "2024_LTSC_Professional", "2021_LTSC_Standard", "2024_LTSC_Standard"),
        ),
        ("Project", ("2021_Professional", "2024_Professional", "2021_Standard", "2024_Standard")),
    )
    for edition in editions
    for bits in ("32Bit", "64Bit")
)
