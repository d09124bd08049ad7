"""The boto3 clients each task function creates: recorded from runs of every workflow in the local engine.

A function creates its clients through `functions.core.clients` on first use, and a Lambda
function is its own process: the services a handler asks `functions.core.clients` for while it
runs are the clients its first call creates. `record_clients` runs each workflow on its
way to success and on its way to failure (cleanup, rollback and the failure records run
only then), and a manual snapshot (its notice is the only SNS publish), and keeps, per
handler, every service any of its invocations asked for: a cold function's first call can
take any of those paths. `HANDLER_CLIENTS` is that record, kept here so the cold start
benchmark needs no runs; a test runs the workflows again and compares.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from agent_contract.documents import ImageSpec
from benchmarks.fast import FAST_SETTINGS, lifecycle_scenario
from benchmarks.fault_subjects import SUBJECTS, Subject
from functions.core import clients, names
from functions.workflows import LAMBDA_TASKS
from image_factory.local_engine.engine import LocalEngine
from image_factory.local_engine.lambdas import InProcessInvoker

# Task name -> the services whose clients its handler creates (functions.core.clients accessor names).
HANDLER_CLIENTS: dict[str, tuple[str, ...]] = {
    "ValidateRequest": (),
    "RecordRun": ("dynamodb", "events"),
    "Preflight": ("appstream", "dynamodb", "ec2"),
    "ImportImage": ("appstream", "dynamodb"),
    "CheckImage": ("appstream", "dynamodb"),
    "AcquireBuilderSlot": ("dynamodb",),
    "CreateBuilder": ("appstream", "dynamodb"),
    "CheckBuilder": ("appstream", "dynamodb"),
    "StartSnapshot": ("dynamodb", "s3", "sns"),
    "WaitForSnapshot": ("dynamodb",),
    "CheckSnapshot": ("appstream", "dynamodb", "s3"),
    "CopyImage": ("appstream", "dynamodb"),
    "CheckCopies": ("appstream", "dynamodb"),
    "ShareImage": ("appstream", "dynamodb"),
    "ExportImage": ("appstream", "dynamodb"),
    "WaitForExport": ("dynamodb",),
    "CheckExport": ("appstream", "dynamodb"),
    "CopyAmi": ("dynamodb", "ec2"),
    "CheckAmiCopies": ("dynamodb", "ec2"),
    "ShareAmi": ("dynamodb", "ec2"),
    "Cleanup": ("appstream", "dynamodb"),
    "RecordSuccess": ("dynamodb", "events"),
    "RecordFailure": ("dynamodb", "events"),
    "LifecycleValidate": (),
    "LifecycleRecordRun": ("dynamodb", "events"),
    "LifecycleRecordSuccess": ("dynamodb", "events"),
    "LifecycleRecordFailure": ("dynamodb", "events"),
    "BackupSelectImages": ("appstream", "dynamodb"),
    "BackupExportImage": ("appstream", "dynamodb"),
    "BackupWaitForExport": ("dynamodb",),
    "BackupCheckExport": ("appstream", "dynamodb"),
    "BackupReport": (),
    "UpdateCheckAvailable": ("appstream", "dynamodb"),
    "UpdateCreateImage": ("appstream", "dynamodb"),
    "UpdateCheckImage": ("appstream", "dynamodb"),
    "UpdateCleanup": ("appstream",),
    "RolloutInspectFleet": ("appstream", "dynamodb"),
    "RolloutApplyFleet": ("appstream", "dynamodb"),
    "RolloutRollbackFleet": ("appstream", "dynamodb"),
    "RolloutReport": ("dynamodb",),
    "RetentionPlan": ("appstream", "dynamodb", "ec2"),
    # Deleting an exported AMI would also create an EC2 client: the emulated account exports none.
    "RetentionApply": ("appstream", "dynamodb"),
    "RetentionReport": (),
    "PlanCancellation": (),
    "RecordCancelled": ("dynamodb", "events"),
}

RUN_TIMEOUT = 300.0  # real seconds for one recorded run


@dataclass(frozen=True)
class RecordedRun:
    label: str
    subject: Subject
    faults: tuple[dict[str, Any], ...] = ()
    change: Callable[[dict[str, Any]], None] = lambda request: None
    manual: bool = False  # an administrator creates the announced image
    cancel: bool = False  # stopped once it holds a builder: its own cleanup execution follows
    account: dict[str, Any] | None = None  # changes to the subject's scenario


def _subject(workflow: str) -> Subject:
    return next(subject for subject in SUBJECTS if subject.workflow == workflow)


def _manual(request: dict[str, Any]) -> None:
    request["snapshot"] = {"mode": "manual", "image_name": "{pipeline}-{run}-manual"}


def _distributing(request: dict[str, Any]) -> None:
    request["distribute"] = {
        "copy_to_regions": ["eu-west-1"],
        "share_with_accounts": ["111122223333"],
        "exported_ami": True,
    }


def _deleting(request: dict[str, Any]) -> None:
    request["dry_run"] = False


# The fleets scenario's images are all in use or the newest: one older, unused image to delete.
OLD_IMAGE = {
    "name": "web-20260901",
    "age_days": 86,
    "tags": {"image-factory:pipeline": "web", "image-factory:stage": "local"},
}


RECORDED_RUNS = (
    RecordedRun("image pipeline", _subject("image-pipeline")),
    RecordedRun("image pipeline, export fails", _subject("image-pipeline"), ({"resource": "export_task"},)),
    RecordedRun("image pipeline, distributed", _subject("image-pipeline"), change=_distributing),
    RecordedRun("image pipeline, manual snapshot", _subject("image-pipeline"), change=_manual, manual=True),
    RecordedRun("image pipeline, cancelled", _subject("image-pipeline"), change=_manual, cancel=True),
    RecordedRun("export backup", _subject("export-backup")),
    RecordedRun("export backup, export fails", _subject("export-backup"), ({"resource": "export_task"},)),
    RecordedRun("managed update", _subject("managed-update")),
    RecordedRun("managed update, image fails", _subject("managed-update"), ({"resource": "image"},)),
    RecordedRun("fleet rollout", _subject("fleet-rollout")),
    RecordedRun("fleet rollout, fleet fails", _subject("fleet-rollout"), ({"resource": "fleet"},)),
    RecordedRun("retention, dry run", _subject("retention")),
    RecordedRun(
        "retention, deleting",
        _subject("retention"),
        change=_deleting,
        account={
            "images": [
                *lifecycle_scenario().model_dump(by_alias=True, exclude_unset=True)["images"],
                OLD_IMAGE,
            ]
        },
    ),
)

_running = threading.local()


@contextmanager
def recorded_clients() -> Iterator[dict[str, set[str]]]:
    """Handler dotted path -> the services it asked `functions.core.clients` for, while the block runs."""
    asked: dict[str, set[str]] = {}
    original_client = clients._client
    original_invoke = InProcessInvoker._invoke_once
    lock = threading.Lock()

    def client(service: str, region: str | None = None) -> Any:
        handler = getattr(_running, "handler", None)
        if handler is not None:
            with lock:
                asked[handler].add(service)
        return original_client(service, region)

    def invoke(self: InProcessInvoker, function: Any, event: Any) -> tuple[str, bool, str]:
        with lock:
            asked.setdefault(function.handler, set())
        _running.handler = function.handler
        try:
            return original_invoke(self, function, event)
        finally:
            _running.handler = None

    clients._client = client
    InProcessInvoker._invoke_once = invoke  # type: ignore[method-assign]
    try:
        yield asked
    finally:
        clients._client = original_client
        InProcessInvoker._invoke_once = original_invoke  # type: ignore[method-assign]


def _stop_once_it_holds_a_builder(engine: LocalEngine, execution: Any) -> None:
    """What a cancel does: stop the execution (a manual snapshot waits for a person meanwhile)."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline and not engine.inventory().get("image_builders"):
        time.sleep(0.05)
    execution.stop("cancelled by the recorded run")


