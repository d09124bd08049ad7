"""What every service needs from its surroundings, built once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from functions.core.records import RunRecords
from functions.core.settings import Settings, get_settings


@dataclass(frozen=True)
class Context:
    settings: Settings
    records: RunRecords

    @classmethod
    def from_settings(cls, settings: Settings) -> Context:
        return cls(settings=settings, records=RunRecords(settings.runs_table, settings.event_bus))


_current: Context | None = None


def get_context() -> Context:
    """The process-wide context, rebuilt whenever the settings are re-read (`get_settings.cache_clear()`)."""
    global _current
    settings = get_settings()
    if _current is None or _current.settings is not settings:
        _current = Context.from_settings(settings)
    return _current
