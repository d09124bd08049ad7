"""A run's records in the runs table, read with the functions' own reader (what the API and CLI show)."""

from __future__ import annotations

from typing import Any

from functions.core.execution import run_id_for
from functions.core.records import RunRecords
from functions.core.settings import get_settings
from functions.workflows.image_pipeline.slots import BuilderSlots


def run_id_of(execution_name: str) -> str:
    return run_id_for(execution_name)


def read_run(execution_name: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """(run record or None, step records in step order) of the execution's run."""
    settings = get_settings()
    records = RunRecords(settings.runs_table, settings.event_bus)
    run_id = run_id_of(execution_name)
    return records.get_run(run_id), records.get_steps(run_id)


def builder_slots_in_use() -> int:
    """Builder slots the runs table counts as held (0 once every run has cleaned up)."""
    settings = get_settings()
    return BuilderSlots(settings.runs_table, settings.builder_slot_limit).in_use()
