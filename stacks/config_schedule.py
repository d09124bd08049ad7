"""Pieces of the configuration file every section uses: strict models and schedules."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# EventBridge Scheduler expressions: cron has six fields (minutes .. year), rate a positive amount.
_CRON = re.compile(r"^cron\((\S+\s+){5}\S+\)$")
_RATE = re.compile(r"^rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)$")
_AT = re.compile(r"^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$")


class Schedule(Strict):
    """An EventBridge Scheduler schedule that starts a run with the stored request."""

    expression: str = Field(description="cron(...) with six fields, rate(N unit) or at(yyyy-mm-ddThh:mm:ss)")
    time_zone: str = Field("UTC", description="IANA time zone the cron expression is read in")
    enabled: bool = True
    description: str = Field("", max_length=512)

    @field_validator("expression")
    @classmethod
    def _known_form(cls, value: str) -> str:
        if not (_CRON.match(value) or _RATE.match(value) or _AT.match(value)):
            raise ValueError(
                "expected cron(min hour day-of-month month day-of-week year), rate(N minutes|hours|days) "
                "or at(yyyy-mm-ddThh:mm:ss)"
            )
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value
