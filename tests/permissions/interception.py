"""Checks each call the functions' clients make, attributed to the handler the local engine is running.

The engine runs handlers in-process, on the interpreter's threads, so the running handler is
kept per thread around `InProcessInvoker._invoke_once`; each client `functions.core.clients` makes
gets a `before-parameter-build` handler, which sees the call before it is sent (and before a
delete removes the tags a condition reads). The state machines' own service integrations
(invoking the functions, starting another workflow) are checked the same way against each
state machine's role: the interpreter's integration clients are checked while a Task state
of that state machine runs (`state_machine_key`).
"""

from __future__ import annotations

import functools
import threading
import time
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)
from moto.stepfunctions.parser.asl.utils import boto_client as integration_clients

from functions.api import executions
from functions.core import clients
from functions.workflows import API_FUNCTION
from image_factory.local_engine.lambdas import InProcessInvoker
from image_factory.remote.local_server import LocalApiServer
from tests.permissions.calls import requests
from tests.permissions.policy_check import RolePolicy
from tests.permissions.simulator import Ask

_running = threading.local()
STATE_MACHINE = "state machine "


def state_machine_key(state_machine_arn: str) -> str:
    """The key of a local state machine's role among the checked policies ("state machine NAME")."""
    return STATE_MACHINE + state_machine_arn.rpartition(":")[2]


@dataclass
class CheckedCalls:
    policies: Mapping[str, RolePolicy]  # handler dotted path -> its role's policy
    known: Callable[[str, str], bool] = lambda action, resource: False
    refused: list[str] = field(default_factory=list)  # "handler: action on resource", known ones too
    unknown: set[str] = field(default_factory=set)
    exercised: set[str] = field(default_factory=set)  # "role: grant" of every grant that allowed a call
    roles: dict[str, RolePolicy] = field(default_factory=dict)  # the roles whose functions made calls
    asks: set[Ask] = field(default_factory=set)  # every call, for the second judge (`simulator`)
    seconds: float = 0.0

    def check(self, params: dict[str, Any], model: Any, region: str | None = None, **_: Any) -> None:
        handler = getattr(_running, "handler", None)
        if handler is None:
            return  # a call of the test or the engine itself, not of a deployed function
        started = time.perf_counter()
        try:
            policy = self.roles.setdefault(self.policies[handler].role, self.policies[handler])
            keys = policy.condition_keys
            for call in requests(model.service_model.signing_name, model.name, params, region):
                # The keys are read now: a delete is about to remove the tags a condition reads.
                context = tuple((key, value) for key in keys if (value := call.context(key)) is not None)
                self.asks.add(Ask(policy.role, call.action, call.resource, context))
                allowed = policy.allowing(call.action, call.resource, call.context)
                self.exercised.update(f"{grant.role}: {grant}" for grant in allowed)
                if not allowed:
                    line = f"{handler}: {call.action} on {call.resource}"
                    self.refused.append(line)
                    if not self.known(call.action, call.resource):
                        self.unknown.add(line)
        finally:
            self.seconds += time.perf_counter() - started


@contextmanager
def _running_as(handler: str) -> Iterator[None]:
    """Calls made meanwhile on this thread are `handler`'s; whoever ran before is back after."""
    previous, _running.handler = getattr(_running, "handler", None), handler
    try:
        yield
    finally:
        _running.handler = previous


@contextmanager
def checked_calls(checked: CheckedCalls) -> Iterator[CheckedCalls]:
    original_client = clients._new_client
    original_invoke = InProcessInvoker._invoke_once
    original_invoke_api = LocalApiServer.invoke
    original_task_state = StateTaskService._eval_execution
    original_sfn_client = executions._client.__wrapped__

    def checking(client: Any) -> Any:
        # The client's region: a copy's calls go to its own region's resources.
        check = functools.partial(checked.check, region=client.meta.region_name)
        client.meta.events.register("before-parameter-build", check)
        return client

    def invoke(self: InProcessInvoker, function: Any, event: Any) -> tuple[str, bool, str]:
        with _running_as(function.handler):  # from a Task state, whose key is back after
            return original_invoke(self, function, event)

    def invoke_api(self: LocalApiServer, event: Mapping[str, Any]) -> dict[str, Any]:
        with _running_as(API_FUNCTION.handler):
            return original_invoke_api(self, event)

    def task_state(self: StateTaskService, env: Any) -> None:
        state_machine = env.states.context_object.context_object_data["StateMachine"]["Id"]
        with _running_as(state_machine_key(state_machine)):
            original_task_state(self, env)

    @functools.cache
    def checked_sfn_client() -> Any:  # the run API's own Step Functions client
        return checking(original_sfn_client())

    integration_clients_module = types.SimpleNamespace(client=lambda *a, **k: checking(boto3.client(*a, **k)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clients, "_new_client", lambda *service: checking(original_client(*service)))
        patch.setattr(InProcessInvoker, "_invoke_once", invoke)
        patch.setattr(LocalApiServer, "invoke", invoke_api)
        patch.setattr(executions, "_client", checked_sfn_client)
        patch.setattr(integration_clients, "boto3", integration_clients_module)
        patch.setattr(StateTaskService, "_eval_execution", task_state)
        clients.reset()  # clients made before this point would go unchecked
        try:
            yield checked
        finally:
            clients.reset()
