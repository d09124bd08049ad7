"""The one wrapper that makes a function the Lambda handler of a Task state.

`@task(EventModel)` applies Powertools (the Lambda context in every log line, a trace
segment, metrics flushed at the end), validates the state's `Payload` as `EventModel`,
appends the run's log keys and returns the function's result as JSON. The function takes the
parsed event and nothing of Lambda, so a task is one line: call its service.

The project's models are built on first use (`functions.core.model`); the event model of the
handler this process runs is built when the handler is defined, at its function's init, since its
first request validates it (the other handlers of a shared module leave theirs unbuilt).

Log keys: `run_id` and `pipeline` of an event carrying a plan, `execution` of one carrying
only the execution (a run not yet planned), plus `keys`: a log key per dotted attribute path
of the event (`@task(RolloutEvent, keys={"fleet": "rollout.name"})`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from functions.core.observability import logger, metrics, tracer

if TYPE_CHECKING:
    # A name for the checker only: Powertools' typing modules are no part of a cold start.
    from aws_lambda_powertools.utilities.typing import LambdaContext

    Handler = Callable[[dict[str, Any], LambdaContext], Any]

E = TypeVar("E", bound=BaseModel)


def task(
    event_model: type[E], *, keys: Mapping[str, str] | None = None
) -> Callable[[Callable[[E], Any]], Handler]:
    def wrap(function: Callable[[E], Any]) -> Handler:
        @functools.wraps(function)
        @logger.inject_lambda_context(log_event=False, clear_state=True)
        @tracer.capture_lambda_handler(capture_response=False)
        @metrics.log_metrics
        def handler(event: dict[str, Any], context: LambdaContext) -> Any:
            parsed = event_model.model_validate(event)
            logger.append_keys(**log_keys(parsed, keys or {}))
            return as_json(function(parsed))

        if is_lambda_handler(function):
            event_model.model_rebuild()
        return handler

    return wrap


def is_lambda_handler(handler: Callable[..., Any]) -> bool:
    """Whether this process is the Lambda function whose handler is `handler`: Lambda names the
    handler it runs ("module.function") in `_HANDLER`. A module shared by several functions loads
    what only one of them needs at that function's init, and no other's."""
    return os.environ.get("_HANDLER") == f"{handler.__module__}.{handler.__qualname__}"


def log_keys(event: BaseModel, keys: Mapping[str, str]) -> dict[str, Any]:
    plan = getattr(event, "plan", None)
    found: dict[str, Any] = {}
    if plan is not None:
        found.update(run_id=plan.run_id, pipeline=plan.pipeline)
    elif (execution := getattr(event, "execution", None)) is not None:
        found.update(execution=execution.name)
    for key, path in keys.items():
        found[key] = functools.reduce(getattr, path.split("."), event)
    return found


def as_json(result: Any) -> Any:
    """A model as its JSON document; a document, a list or None as it is."""
    return result.model_dump(mode="json") if isinstance(result, BaseModel) else result
