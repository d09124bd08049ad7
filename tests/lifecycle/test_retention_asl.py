"""Static checks of statemachines/retention.asl.json beyond those of every lifecycle ASL file."""

from __future__ import annotations

import json

from functions.workflows import get_workflow

STATES = json.loads(get_workflow("retention").definition.read_text())["States"]


def test_a_dry_run_goes_from_the_plan_straight_to_the_report() -> None:
    assert STATES["PlanRetention"]["Next"] == "DryRun?"
    choice = STATES["DryRun?"]
    assert choice["Choices"] == [{"Variable": "$.retention.dry_run", "BooleanEquals": True, "Next": "Report"}]
    assert choice["Default"] == "ApplyRetention"
