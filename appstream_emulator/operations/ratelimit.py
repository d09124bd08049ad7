"""Per-operation token buckets on the emulator clock."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import AppStreamError
from ..scenario import RateLimit


@dataclass
class _Bucket:
    limit: RateLimit
    tokens: float
    refilled_at: float


class RateLimiter:
    def __init__(self, limits: dict[str, RateLimit]) -> None:
        self._limits = limits
        self._buckets: dict[str, _Bucket] = {}

    def admit(self, operation: str, now: float) -> None:
        limit = self._limits.get(operation)
        if limit is None:
            return
        bucket = self._buckets.setdefault(operation, _Bucket(limit, float(limit.burst), now))
        elapsed = max(0.0, now - bucket.refilled_at)
        bucket.tokens = min(float(limit.burst), bucket.tokens + elapsed * limit.per_second)
        bucket.refilled_at = now
        if bucket.tokens < 1.0:
            raise AppStreamError("ThrottlingException", "Rate exceeded")
        bucket.tokens -= 1.0
