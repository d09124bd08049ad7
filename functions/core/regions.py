"""The regions AppStream serves, as botocore's endpoint data (the one an SDK reaches them by) lists them."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import botocore.session

# A region's code (eu-west-1); whether AppStream serves it is checked with `appstream_regions`.
REGION_CODE = r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$"


def refuse_unserved(regions: Iterable[str]) -> None:
    """Raise ValueError naming every region of `regions` that AppStream does not serve."""
    unknown = sorted(set(regions) - appstream_regions())
    if unknown:
        raise ValueError(f"AppStream is not available in {', '.join(unknown)}")


@cache
def appstream_regions() -> frozenset[str]:
    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("appstream", partition)
    )
