"""A weekly maintenance window: the only time a rollout may stop a fleet that users stream from.

The window is written in the fleet owner's time zone ("Sat and Sun, 02:00-05:00 in
Europe/Berlin"); an end at or before the start means the window runs past midnight into
the next day. Daylight saving is handled by building each opening in local wall time.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from functions.core.request_fields import Section

Day = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
DAYS: tuple[Day, ...] = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class MaintenanceWindow(Section):
    time_zone: str = Field("UTC", description="IANA time zone of start and end, e.g. Europe/Berlin")
    days: list[Day] = Field(
        default_factory=lambda: list(DAYS), min_length=1, max_length=7, description="days the window opens"
    )
    start: str = Field(pattern=CLOCK_TIME, description="HH:MM local time the window opens")
    end: str = Field(
        pattern=CLOCK_TIME, description="HH:MM local time it closes (at or before start: next day)"
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone; use an IANA name such as Europe/Berlin") from None
        return zone

    @field_validator("days")
    @classmethod
    def _unique_days(cls, days: list[Day]) -> list[Day]:
        if len(set(days)) != len(days):
            raise ValueError("each day may appear once")
        return days

    @model_validator(mode="after")
    def _not_empty(self) -> MaintenanceWindow:
        if self.start == self.end:
            raise ValueError("start and end must differ")
        return self

    def seconds_until_open(self, moment: datetime) -> float:
        """0 while the window is open at `moment` (timezone-aware), else the seconds until it opens."""
        zone = ZoneInfo(self.time_zone)
        local = moment.astimezone(zone)
        opens_in: list[float] = []
        # Yesterday's opening may still be open (past midnight); a week ahead always holds the next one.
        for offset in range(-1, 8):
            day = local.date() + timedelta(days=offset)
            if DAYS[day.weekday()] not in self.days:
                continue
            start = datetime.combine(day, _clock(self.start), tzinfo=zone)
            end = datetime.combine(day, _clock(self.end), tzinfo=zone)
            if end <= start:
                end += timedelta(days=1)
            if start <= moment < end:
                return 0.0
            if start > moment:
                opens_in.append((start - moment).total_seconds())
        return min(opens_in)

    def describe(self) -> str:
        return f"{','.join(self.days)} {self.start}-{self.end} {self.time_zone}"


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
