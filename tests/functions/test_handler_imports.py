"""What each task handler loads when its Lambda starts: only what its own task uses.

Every check imports one handler in a fresh interpreter, with the environment Lambda gives
it (so the Tracer patches, as it does there), and looks at the modules that came with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from benchmarks.cold_start import ENVIRONMENT
from functions.core import clients
from functions.workflows import LAMBDA_TASKS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The environment Lambda gives a function, as the cold-start benchmark sets it, with its code here.
LAMBDA_ENVIRONMENT = {**ENVIRONMENT, "LAMBDA_TASK_ROOT": str(PROJECT_ROOT)}
LIST_MODULES = "import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"

# One worker for the module: a handler's fresh interpreter (`loaded_with`) is then started once,
# however many checks read what it loaded.
pytestmark = pytest.mark.xdist_group("handler-imports")

HANDLERS = {task.name: task.handler for task in LAMBDA_TASKS}
HANDLER_MODULES = {name: handler.rsplit(".", 1)[0] for name, handler in HANDLERS.items()}
PIPELINE_MODELS = "functions.workflows.image_pipeline.request"
WORKFLOW_SERVICES = {
    "Backup": "functions.workflows.export_backup.backups",
    "Update": "functions.workflows.managed_update.updates",
    "Rollout": "functions.workflows.fleet_rollout.rollout",
    "Retention": "functions.workflows.retention.policy",
}
WORKFLOW_TASKS = sorted(name for name in HANDLER_MODULES if name.startswith(tuple(WORKFLOW_SERVICES)))
LIFECYCLE_REQUESTS = (
    "functions.workflows.export_backup.request",
    "functions.workflows.managed_update.request",
    "functions.workflows.fleet_rollout.request",
    "functions.workflows.retention.request",
)


@cache
def loaded_with(task: str) -> frozenset[str]:
    """The modules a fresh interpreter holds after importing the handler of `task` as its Lambda
    function would (which names its handler in `_HANDLER`)."""
    completed = subprocess.run(
        [sys.executable, "-c", LIST_MODULES.format(module=HANDLER_MODULES[task])],
        cwd=PROJECT_ROOT,
        env={**os.environ, **LAMBDA_ENVIRONMENT, "_HANDLER": HANDLERS[task]},
        capture_output=True,
        text=True,
        check=True,
    )
    return frozenset(json.loads(completed.stdout))


@pytest.mark.parametrize("task", sorted(HANDLER_MODULES))
def test_the_tracer_loads_no_library_the_functions_do_not_call(task: str) -> None:
    loaded = loaded_with(task)
    assert "aws_xray_sdk.ext.botocore.patch" in loaded  # AWS calls are still traced
    assert not {"requests", "sqlite3"} & loaded


@pytest.mark.parametrize(
    "task", sorted(name for name in HANDLER_MODULES if name.startswith(tuple(WORKFLOW_SERVICES)))
)
def test_a_lifecycle_task_loads_no_other_workflow_s_service(task: str) -> None:
    loaded = loaded_with(task)
    own = next(service for prefix, service in WORKFLOW_SERVICES.items() if task.startswith(prefix))
    assert own in loaded
    assert not (set(WORKFLOW_SERVICES.values()) - {own}) & loaded


@pytest.mark.parametrize("task", ["LifecycleValidate", "LifecycleRecordRun", "LifecycleRecordSuccess"])
def test_lifecycle_run_records_do_not_build_the_pipeline_request(task: str) -> None:
    loaded = loaded_with(task)
    assert PIPELINE_MODELS not in loaded
    assert not set(WORKFLOW_SERVICES.values()) & loaded


def test_lifecycle_validate_loads_every_lifecycle_request_model_with_the_task() -> None:
    assert set(LIFECYCLE_REQUESTS) <= loaded_with("LifecycleValidate")


@pytest.mark.parametrize("task", ["LifecycleRecordRun", "LifecycleRecordSuccess", "LifecycleRecordFailure"])
def test_lifecycle_run_records_load_no_lifecycle_request_model(task: str) -> None:
    # They share ValidateRequest's module, not its work: no request is validated there.
    assert not set(LIFECYCLE_REQUESTS) & loaded_with(task)


def test_lifecycle_record_failure_loads_the_failure_recording_with_the_task() -> None:
    assert "functions.core.failures" in loaded_with("LifecycleRecordFailure")


def test_request_building_blocks_stay_importable_from_the_pipeline_request() -> None:
    from functions.core import execution, request_fields
    from functions.workflows.image_pipeline import plan, request

    assert request.FieldError is request_fields.FieldError
    assert request.PhaseWait is request_fields.PhaseWait
    assert request.field_errors is request_fields.field_errors
    assert plan.Execution is execution.Execution
    assert plan.run_id_for is execution.run_id_for


@pytest.fixture
def fresh_clients() -> Any:
    clients.reset()
    yield
    clients.reset()


def test_clients_share_one_session_until_reset(fresh_clients: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    appstream, dynamodb = clients.appstream(), clients.dynamodb()
    assert clients.appstream() is appstream
    session = clients._session
    assert session is not None
    clients.reset()
    assert clients._session is None
    assert clients.appstream() is not appstream
    assert clients._session is not session
    assert dynamodb is not clients.dynamodb()


def test_threads_asking_at_once_get_one_client(fresh_clients: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    made: list[Any] = []
    start = threading.Barrier(4)

    def ask() -> None:
        start.wait()
        made.append(clients.s3())

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in made}) == 1