def _create_announced_image(engine: LocalEngine, execution: Any) -> None:
    """What the administrator does: once the notice is out, create the image it names on its builder."""
    sqs = boto3.client("sqs", region_name=engine.region)
    queue_url = sqs.create_queue(QueueName="administrators")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    boto3.client("sns", region_name=engine.region).subscribe(
        TopicArn=os.environ[names.ENV_NOTIFICATION_TOPIC],
        Protocol="sqs",
        Endpoint=queue_arn["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get("Messages", [])
        if messages:
            notice = json.loads(messages[0]["Body"])
            engine.emulator.run_image_assistant(notice["image_builder"], ImageSpec(name=notice["image_name"]))
            return
        time.sleep(0.05)
    raise RuntimeError(f"run {execution.name}: no manual snapshot notice was published")


def record_clients(runs: tuple[RecordedRun, ...] = RECORDED_RUNS) -> dict[str, tuple[str, ...]]:
    """Task name -> services its handler created over `runs` (one engine per run, one after another)."""
    by_handler = {task.handler: task.name for task in LAMBDA_TASKS}
    with recorded_clients() as asked:
        for run in runs:
            request = run.subject.request()
            run.change(request)
            scenario = run.subject.scenario(faults=list(run.faults), **(run.account or {}))
            with LocalEngine(scenario, settings=FAST_SETTINGS, workflow=run.subject.workflow) as engine:
                execution = engine.start(request)
                if run.manual:
                    _create_announced_image(engine, execution)
                if run.cancel:
                    _stop_once_it_holds_a_builder(engine, execution)
                execution.wait(RUN_TIMEOUT)
                for cleanup in engine.event_rules.cleanups:
                    if cleanup.execution is not None:
                        cleanup.execution.wait(RUN_TIMEOUT)
    # The function EventBridge rules invoke (image_pipeline.signals) is no task: not recorded here.
    return {
        by_handler[handler]: tuple(sorted(services))
        for handler, services in asked.items()
        if handler in by_handler
    }


def main() -> int:
    recorded = record_clients()
    for task in LAMBDA_TASKS:
        print(f"{task.name}: {', '.join(recorded.get(task.name, ('(not run)',))) or '(none)'}")
    return 0 if recorded == HANDLER_CLIENTS else 1


if __name__ == "__main__":
    raise SystemExit(main())
