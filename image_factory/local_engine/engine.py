"""The local engine: the real state machine on moto's interpreter, handlers in-process, AppStream emulated.

    with LocalEngine(scenario=Scenario.load("throttling.yaml"), time_scale=2000) as engine:
        outcome = engine.run(request)            # one run, to the end
        outcomes = engine.run_many(requests)     # parallel executions in one account
        engine.counters(), engine.inventory()

The stack's signal rules sit on the default bus (aws_signals.py): the emulator's export sends
EC2's AMI state change, which resumes the run's wait for it.

Given the deployment configuration, the engine also puts the stack's chain rules on its
run event bus (event_rules.py): a run that makes an image starts the chained fleet rollout.

    with LocalEngine(scenario, config=load_config(path)) as engine:
        engine.run(request); engine.executions    # the run, then the rollout it started

Everything lives inside one `mock_aws` block: leaving the engine stops what still
runs, waits for the interpreter's threads, and restores every patched seam.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from moto import mock_aws
from moto.stepfunctions.parser.utils import TMP_THREADS
from pydantic import BaseModel

from appstream_emulator import S3JobsStore
from appstream_emulator.core import Emulator
from appstream_emulator.inprocess import emulated_appstream
from appstream_emulator.scenario import Scenario
from functions.core import names
from functions.workflows import DEFAULT_WORKFLOW, LAMBDA_TASKS, SIGNAL_FUNCTIONS, LambdaTask, get_workflow
from image_factory.local_engine.aws_signals import AwsSignals, aws_signals
from image_factory.local_engine.companions import CompanionMachines
from image_factory.local_engine.definition import load_definition
from image_factory.local_engine.dynamodb_seams import requests_sized_to_what_they_touch
from image_factory.local_engine.ec2_amis import MotoAmis, copy_image_tags
from image_factory.local_engine.environment import (
    environment_variables,
    fresh_function_caches,
    functions_clock,
)
from image_factory.local_engine.event_rules import RunEventRules, put_cancel_rules, run_event_rules
from image_factory.local_engine.execution import LocalExecution
from image_factory.local_engine.history import state_transitions
from image_factory.local_engine.interpreter_caches import interpreter_caches
from image_factory.local_engine.lambdas import InProcessInvoker
from image_factory.local_engine.nested import nested_executions
from image_factory.local_engine.outcome import EngineCounters, RunOutcome
from image_factory.local_engine.output import collected_interpreter_log, routed_standard_streams
from image_factory.local_engine.records import builder_slots_in_use
from image_factory.local_engine.resources import (
    STAGE,
    passable_role_arns,
    provision,
    shared_image_accounts,
    state_machine_name,
)
from image_factory.local_engine.seams import patched_interpreter, verify_seams
from image_factory.local_engine.status_events import StatusEvents, status_change_events
from image_factory.local_engine.timewarp import SimulatedTime
from stacks.config import DeploymentConfig
from stacks.rollout_rules import chain_rules

ACCOUNT_ID = "123456789012"  # moto's default account: the emulator must live in the same one
DEFAULT_REGION = "us-east-1"
# 3000x turns the reference pipeline's ~4 simulated hours into ~5 real seconds of waiting (tasks
# add their own real time, which is not simulated time); the shortest wait between two checks
# (45 simulated seconds) is still 15 real milliseconds, long enough to sleep accurately.
DEFAULT_TIME_SCALE = 3000.0
DEFAULT_RUN_TIMEOUT = 300.0  # real seconds before a local run is declared stuck

_engine_lock = threading.Lock()


class EngineBusy(RuntimeError):
    """Another LocalEngine is active in this process (moto's mock and the seams are process-wide)."""


class LocalEngine:
    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        time_scale: float = DEFAULT_TIME_SCALE,
        definition: Path | None = None,
        workflow: str = DEFAULT_WORKFLOW,
        tasks: Sequence[LambdaTask] = LAMBDA_TASKS,
        replay: Iterable[str] = (),
        settings: Mapping[str, str] | None = None,
        region: str = DEFAULT_REGION,
        config: DeploymentConfig | None = None,
    ) -> None:
        self.scenario = scenario if scenario is not None else Scenario()
        self.time = SimulatedTime(time_scale)
        self.invoker = InProcessInvoker(replay, self.time.working, self.time.now)
        self.region = region
        # The workflow's registered ASL file, unless a test runs a definition of its own.
        self.workflow = workflow
        self._definition_path = definition or get_workflow(workflow).definition
        self._tasks = tuple(tasks)
        # The slot limit follows the emulated quota, and the roles the deployment's, unless a test
        # overrides them.
        stage = (settings or {}).get(names.ENV_STAGE, STAGE)
        roles = passable_role_arns(config, account=ACCOUNT_ID, stage=stage, region=region)
        # The regions a configured deployment may copy to; without a configuration, any region.
        regions = (
            {names.ENV_DISTRIBUTION_REGIONS: ",".join(config.settings.distribution_regions)}
            if config is not None
            else {}
        )
        self._settings = {
            names.ENV_BUILDER_SLOT_LIMIT: str(self.scenario.quotas.image_builders),
            names.ENV_PASSABLE_ROLES: roles,
            names.ENV_SHARED_IMAGE_ACCOUNTS: shared_image_accounts(config),
            **regions,
            **(settings or {}),
        }
        self._stack: ExitStack | None = None
        self._emulator: Emulator | None = None
        self._state_machine_arn = ""
        self._executions: list[LocalExecution] = []
        self._threads_before = 0
        self._sequence = 0
        self._naming = threading.Lock()  # event rules start runs from the interpreter's threads
        # The deployment's chain rules, delivered on the local run event bus once running.
        self.event_rules = RunEventRules(chain_rules(config) if config is not None else ())
        self.status_events = StatusEvents()
        self.interpreter_log: list[str] = []
        self.aws_signals = AwsSignals()

    # --- lifetime ----------------------------------------------------------------------------

    def __enter__(self) -> LocalEngine:
        verify_seams()
        if not _engine_lock.acquire(blocking=False):
            raise EngineBusy("a LocalEngine is already running in this process")
        stack = ExitStack()
        stack.callback(_engine_lock.release)
        try:
            self._open(stack)
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return self

    def _open(self, stack: ExitStack) -> None:
        stack.enter_context(routed_standard_streams())
        stack.enter_context(collected_interpreter_log(self.interpreter_log))
        stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        base_environment = {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_SERVICE_NAME": "image-factory",
            "POWERTOOLS_METRICS_NAMESPACE": "ImageFactoryLocal",
            # The account's EC2 holds only the AMIs runs export: moto's catalogue of public AMIs
            # would be loaded for nothing whenever a run first looks at EC2.
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        }
        stack.enter_context(environment_variables(base_environment))
        stack.enter_context(fresh_function_caches())
        functions = (*self._tasks, *SIGNAL_FUNCTIONS)
        self.invoker.preload(task.handler for task in functions)
        resources = provision(self.region, functions, self._settings)
        stack.enter_context(environment_variables(resources.environment))
        jobs = S3JobsStore(resources.environment[names.ENV_JOBS_BUCKET], self._s3_client)
        # An export's AMI is made in moto's EC2, where the workflows copy, share and deregister it.
        stack.enter_context(copy_image_tags())
        self._emulator = Emulator(
            self.scenario, self.time, account_id=ACCOUNT_ID, region=self.region, jobs=jobs, amis=MotoAmis()
        )
        stack.enter_context(emulated_appstream(self._emulator))
        stack.enter_context(functions_clock(self.time.now))
        stack.enter_context(patched_interpreter(self.invoker, self.time, self.scenario.seed))
        stack.enter_context(interpreter_caches())
        stack.enter_context(requests_sized_to_what_they_touch())
        stack.enter_context(nested_executions())
        # Workflows this one starts (a chained export, rollout) are deployed next to it.
        placeholders = CompanionMachines(self._sfn(), resources).deploy(self._definition_path, self.workflow)
        definition = load_definition(self._definition_path, placeholders)
        self._state_machine_arn = self._sfn().create_state_machine(
            name=state_machine_name(self.workflow),
            definition=definition,
            roleArn=resources.role_arn,
            type="STANDARD",
        )["stateMachineArn"]
        self.event_rules = stack.enter_context(
            run_event_rules(
                self.event_rules.rules,
                region=self.region,
                role_arn=resources.role_arn,
                placeholders=placeholders,
                start=self._start_delivered,
            )
        )
        # A stopped run cleans up in its own state machine, started by the stage's cancel rule.
        self.status_events = stack.enter_context(status_change_events(ACCOUNT_ID, self.region))
        self.deploy_cancel_rules()
        # The signals AWS sends (EC2's AMI state change, S3's agent result) resume the waits on them.
        self.aws_signals = stack.enter_context(
            aws_signals(
                self._emulator,
                self.time,
                region=self.region,
                functions=resources.placeholders,
                delivery=self.scenario.assumptions.aws_events,
            )
        )
        self._threads_before = len(TMP_THREADS)
        stack.callback(self._stop_everything)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.close()

    def _stop_everything(self) -> None:
        """Stop running executions and let their threads finish while the mock still answers them."""
        self.status_events.sending = False  # closing is no cancel: nothing to clean up after
        for execution in self._executions:
            if execution.is_running():
                execution.stop("engine closed")
        for thread in TMP_THREADS[self._threads_before :]:
            thread.join(timeout=10)

    def deploy_cancel_rules(self) -> None:
        """A cancel rule for each workflow's state machine in the account (call after creating one)."""
        put_cancel_rules(self.event_rules, self.region)

    # --- clients -----------------------------------------------------------------------------

    def _sfn(self) -> Any:
        return boto3.client("stepfunctions", region_name=self.region)

    def _s3_client(self) -> Any:
        return boto3.client("s3", region_name=self.region)

    # --- runs --------------------------------------------------------------------------------

    @property
    def emulator(self) -> Emulator:
        if self._emulator is None:
            raise RuntimeError("the engine is not running: use it as a context manager")
        return self._emulator

    @property
    def executions(self) -> list[LocalExecution]:
        return list(self._executions)

    def start(self, request: Mapping[str, Any] | BaseModel, *, name: str | None = None) -> LocalExecution:
        """Start one execution of the state machine with `request` as input; returns at once."""
        if self._stack is None:
            raise RuntimeError("the engine is not running: use it as a context manager")
        document = (
            request.model_dump(mode="json", by_alias=True) if isinstance(request, BaseModel) else request
        )
        return self._start_on(self._state_machine_arn, dict(document), name)

    def _start_delivered(self, state_machine_arn: str, document: dict[str, Any]) -> LocalExecution:
        """A run an event rule starts (a chained rollout), named and followed like the engine's own."""
        return self._start_on(state_machine_arn, document, None)

    def _start_on(self, state_machine_arn: str, document: dict[str, Any], name: str | None) -> LocalExecution:
        with self._naming:
            self._sequence += 1
            sequence = self._sequence
        # Executions are always named: the name is the run id every record and tag carries.
        name = name or f"run-{sequence:03d}-{uuid.uuid4().hex[:8]}"
        execution = LocalExecution.start(self._sfn(), state_machine_arn, name, document, self.time)
        self._executions.append(execution)
        return execution

    def run(
        self, request: Mapping[str, Any] | BaseModel, *, timeout: float = DEFAULT_RUN_TIMEOUT
    ) -> RunOutcome:
        return self.start(request).wait(timeout)

    def run_many(
        self, requests: Iterable[Mapping[str, Any] | BaseModel], *, timeout: float = DEFAULT_RUN_TIMEOUT
    ) -> list[RunOutcome]:
        """Start every request at once, then wait for all of them (same account, same quotas)."""
        started = [self.start(request) for request in requests]
        deadline = time.monotonic() + timeout
        return [execution.wait(max(deadline - time.monotonic(), 0.0)) for execution in started]

    # --- what happened -----------------------------------------------------------------------

    def counters(self) -> EngineCounters:
        calls = dict(self.emulator.call_counts)
        return EngineCounters(
            state_transitions=sum(state_transitions(execution.history()) for execution in self._executions),
            lambda_invocations=self.invoker.invocation_count,
            appstream_calls=sum(calls.values()),
            appstream_calls_by_operation=dict(sorted(calls.items())),
            lambda_gb_seconds=round(self.invoker.gb_seconds, 3),
        )

    def builder_slots_in_use(self) -> int:
        return builder_slots_in_use()

    def inventory(self) -> dict[str, Any]:
        """What is left in the emulated AppStream account (builders, images, export tasks, ...)."""
        return self.emulator.inventory()

    def amis(self) -> list[dict[str, Any]]:
        """The AMIs left in moto's EC2 of every region the account was used in (exports and copies)."""
        return [
            {"id": ami["ImageId"], "name": ami.get("Name"), "region": region, "state": ami.get("State")}
            for region in self.emulator.regions
            for ami in boto3.client("ec2", region_name=region).describe_images(Owners=["self"])["Images"]
        ]
