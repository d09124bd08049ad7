"""`image-factory validate|run --local --workflow retention` with the bundled example and scenario."""

from __future__ import annotations

import pytest

from tests.lifecycle.fleet_support import run_example

pytestmark = pytest.mark.slow


def test_the_example_retention_reports_without_deleting(capsys: pytest.CaptureFixture[str]) -> None:
    validated, code, report = run_example("retention", "retention-dry-run", capsys)

    assert "report only (dry run)" in validated
    assert (code, report["status"]) == (0, "SUCCEEDED")
    assert len(report["inventory"]["images"]) == 3  # a dry run deletes nothing
    decisions = report["resources"]["retention"]["decisions"]
    assert "keep image web-20261001: in use by fleet web-always-on, fleet web-elastic" in decisions
