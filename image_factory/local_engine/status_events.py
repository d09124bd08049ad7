"""Step Functions' execution status change events, for the executions the local engine stops.

On AWS, Step Functions sends "Step Functions Execution Status Change" to the account's
default event bus when an execution of a Standard workflow changes status; the stage's
cancel rules (stacks/cancel_rules.py) start a stopped run's cleanup from the ABORTED one.
moto 5.2.5 sends none, so one seam, `StepFunctionResponse.stop_execution`, puts the ABORTED
event on moto's default bus once the execution is stopped, shaped as AWS documents it
(docs/emulator-fidelity.md); the rules' Step Functions targets then start in the engine
(event_rules.py). Only stops send events: the cleanup path is the one that needs them.

Delivery is synchronous (EventBridge's is not, and is best effort): the cleanup execution
has started when StopExecution answers. While the engine closes, the executions it stops
send nothing, so closing starts no cleanup.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from moto.events.models import events_backends
from moto.stepfunctions.responses import StepFunctionResponse

from image_factory.local_engine.seams import EngineIncompatible, replaced
from stacks.cancel_rules import DEFAULT_BUS, DETAIL_TYPE, SOURCE


class StatusEvents:
    """Whether stops send their events: not while the engine closes."""

    def __init__(self) -> None:
        self.sending = True


def verify() -> None:
    parameters = list(inspect.signature(StepFunctionResponse.stop_execution).parameters)
    if parameters != ["self"]:
        raise EngineIncompatible(
            f"moto's StepFunctionResponse.stop_execution{parameters} changed: re-check {__name__}"
        )


@contextmanager
def status_change_events(account: str, region: str) -> Iterator[StatusEvents]:
    verify()
    state = StatusEvents()
    original = StepFunctionResponse.stop_execution
    with replaced(StepFunctionResponse, "stop_execution", _sending(original, state, account, region)):
        yield state


def _sending(
    original: Callable[..., Any], state: StatusEvents, account: str, region: str
) -> Callable[..., Any]:
    def stop_execution(self: Any) -> Any:
        answer = original(self)
        if state.sending:
            arn = str(self._get_param("executionArn"))
            execution = self.stepfunction_backend.describe_execution(arn)
            detail = aborted_detail(arn, execution, self._get_param("error"), self._get_param("cause"))
            events_backends[account][region].put_events(
                [
                    {
                        "Source": SOURCE,
                        "DetailType": DETAIL_TYPE,
                        "Detail": json.dumps(detail),
                        "Resources": [arn],
                        "EventBusName": DEFAULT_BUS,
                    }
                ]
            )
        return answer

    return stop_execution


def aborted_detail(arn: str, execution: Any, error: str | None, cause: str | None) -> dict[str, Any]:
    """The event's detail: dates in epoch milliseconds, the input as JSON text, as AWS sends them."""
    stopped = execution.stop_date or datetime.now(UTC)
    return {
        "executionArn": arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": "ABORTED",
        "startDate": _epoch_ms(execution.start_date),
        "stopDate": _epoch_ms(stopped),
        "input": execution.execution_input,
        "inputDetails": {"included": True},
        "output": None,
        "outputDetails": None,
        "error": error,
        "cause": cause,
    }


def _epoch_ms(moment: Any) -> int:
    if isinstance(moment, datetime):
        return int(moment.timestamp() * 1000)
    return int(float(moment) * 1000) if float(moment) < 1e11 else int(moment)
