"""One synth of the app per test session (bundling skipped): every template test reads it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# jsii warns on every start that this machine's Node 20 is past end of life; it works.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from stacks.application import create_app, stack_name

STAGE = "test"
# The example documents every setting with placeholder values: checked here, never deployed.
EXAMPLE_CONTEXT = {
    "config": "stacks/pipelines.example.yaml",
    "allow_placeholders": True,
    "aws:cdk:bundling-stacks": [],
}


@dataclass(frozen=True)
class Synth:
    app: App
    stack: Stack
    outdir: Path
    template: Template  # aws_cdk.assertions view
    raw: dict[str, Any]  # the same template as plain JSON

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.raw["Resources"].items() if value["Type"] == resource_type}

    def metadata(self) -> dict[str, list[dict[str, Any]]]:
        metadata: dict[str, list[dict[str, Any]]] = json.loads(
            (self.outdir / f"{self.stack.stack_name}.metadata.json").read_text()
        )
        return metadata


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = create_app(context={**EXAMPLE_CONTEXT, "stage": STAGE}, outdir=str(outdir))
    app.synth()  # runs the AWS Solutions checks: unacknowledged findings fail here
    stack = app.node.find_child(stack_name(STAGE))
    assert isinstance(stack, Stack)
    raw = json.loads((outdir / f"{stack.stack_name}.template.json").read_text())
    yield Synth(app=app, stack=stack, outdir=outdir, template=Template.from_json(raw), raw=raw)
