"""Report pages of real local runs (`image-factory run --report`), made once per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from image_factory.cli import main
from tests.engine.pipeline_support import FAST_DURATIONS, fast_request

# The builder's create fails three times, which outlasts botocore (max_attempts 2: two retries after
# the first call): the state machine retries the task.
RETRIED = {"operation": "CreateImageBuilder", "error": "InternalFailure", "times": 3}


def _report(folder: Path, name: str, faults: list[dict[str, object]]) -> tuple[int, Path]:
    request, scenario = folder / "request.json", folder / f"{name}.yaml"
    request.write_text(json.dumps(fast_request("reference")))
    scenario.write_text(yaml.safe_dump({"durations": FAST_DURATIONS, "faults": faults}))
    page = folder / f"{name}.html"
    code = main(["run", str(request), "--scenario", str(scenario), "--report", str(page)])
    return code, page


@pytest.fixture(scope="session")
def retried_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    return _report(tmp_path_factory.mktemp("report"), "retried", [RETRIED])


@pytest.fixture(scope="session")
def failed_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    return _report(tmp_path_factory.mktemp("report"), "failed", [{"resource": "export_task"}])
