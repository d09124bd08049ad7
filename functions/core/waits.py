"""Every wait loop: when to look next (the interval planner), and the progress each check carries.

A fixed poll either looks too often (transitions cost money and history) or too late.
Knowing how long a phase usually takes, the planner sleeps until just before the
expected finish, then looks in steps that shrink toward a floor as the expected finish
approaches, and - once the phase runs late - in steps that grow again (a phase that is
very late is probably longer than we think). No wait ever goes past the ceiling; a check
at or after the ceiling raises `PhaseTimedOut`.

Until a pipeline has history (and nothing is configured), the expected duration is only a
guess: no source gives AppStream's durations, and they vary with the account, the region and
the image. Then no wait is longer than `guess_step_seconds`, so a phase twice as fast or
twice as slow as the guess is still seen within that step.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import ConfigDict

from functions.core import timeutil
from functions.core.context import Context
from functions.core.errors import PhaseTimedOut
from functions.core.model import Model
from functions.core.request_fields import PhaseWait
from functions.core.settings import Settings

# The first look comes this fraction of the expected duration before the expected end.
# LEAD_FRACTION and LATE_FRACTION were tuned together on a timeline the benchmark does not
# score (benchmarks/waiting.py), for few state transitions at a detection latency well
# inside its target; both are measured in docs/BENCHMARKS.md.
LEAD_FRACTION = 0.1
# Before the expected end, each wait covers this fraction of the time still to go.
APPROACH_FRACTION = 0.5
# After the expected end, each wait is this fraction of how late the phase already is.
LATE_FRACTION = 0.3
# A default ceiling gives way to this many times the longest successful run in the history.
HISTORY_CEILING_FACTOR = 2.0
HOUR = 3600.0
# The ceiling of a check whose progress carries none (a phase begun before progress carried it).
FALLBACK_CEILING = 2 * HOUR


class WaitProgress(Model):
    """What the state machine carries between the checks of a wait-loop phase: when it started (on
    the functions' clock), how many checks ran, the next wait (`wait_seconds`, read by the Wait state
    through `SecondsPath`) and whether it is `done` (read by the Choice state)."""

    model_config = ConfigDict(extra="ignore")

    started_at: float | None = None  # epoch seconds of the phase's first task
    polls: int = 0
    wait_seconds: int = 0
    done: bool = False
    expected_seconds: float | None = None
    ceiling_seconds: float | None = None
    guessed: bool = False  # the expected duration is a default (Timing.guessed)


P = TypeVar("P", bound=WaitProgress)


@dataclass(frozen=True)
class Timing:
    expected_seconds: float
    ceiling_seconds: float
    guessed: bool = False  # the expected duration is a default: neither configured nor history


@dataclass(frozen=True)
class Steps:
    floor_seconds: int
    max_step_seconds: int
    guess_step_seconds: int = 300  # longest wait while the expected duration is a guess


def timing(
    configured: float | None,
    history: Sequence[float],
    default: float,
    default_ceiling: float,
    configured_ceiling: float | None = None,
) -> Timing:
    """A phase's timing: its expected duration (`expected_duration`), never past the ceiling.

    A configured ceiling is kept as it is. The default ceiling is a guess like the default
    duration: a pipeline whose history shows the phase taking longer gets room for
    `HISTORY_CEILING_FACTOR` times its longest past run.
    """
    ceiling = configured_ceiling or max(default_ceiling, HISTORY_CEILING_FACTOR * max(history, default=0.0))
    expected = min(expected_duration(configured, history, default), ceiling)
    return Timing(expected, ceiling, guessed=configured is None and not history)


def expected_duration(configured: float | None, history: Sequence[float], default: float) -> float:
    """Configuration first, then the median of past successful runs, then the default."""
    if configured is not None:
        return configured
    if history:
        return float(statistics.median(history))
    return default


def first_wait(timing: Timing, steps: Steps) -> int:
    """The wait before the first check of a phase that just started."""
    lead = LEAD_FRACTION * timing.expected_seconds
    wait = timing.expected_seconds - lead
    if timing.guessed:
        wait = min(wait, steps.guess_step_seconds)
    return _bounded(wait, elapsed=0.0, timing=timing, steps=steps)


def next_wait(timing: Timing, steps: Steps, elapsed: float, phase: str) -> int:
    """The wait after a check that found the phase not finished `elapsed` seconds in."""
    if elapsed >= timing.ceiling_seconds:
        raise PhaseTimedOut(
            f"{phase}: not finished after {_minutes(elapsed)} (ceiling {_minutes(timing.ceiling_seconds)})"
        )
    to_go = timing.expected_seconds - elapsed
    wait = APPROACH_FRACTION * to_go if to_go > 0 else LATE_FRACTION * -to_go
    return _bounded(min(wait, _longest(timing, steps)), elapsed, timing, steps)


def progressed_wait(timing: Timing, steps: Steps, elapsed: float, phase: str) -> int:
    """The wait after a check that found the phase further on (a progress state it had not seen:
    VALIDATING after IMPORTING, the agent's result, the builder STOPPED after SNAPSHOTTING): what is
    left is planned as a phase of its own, its first look `LEAD_FRACTION` before its expected end."""
    to_go = timing.expected_seconds - elapsed
    if to_go <= 0:  # late already: as after any check (PhaseTimedOut at the ceiling)
        return next_wait(timing, steps, elapsed, phase)
    rest = Timing(to_go, timing.ceiling_seconds - elapsed, guessed=timing.guessed)
    return first_wait(rest, steps)


def _longest(timing: Timing, steps: Steps) -> int:
    return min(steps.max_step_seconds, steps.guess_step_seconds) if timing.guessed else steps.max_step_seconds


def _bounded(wait: float, elapsed: float, timing: Timing, steps: Steps) -> int:
    wait = max(float(steps.floor_seconds), wait)
    # Never sleep past the ceiling: the last check happens exactly at it.
    return max(1, math.ceil(min(wait, timing.ceiling_seconds - elapsed)))


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min"


def steps(settings: Settings) -> Steps:
    return Steps(
        settings.poll_floor_seconds, settings.poll_max_step_seconds, settings.poll_guess_step_seconds
    )


def wait_override(wait: PhaseWait) -> tuple[float | None, float | None]:
    """(expected, ceiling) seconds a request sets for a wait, None where it leaves the default."""
    expected = wait.expected_minutes * 60 if wait.expected_minutes else None
    ceiling = wait.ceiling_minutes * 60 if wait.ceiling_minutes else None
    return expected, ceiling


def phase_timing(
    context: Context, pipeline: str, key: str, wait: PhaseWait, default: float, ceiling: float
) -> Timing:
    """Request override first, then the pipeline's (or job's) history of phase `key`, then the default."""
    configured, configured_ceiling = wait_override(wait)
    history = (
        context.records.phase_history(pipeline, key, context.settings.history_runs)
        if configured is None
        else []
    )
    return timing(configured, history, default, ceiling, configured_ceiling)


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
            "wait_seconds": 0 if check_first else first_wait(timing, steps(context.settings)),
        }
    )


def elapsed(progress: WaitProgress) -> float:
    return timeutil.now_epoch() - (
        progress.started_at if progress.started_at is not None else timeutil.now_epoch()
    )


def checked(progress: P, done: bool, context: Context, label: str, *, progressed: bool = False) -> P:
    """After a check: finished, or the next wait (PhaseTimedOut at the ceiling); `progressed`: the
    check saw a progress state the last one had not (`progressed_wait`)."""
    polls = progress.polls + 1
    if done:
        return progress.model_copy(update={"polls": polls, "done": True, "wait_seconds": 0})
    timing = Timing(
        progress.expected_seconds or 0.0,
        progress.ceiling_seconds or FALLBACK_CEILING,
        guessed=progress.guessed,
    )
    plan_wait = progressed_wait if progressed else next_wait
    wait = plan_wait(timing, steps(context.settings), elapsed(progress), label)
    return progress.model_copy(update={"polls": polls, "done": False, "wait_seconds": wait})
