"""The image volume size: the floor of the root volume of builders and fleets made from an image.

The seed says a fleet's root volume "cannot be decreased below the image volume size"
(UpdateFleet, seed l.7287). DescribeImages does not report that size, so the emulator
keeps it on the image (docs/emulator-fidelity.md, "The image volume size"):

* AWS base images and images given by a scenario: the 200 GB default, unless the scenario
  says otherwise;
* an imported image: its AMI's root volume, at least 200 GB;
* a snapshot: the root volume of the builder that made it (its image's size when the
  builder gave none);
* an updated image: its source's.

Only an explicit RootVolumeConfig is held to the floor: a builder or fleet without one
takes the image's size.
"""

from __future__ import annotations

from ..errors import AppStreamError
from .resources import Image, ImageBuilder

DEFAULT_ROOT_VOLUME_GB = 200  # "The default is 200 GB" (seed l.7291)


def imported_volume_gb(ami_root_volume_gb: int) -> int:
    return max(DEFAULT_ROOT_VOLUME_GB, ami_root_volume_gb)


def builder_volume_gb(builder: ImageBuilder, source: Image | None) -> int:
    """The volume size of a snapshot `builder` makes."""
    if builder.root_volume_gb is not None:
        return builder.root_volume_gb
    return source.volume_gb if source is not None else DEFAULT_ROOT_VOLUME_GB


def check_floor(image: Image, root_volume_gb: int | None, what: str) -> None:
    """Refuse an explicit root volume below `image`'s volume size, naming both sizes."""
    if root_volume_gb is not None and root_volume_gb < image.volume_gb:
        raise AppStreamError(
            "InvalidParameterCombinationException",
            f"The root volume of {what} ({root_volume_gb} GB) cannot be smaller than the volume size "
            f"of the image {image.name} ({image.volume_gb} GB).",
        )
