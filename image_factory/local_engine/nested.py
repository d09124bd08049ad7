"""Nested executions (`arn:aws:states:::states:startExecution.sync:2`) on moto's interpreter.

A workflow that hands its result to another (a managed update to an export backup)
starts it with the Step Functions integration, as on AWS. moto 5.2.5's interpreter
passes the state's parameters to boto3 as written (`StateMachineArn`, `Input`,
`Name`) where boto3 wants `stateMachineArn`, `input`, `name`, and returns boto3's
names where the ASL reads AWS's (`ExecutionArn`, `Output`, `Status`): AWS converts
both ways, the vendored interpreter leaves it to a normaliser that does nothing.
This seam does that conversion for the Step Functions integration only.

The interpreter also looks at a started execution every 0.5 real seconds, which the
compressed clock would turn into long simulated delays; it looks every 20 ms instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_callback as callback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)

from image_factory.local_engine.seams import EngineIncompatible


def _rename_keys(document: Any, first: Any) -> None:
    if isinstance(document, dict):
        for key in list(document):
            renamed = first(key[:1]) + key[1:]
            if renamed != key:
                document[renamed] = document.pop(key)


_METHODS = ("_normalise_parameters", "_normalise_response")
_POLL = "_DELAY_SECONDS_SYNC_CONDITION_CHECK"
POLL_SECONDS = 0.02


def verify() -> None:
    missing = [name for name in _METHODS if not callable(getattr(StateTaskServiceSfn, name, None))]
    if not isinstance(getattr(callback, _POLL, None), float):
        missing.append(_POLL)
    if missing:
        raise EngineIncompatible(
            f"moto's StateTaskServiceSfn lacks {', '.join(missing)}: re-check {__name__}"
        )


@contextmanager
def _overridden(name: str, value: Any) -> Iterator[None]:
    """Set `name` on the class itself (it may be inherited), and put back exactly what was there."""
    own = StateTaskServiceSfn.__dict__.get(name)
    setattr(StateTaskServiceSfn, name, value)
    try:
        yield
    finally:
        if own is None:
            delattr(StateTaskServiceSfn, name)
        else:
            setattr(StateTaskServiceSfn, name, own)


@contextmanager
def nested_executions() -> Iterator[None]:
    verify()
    original = StateTaskServiceSfn._normalise_parameters

    def normalise_parameters(self: Any, parameters: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original(self, parameters, *args, **kwargs)  # serialises `Input` to a JSON string first
        _rename_keys(parameters, str.lower)

    def normalise_response(self: Any, response: Any, *args: Any, **kwargs: Any) -> None:
        _rename_keys(response, str.upper)

    poll = getattr(callback, _POLL)
    with ExitStack() as stack:
        setattr(callback, _POLL, POLL_SECONDS)
        stack.callback(setattr, callback, _POLL, poll)
        stack.enter_context(_overridden("_normalise_parameters", normalise_parameters))
        stack.enter_context(_overridden("_normalise_response", normalise_response))
        yield
