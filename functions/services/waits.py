"""Expected durations and ceilings of each wait, and the bookkeeping every check task shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from functions import planner, timeutil
from functions.context import Context
from functions.phases import PhaseName, WaitProgress
from functions.planner import Timing, first_wait, next_wait

if TYPE_CHECKING:  # the pipeline's plan model: lifecycle tasks wait too and need not build it
    from functions.plan import Plan

HOUR = 3600.0

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

P = TypeVar("P", bound=WaitProgress)


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
    override = getattr(plan.request.waits, "import_" if phase == "import" else phase)
    configured = override.expected_minutes * 60 if override.expected_minutes else None
    ceiling = override.ceiling_minutes * 60 if override.ceiling_minutes else None
    if phase == "snapshot" and plan.request.snapshot.timeout_minutes:
        ceiling = plan.request.snapshot.timeout_minutes * 60
    history = (
        context.records.phase_history(plan.pipeline, key, context.settings.history_runs)
        if configured is None and phase != "builder_slot"
        else []
    )
    return planner.timing(configured, history, DEFAULT_EXPECTED.get(key, 0.0), DEFAULT_CEILING[key], ceiling)


def begin(progress: P, timing: Timing, context: Context, check_first: bool = False) -> P:
    """Start a phase's clock; the first wait lands just before the expected finish."""
    return progress.model_copy(
        update={
            "started_at": timeutil.now_epoch(),
            "polls": 0,
            "done": False,
            "expected_seconds": timing.expected_seconds,
            "ceiling_seconds": timing.ceiling_seconds,
            "guessed": timing.guessed,
            "wait_seconds": 0 if check_first else first_wait(timing, context.steps),
        }
    )


def elapsed(progress: WaitProgress) -> float:
    return timeutil.now_epoch() - (
        progress.started_at if progress.started_at is not None else timeutil.now_epoch()
    )


def checked(progress: P, done: bool, context: Context, label: str) -> P:
    """After a check: finished, or the next wait (PhaseTimedOut at the ceiling)."""
    polls = progress.polls + 1
    if done:
        return progress.model_copy(update={"polls": polls, "done": True, "wait_seconds": 0})
    timing = Timing(
        progress.expected_seconds or 0.0,
        progress.ceiling_seconds or DEFAULT_CEILING["cleanup"],
        guessed=progress.guessed,
    )
    wait = next_wait(timing, context.steps, elapsed(progress), label)
    return progress.model_copy(update={"polls": polls, "done": False, "wait_seconds": wait})
