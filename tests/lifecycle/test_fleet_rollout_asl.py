"""Static checks of statemachines/fleet_rollout.asl.json beyond those of every lifecycle ASL file."""

from __future__ import annotations

import json

from functions.workflows import get_workflow

STATES = json.loads(get_workflow("fleet-rollout").definition.read_text())["States"]


def test_a_failure_while_moving_a_fleet_goes_through_its_rollback() -> None:
    for state in ("InspectFleet", "ApplyFleet"):
        assert [catcher["Next"] for catcher in STATES[state]["Catch"]] == ["BeginRollback"]
    # The rollback starts from no move made, whatever an earlier fleet's rollback left.
    assert STATES["BeginRollback"] | {"Comment": None} == {
        "Type": "Pass", "Comment": None, "Result": {}, "ResultPath": "$.rollback", "Next": "RollbackFleet"
    }  # fmt: skip
    # A rollback that fails too is reported beside the first error, not instead of it.
    assert STATES["RollbackFleet"]["Catch"][0]["ResultPath"] == "$.cleanup_error"
    assert STATES["RollbackFleet"]["Parameters"]["Payload"]["error.$"] == "$.error"


def test_fleets_are_rolled_out_one_after_the_other() -> None:
    assert STATES["NextFleet"]["Parameters"] == {"index.$": "States.MathAdd($.rollout.index, 1)"}
    assert STATES["NextFleet"]["Next"] == "InspectFleet"
