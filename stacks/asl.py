"""Reading an Amazon States Language file the way the deployment needs it.

The deployed definition is the file itself: placeholders `${Name}` are filled by
CloudFormation (`DefinitionSubstitutions`), never by editing the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from functions.workflows import INTEGRATION_PLACEHOLDERS, LOCAL_PARTITION, integration_arn
from stacks.bundling import PROJECT_ROOT

STATEMACHINES_DIR = PROJECT_ROOT / "statemachines"
IMAGE_PIPELINE_ASL = STATEMACHINES_DIR / "image_pipeline.asl.json"

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_INTEGRATION = re.compile(
    r"^arn:aws[a-z-]*:states:::(?P<service>[a-z0-9-]+(?::[a-z0-9-]+)?):(?P<action>[A-Za-z0-9]+)"
)


def read_definition(path: Path = IMAGE_PIPELINE_ASL) -> str:
    text = path.read_text(encoding="utf-8")
    json.loads(text)  # fail the synth here, naming the file, rather than at deploy time
    return text


def placeholders(definition: str) -> set[str]:
    return set(_PLACEHOLDER.findall(definition))


def _states(node: Any) -> Iterator[dict[str, Any]]:
    """Every state, including those inside Parallel branches and Map item processors."""
    for state in (node.get("States") or {}).values():
        yield state
        for branch in state.get("Branches", ()):
            yield from _states(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _states(state[key])


def service_integrations(definition: str) -> set[str]:
    """`service:action` of each optimized or SDK integration a Task uses, e.g. `sns:publish`."""
    found = set()
    for state in _states(json.loads(definition)):
        resource = str(state.get("Resource", ""))
        placeholder = _PLACEHOLDER.fullmatch(resource)
        if placeholder and placeholder[1] in INTEGRATION_PLACEHOLDERS:
            resource = integration_arn(INTEGRATION_PLACEHOLDERS[placeholder[1]], LOCAL_PARTITION)
        match = _INTEGRATION.match(resource)
        if state.get("Type") == "Task" and match:
            found.add(f"{match['service']}:{match['action']}")
    return found
