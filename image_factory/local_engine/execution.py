"""One execution of the state machine on the local engine, seen through the Step Functions API."""

from __future__ import annotations

import json
import time
from typing import Any

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
        return str(self.describe()["status"])

    def is_running(self) -> bool:
        return self.status() == "RUNNING"

    def history(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self._sfn.get_execution_history(
            executionArn=self.arn, maxResults=1000
        )["events"]
        return events

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
