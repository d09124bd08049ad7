"""The regions AppStream serves, as botocore's endpoint data (the one an SDK reaches them by) lists them."""

from __future__ import annotations

from functools import cache

import botocore.session


@cache
def appstream_regions() -> frozenset[str]:
    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("appstream", partition)
    )
