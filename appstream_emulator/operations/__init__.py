"""Every emulated operation; importing this package registers them all in OPERATIONS."""

from . import app_block_builders, exports, fleets, image_builders, images, tags  # noqa: F401 - registrations
from .registry import OPERATIONS

__all__ = ["OPERATIONS"]
