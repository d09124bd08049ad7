"""What every service needs from its surroundings, built once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from functions.planner import Steps
from functions.records import RunRecords
from functions.settings import Settings, get_settings
from functions.slots import BuilderSlots


@dataclass(frozen=True)
class Context:
    settings: Settings
    records: RunRecords
    slots: BuilderSlots

    @classmethod
    def from_settings(cls, settings: Settings) -> Context:
        return cls(
            settings=settings,
            records=RunRecords(settings.runs_table, settings.event_bus),
            slots=BuilderSlots(settings.runs_table, settings.builder_slot_limit, settings.slot_poll_seconds),
        )

    @property
    def steps(self) -> Steps:
        settings = self.settings
        return Steps(
            settings.poll_floor_seconds, settings.poll_max_step_seconds, settings.poll_guess_step_seconds
        )


_current: Context | None = None


def get_context() -> Context:
    """The process-wide context, rebuilt whenever the settings are re-read (`get_settings.cache_clear()`)."""
    global _current
    settings = get_settings()
    if _current is None or _current.settings is not settings:
        _current = Context.from_settings(settings)
    return _current
