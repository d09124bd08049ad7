"""The state machine definition as CloudFormation would deploy it: the ASL file with `${Name}` filled in.

CDK passes `definition_substitutions` to the `AWS::StepFunctions::StateMachine`
resource; the local engine fills the same placeholders with the ARNs and names of
its local resources, so the file that is tested is the file that is deployed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from functions.workflows import INTEGRATION_PLACEHOLDERS, LOCAL_PARTITION, integration_arn

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PIPELINE_DEFINITION = PROJECT_ROOT / "statemachines" / "image_pipeline.asl.json"

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


class DefinitionError(ValueError):
    """The definition cannot be deployed: unreadable, not JSON, or a placeholder without a value."""


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace every `${Name}`; an unknown name is an error (CloudFormation would reject it too)."""
    unknown = sorted({name for name in _PLACEHOLDER.findall(text) if name not in values})
    if unknown:
        raise DefinitionError(f"no value for placeholder(s) {', '.join('${' + n + '}' for n in unknown)}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def load_definition(path: Path, values: Mapping[str, str]) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DefinitionError(f"{path}: cannot read state machine definition: {error.strerror}") from None
    integrations = {
        name: integration_arn(call, LOCAL_PARTITION) for name, call in INTEGRATION_PLACEHOLDERS.items()
    }
    definition = substitute(text, {**integrations, **values})
    try:
        json.loads(definition)
    except json.JSONDecodeError as error:
        raise DefinitionError(f"{path}: not valid JSON after substitution: {error}") from None
    return definition
