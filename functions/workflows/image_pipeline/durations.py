"""Expected durations and ceilings of the image pipeline's waits, and the names their history is
kept under.

A step has one name: its step record, its path in the run state (`$.<step>`) and its history key
are the same word (`source`, `builder_slot`, `builder`, `snapshot`, `distribute`, `export`,
`distribute_ami`, `cleanup`). Where
variants of a step take truly different times, the history key adds the variant, written
`step:variant` (`source:import`, `source:import_validated`, `source:existing`, `snapshot:agent`,
`snapshot:manual`); a step per item names the item the same way (`rollout:<fleet>`). The run's
resources are kept under the step's name.
"""

from __future__ import annotations

from functions.core import waits
from functions.core.context import Context
from functions.core.records import history_key as step_history_key
from functions.core.waits import HOUR, Timing
from functions.workflows.image_pipeline.phases import PhaseName
from functions.workflows.image_pipeline.plan import Plan

# Starting guesses, used until a pipeline has history of its own. No source gives AppStream's
# durations (docs/emulator-fidelity.md, "Durations of the other phases"): history replaces them.
DEFAULT_EXPECTED: dict[str, float] = {
    "source:import": 2700,
    "source:import_validated": 3600,  # plus the streaming test of RuntimeValidationConfig
    "source:existing": 0,  # an existing image is usually AVAILABLE already
    "builder": 720,
    "snapshot:agent": 3600,  # scripts, then SNAPSHOTTING, then the new image PENDING -> AVAILABLE
    "snapshot:manual": 4 * HOUR,  # a person's working time
    "distribute": 1800,  # every copy PENDING -> AVAILABLE in its region, side by side
    "export": 2100,
    "distribute_ami": 1800,  # every copy of the AMI pending -> available in its region, side by side
    "cleanup": 420,  # stop, then delete the builder
}
DEFAULT_CEILING: dict[str, float] = {
    "source:import": 4 * HOUR,
    "source:import_validated": 5 * HOUR,
    "source:existing": 2 * HOUR,
    "builder_slot": 6 * HOUR,
    "builder": 2 * HOUR,
    "snapshot:agent": 4 * HOUR,
    "snapshot:manual": 48 * HOUR,
    "distribute": 4 * HOUR,
    "export": 4 * HOUR,
    "distribute_ami": 4 * HOUR,
    "cleanup": 2 * HOUR,
}


def variant(plan: Plan, phase: PhaseName) -> str | None:
    """The variant of a step whose durations differ from its other variants, None for one-kind steps."""
    request = plan.request
    if phase == "source":
        if not request.imports:
            return "existing"
        return "import_validated" if request.import_.runtime_validation_instance_type else "import"
    if phase == "snapshot":
        return request.snapshot.mode
    return None


def history_key(plan: Plan, phase: PhaseName) -> str:
    """The name a step's durations are recorded under: `step`, or `step:variant`."""
    return step_history_key(phase, variant(plan, phase))


def timing_for(plan: Plan, phase: PhaseName, context: Context) -> Timing:
    key = history_key(plan, phase)
    # The request names the source's wait after what it usually is: `waits.import`.
    configured, ceiling = waits.wait_override(
        getattr(plan.request.waits, "import_" if phase == "source" else phase)
    )
    if phase == "snapshot" and plan.request.snapshot.timeout_minutes:
        ceiling = plan.request.snapshot.timeout_minutes * 60
    history = (
        context.records.phase_history(plan.pipeline, key, context.settings.history_runs)
        if configured is None and phase != "builder_slot"
        else []
    )
    return waits.timing(configured, history, DEFAULT_EXPECTED.get(key, 0.0), DEFAULT_CEILING[key], ceiling)
