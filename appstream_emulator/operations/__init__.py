"""Every emulated operation; importing this package registers them all in OPERATIONS."""

from . import (  # noqa: F401 - registrations
    app_block_builders,
    exports,
    fleets,
    image_builders,
    image_sharing,
    images,
    tags,
)
from .registry import OPERATIONS

__all__ = ["OPERATIONS"]
