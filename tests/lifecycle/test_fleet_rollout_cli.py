"""`image-factory validate|run --local --workflow fleet-rollout` with the bundled example and scenario."""

from __future__ import annotations

import pytest

from tests.lifecycle.fleet_support import run_example

pytestmark = pytest.mark.slow


def test_the_example_rollout_validates_and_runs_locally(capsys: pytest.CaptureFixture[str]) -> None:
    validated, code, report = run_example("fleet-rollout", "fleet-rollout-web", capsys)

    assert "roll out web-20261124 to 3 fleet(s)" in validated
    assert (code, report["status"]) == (0, "SUCCEEDED")
    outcomes = {name: resource["outcome"] for name, resource in report["resources"].items()}
    assert outcomes == {
        f"rollout:{name}": "UPDATED" for name in ("web-always-on", "web-elastic", "web-on-demand")
    }
