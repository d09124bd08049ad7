"""State machines a workflow starts (`${<Workflow>StateMachineArn}` in its ASL), deployed beside it.

Step Functions starts them through `states:startExecution.sync:2`, as on AWS; each
companion is the registered workflow's own ASL file, so a chained run is the run
the other workflow would make on its own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from functions.workflows import WORKFLOWS
from image_factory.local_engine.definition import load_definition
from image_factory.local_engine.resources import LocalResources, state_machine_name

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


class CompanionMachines:
    def __init__(self, sfn: Any, resources: LocalResources) -> None:
        self._sfn = sfn
        self._resources = resources
        self._by_placeholder = {workflow.placeholder: workflow for workflow in WORKFLOWS.values()}

    def deploy(self, definition: Path, workflow: str) -> dict[str, str]:
        """Create every workflow `definition` starts (and those they start); return all placeholder values."""
        values = dict(self._resources.placeholders)
        if workflow in WORKFLOWS:  # a companion may start the workflow it was started by
            values[WORKFLOWS[workflow].placeholder] = self._arn(state_machine_name(workflow))
        pending, seen = [definition], {workflow}
        created: list[tuple[str, Path]] = []
        while pending:
            text = pending.pop().read_text(encoding="utf-8")
            for name in _PLACEHOLDER.findall(text):
                companion = self._by_placeholder.get(name)
                if companion is None or companion.name in seen:
                    continue
                seen.add(companion.name)
                values[name] = self._arn(state_machine_name(companion.name))
                created.append((companion.name, companion.definition))
                pending.append(companion.definition)
        for name, path in created:
            self._sfn.create_state_machine(
                name=state_machine_name(name),
                definition=load_definition(path, values),
                roleArn=self._resources.role_arn,
                type="STANDARD",
            )
        return values

    def _arn(self, name: str) -> str:
        account = self._resources.role_arn.split(":")[4]
        region = self._sfn.meta.region_name
        return f"arn:aws:states:{region}:{account}:stateMachine:{name}"
