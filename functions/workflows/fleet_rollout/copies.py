"""The image in each fleet's region: a fleet of another region moves to the image's copy there.

AppStream names images per region, and distribution copies an image under its own name
(`distribute.copy_to_regions`), so the copy a fleet of eu-west-1 moves to is the image of
that name in eu-west-1. A rollout checks, before it stops any fleet, that every region it
touches has that image AVAILABLE: UpdateFleet would refuse it only fleet by fleet, once
earlier fleets had already moved.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from functions.core import appstream
from functions.core.errors import FleetUpdateFailed
from functions.workflows.fleet_rollout.request import FleetTarget


def check_regions(image_name: str, targets: Sequence[FleetTarget], allowed: Collection[str] | None) -> None:
    """Refuse the rollout, naming each region, if a fleet's region is not one the deployment may act in
    (`allowed`, settings.distribution_regions; None: not checked) or has no AVAILABLE copy of the image."""
    regions = sorted({target.region for target in targets if target.region})
    outside = [region for region in regions if allowed is not None and region not in allowed]
    if outside:
        raise FleetUpdateFailed(
            f"fleets in {', '.join(outside)}: this deployment moves fleets only in its own region and "
            f"{', '.join(sorted(allowed or ())) or 'no other'} (settings.distribution_regions); "
            "no fleet was stopped"
        )
    missing = []
    for region in regions:
        image = appstream.find_image(image_name, region)
        state = str(image.get("State")) if image else None
        if state != "AVAILABLE":
            missing.append(f"{region} ({state.lower() if state else 'no copy'})")
    if missing:
        raise FleetUpdateFailed(
            f"image {image_name!r} is not AVAILABLE in every region the rollout's fleets are in: "
            f"{', '.join(missing)}. Copy it there first (distribute.copy_to_regions); no fleet was stopped"
        )
