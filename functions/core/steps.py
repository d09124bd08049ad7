"""Step records around a task: attempts and polls as they happen, the first terminal error kept."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from functions.core.context import Context
from functions.core.errors import ImageFactoryError
from functions.core.observability import logger


class RunIdentity(Protocol):
    """Any workflow's plan: the run it belongs to."""

    @property
    def run_id(self) -> str: ...


@contextmanager
def failures_recorded(
    context: Context, plan: RunIdentity, step: str, *, names_the_run: bool = True
) -> Iterator[None]:
    """Record a terminal error against the step (and the run, when `names_the_run`), then let it propagate.

    Retryable errors are not recorded: the state machine tries again, and if it gives
    up, the failure record of the run closes the step with that error. A step that runs
    after another one failed (cleanup) passes `names_the_run=False`: the run's error is
    the failure that sent it there, decided when the run is recorded as failed.
    """
    try:
        yield
    except ImageFactoryError as error:
        if not error.retryable:
            code, message = type(error).__name__, str(error)
            logger.warning("step failed", extra={"step": step, "error_code": code, "error_message": message})
            context.records.step_failed(plan.run_id, step, code, message)
            if names_the_run:
                context.records.record_run_error(plan.run_id, step, code, message)
        raise
