"""The image volume size: no fleet's root volume may be below it (UpdateFleet, seed l.7287).

DescribeImages does not report that size, so the images the factory makes carry it in the
tag `image-factory:volume-gb`: a snapshot is as large as its builder's root volume, an
updated image as its source (docs/emulator-fidelity.md, "The image volume size"). A
rollout reads it and refuses, before it stops any fleet, a move that would leave a
fleet's root volume below it. An image made elsewhere has no such tag: its size is
unknown here, and AppStream's own refusal of UpdateFleet rolls that fleet back.

The root volume a fleet ends with is judged on the reading that bets on nothing: a
fleet without RootVolumeConfig, or whose setting the rollout deletes, counts as the
200 GB default (the sources leave open whether it takes the image's size instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from functions.core import appstream
from functions.core.errors import FleetUpdateFailed
from functions.workflows.fleet_rollout import fleets
from functions.workflows.fleet_rollout.request import FleetTarget


def resulting_root_volume_gb(fleet: dict[str, Any], target: FleetTarget) -> int:
    """The fleet's root volume once `target` is applied; an absent setting counts as the default."""
    if target.root_volume_gb is not None:
        return target.root_volume_gb
    if target.remove_root_volume:
        return fleets.DEFAULT_ROOT_VOLUME_GB
    return fleets.root_volume_gb(fleet) or fleets.DEFAULT_ROOT_VOLUME_GB


def check_fleets(image_name: str, targets: Sequence[FleetTarget]) -> None:
    """Refuse the rollout if any fleet would end below the image's volume size, naming both sizes."""
    floor = appstream.image_volume_gb(image_name)
    if floor is None or floor <= fleets.DEFAULT_ROOT_VOLUME_GB:
        return
    short = []
    for target in targets:
        size = resulting_root_volume_gb(fleets.describe(target), target)
        if size < floor:
            short.append(f"{target.label} ({size} GB)")
    if short:
        raise FleetUpdateFailed(
            f"image {image_name!r} has a volume size of {floor} GB; the root volume of a fleet cannot be "
            f"smaller, and these fleets would be: {', '.join(short)}. Give each of them "
            f"root_volume_gb of at least {floor}; no fleet was stopped"
        )
