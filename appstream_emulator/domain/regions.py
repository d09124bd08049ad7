"""The regions AppStream serves: botocore's endpoint data for the service (what an SDK can reach)."""

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
