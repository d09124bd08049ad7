"""Handlers of the test workflow `fixtures/loop.asl.json`, run in-process by the local engine."""

from __future__ import annotations

import collections
import threading
from typing import Any

import boto3

from functions.core import timeutil

calls: collections.Counter[str] = collections.Counter()
_lock = threading.Lock()


class Flaky(Exception):
    """Retried by the workflow."""


class Broken(Exception):
    """Caught by the workflow."""


class AfterStop(Exception):
    """Raised by a task of an execution stopped while the task ran (no Catch takes it)."""


def _count(key: str) -> int:
    with _lock:
        calls[key] += 1
        return calls[key]


def prepare(event: dict[str, Any], context: Any) -> dict[str, Any]:
    print("prepare says hello")  # must not reach the CLI's stdout
    request = event["request"]
    _count(f"{event['run']}:prepare")
    if request.get("stop_then_fail"):
        sfn = boto3.client("stepfunctions")
        sfn.stop_execution(executionArn=event["execution"], cause="stopped by a person")
        raise AfterStop("the task failed after its execution was stopped")
    return {
        "run": event["run"],
        "table": event["table"],
        "checks": request.get("checks", 3),
        "seconds": request.get("seconds", 600),
        "flaky": request.get("flaky", 0),
        "broken": request.get("broken", False),
        "started": timeutil.now_epoch(),
        "function": context.function_name,
        "count": 0,
    }


def check(event: dict[str, Any], context: Any) -> dict[str, Any]:
    attempt = _count(f"{event['run']}:check")
    if attempt <= event["flaky"]:
        raise Flaky(f"attempt {attempt} is flaky")
    if event["broken"]:
        raise Broken("the check cannot go on")
    count = event["count"] + 1
    return {**event, "count": count, "done": count >= event["checks"], "now": timeutil.now_epoch()}
