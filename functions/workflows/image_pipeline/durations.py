"""Expected durations and ceilings of the image pipeline's waits, and the names their history is
kept under."""

from __future__ import annotations

from functions.core import waits
from functions.core.context import Context
from functions.core.waits import HOUR, Timing
from functions.workflows.image_pipeline.phases import PhaseName
from functions.workflows.image_pipeline.plan import Plan

# Starting guesses, used until a pipeline has history of its own. No source gives AppStream's
# durations (docs/emulator-fidelity.md, "Durations of the other phases"): history replaces them.
DEFAULT_EXPECTED: dict[str, float] = {
    "import": 2700,
    "import_validated": 3600,  # plus the streaming test of RuntimeValidationConfig
    "source_image": 0,  # an existing image is usually AVAILABLE already
    "builder": 720,
    "snapshot_agent": 3600,  # scripts, then SNAPSHOTTING, then the new image PENDING -> AVAILABLE
    "snapshot_manual": 4 * HOUR,  # a person's working time
    "export": 2100,
    "cleanup": 420,  # stop, then delete the builder
}
DEFAULT_CEILING: dict[str, float] = {
    "import": 4 * HOUR,
    "import_validated": 5 * HOUR,
    "source_image": 2 * HOUR,
    "builder_slot": 6 * HOUR,
    "builder": 2 * HOUR,
    "snapshot_agent": 4 * HOUR,
    "snapshot_manual": 48 * HOUR,
    "export": 4 * HOUR,
    "cleanup": 2 * HOUR,
}


def history_key(plan: Plan, phase: PhaseName) -> str:
    """The name a phase's durations are recorded under: variants that take different times differ."""
    request = plan.request
    if phase == "import":
        if not request.imports:
            return "source_image"
        return "import_validated" if request.import_.runtime_validation_instance_type else "import"
    if phase == "snapshot":
        return f"snapshot_{request.snapshot.mode}"
    return phase


def timing_for(plan: Plan, phase: PhaseName, context: Context) -> Timing:
    key = history_key(plan, phase)
    configured, ceiling = waits.wait_override(
        getattr(plan.request.waits, "import_" if phase == "import" else phase)
    )
    if phase == "snapshot" and plan.request.snapshot.timeout_minutes:
        ceiling = plan.request.snapshot.timeout_minutes * 60
    history = (
        context.records.phase_history(plan.pipeline, key, context.settings.history_runs)
        if configured is None and phase != "builder_slot"
        else []
    )
    return waits.timing(configured, history, DEFAULT_EXPECTED.get(key, 0.0), DEFAULT_CEILING[key], ceiling)
