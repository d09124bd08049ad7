"""One execution of the state machine on the local engine, seen through the Step Functions API.

Status and event history are read from moto's own record of the execution, where the
API reads them too: waiting reads the status a hundred times a second, and the API's
response serializer costs more than a whole run for a long history (which it would also
cut at 1000 events). The events keep the API's shape.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from image_factory.local_engine.history import state_visits
from image_factory.local_engine.outcome import RunOutcome, build_outcome
from image_factory.local_engine.records import read_run
from image_factory.local_engine.timewarp import SimulatedTime

_POLL_SECONDS = 0.01  # real time between two looks at a running execution
_START_ALLOWANCE_SECONDS = 30.0  # real time an execution may take to start


class RunTimedOut(RuntimeError):
    """A local run did not finish within its real-time allowance (it is stopped)."""


class LocalExecution:
    def __init__(self, sfn: Any, arn: str, name: str, request: dict[str, Any], clock: SimulatedTime) -> None:
        self._sfn = sfn
        self.arn = arn
        self.name = name
        self.request = request
        self._time = clock
        self.started_at = clock.now()
        self._moto_record: Any = None

    def _moto_execution(self) -> Any:
        if self._moto_record is None:
            _, _, _, region, account, *_ = self.arn.split(":")
            self._moto_record = stepfunctions_parser_backends[account][region].describe_execution(self.arn)
        return self._moto_record

    @classmethod
    def start(
        cls, sfn: Any, state_machine_arn: str, name: str, request: dict[str, Any], clock: SimulatedTime
    ) -> LocalExecution:
        arn = sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(request))[
            "executionArn"
        ]
        return cls(sfn, arn, name, request, clock)

    def describe(self) -> dict[str, Any]:
        description: dict[str, Any] = self._sfn.describe_execution(executionArn=self.arn)
        return description

    def status(self) -> str:
        return str(self._moto_execution().exec_status.value)

    def is_running(self) -> bool:
        return self.status() == "RUNNING"

    def history(self) -> list[dict[str, Any]]:
        """Every event of the execution so far, as GetExecutionHistory returns them."""
        events = self._moto_execution().to_history_output()["events"]
        return [_as_api_event(event) for event in events]

    def current_state(self) -> str | None:
        visits = state_visits(self.history())
        return visits[-1].name if visits else None

    def stop(self, cause: str) -> None:
        # moto can stop an execution only once its thread has built its environment, which
        # it announces with the ExecutionStarted event (the definition is parsed first).
        deadline = time.monotonic() + _START_ALLOWANCE_SECONDS
        while not self.history() and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
        self._sfn.stop_execution(executionArn=self.arn, error="LocalEngine.Stopped", cause=cause)

    def wait(self, timeout: float) -> RunOutcome:
        """Block until the execution ends (or `timeout` real seconds pass: then stop it and raise)."""
        deadline = time.monotonic() + timeout
        while self.is_running():
            if time.monotonic() >= deadline:
                self.stop(f"did not finish within {timeout:.0f} real seconds")
                raise RunTimedOut(f"{self.name} did not finish within {timeout:.0f} real seconds")
            time.sleep(_POLL_SECONDS)
        return self.outcome()

    def records(self) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The run's record and step records as the workflow wrote them to the runs table."""
        return read_run(self.name)

    def outcome(self) -> RunOutcome:
        record, steps = self.records()
        return build_outcome(self.name, self.describe(), self.history(), self._time, record, steps)


def _as_api_event(event: dict[str, Any]) -> dict[str, Any]:
    # moto keeps the type as an enum and the timestamp as ISO text; the API returns a plain
    # string and a datetime.
    return {
        **event,
        "type": str(getattr(event["type"], "value", event["type"])),
        "timestamp": datetime.fromisoformat(event["timestamp"]),
    }
