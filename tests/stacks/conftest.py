"""One synth of the app per test session (bundling skipped): every template test reads it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest

# jsii warns on every start that this machine's Node 20 is past end of life; it works.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import Acknowledgment, App, Stack, Validations
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from stacks import nag
from stacks.application import create_app, stack_name
from stacks.bundling import PROJECT_ROOT

STAGE = "test"
EXAMPLE_CONFIG = PROJECT_ROOT / "stacks" / "pipelines.example.yaml"


@dataclass(frozen=True)
class Synth:
    app: App
    stack: Stack
    outdir: Path
    template: Template  # aws_cdk.assertions view
    raw: dict[str, Any]  # the same template as plain JSON
    # Every AWS Solutions finding before acknowledgements, and every acknowledgement: (construct path, rule).
    nag_findings: tuple[tuple[str, str], ...] = ()
    acknowledged: tuple[tuple[str, str], ...] = ()

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.raw["Resources"].items() if value["Type"] == resource_type}

    def metadata(self) -> dict[str, list[dict[str, Any]]]:
        metadata: dict[str, list[dict[str, Any]]] = json.loads(
            (self.outdir / f"{self.stack.stack_name}.metadata.json").read_text()
        )
        return metadata


# The synth matrix: the example, and configurations that between them set every documented
# setting both ways and use every trigger (tests/stacks/configs/NAME.yaml; each is its own stage).
CONFIGS = Path(__file__).parent / "configs"
EXAMPLE = "example"
MATRIX = (EXAMPLE, "lean", "full")


class _Deferred:
    """Stands in for `Validations` in stacks.nag while the app is built: acknowledgements are
    recorded, so the checks can first be run without them."""

    def __init__(self) -> None:
        self.recorded: list[tuple[IConstruct, Acknowledgment]] = []

    def of(self, construct: IConstruct) -> SimpleNamespace:
        return SimpleNamespace(acknowledge=lambda ack: self.recorded.append((construct, ack)))


def synthesize(outdir: Path, *, stage: str, config: Path) -> Synth:
    # The configurations document every setting with placeholder values: checked here, never deployed.
    context = {
        "stage": stage,
        "config": str(config),
        "allow_placeholders": True,
        "aws:cdk:bundling-stacks": [],
    }
    deferred = _Deferred()
    with mock.patch.object(nag, "Validations", deferred):
        app = create_app(context=context, outdir=str(outdir))
    report = AwsSolutionsChecks().validate_scope(app)
    findings = tuple(
        (resource.construct_path or "", violation.rule_name)
        for violation in report.violations
        for resource in violation.violating_resources
    )
    for construct, acknowledgment in deferred.recorded:
        Validations.of(construct).acknowledge(acknowledgment)
    app.synth()  # runs the AWS Solutions checks: unacknowledged findings fail here
    stack = app.node.find_child(stack_name(stage))
    assert isinstance(stack, Stack)
    raw = json.loads((outdir / f"{stack.stack_name}.template.json").read_text())
    return Synth(
        app=app,
        stack=stack,
        outdir=outdir,
        template=Template.from_json(raw),
        raw=raw,
        nag_findings=findings,
        acknowledged=tuple((construct.node.path, ack.id) for construct, ack in deferred.recorded),
    )


def matrix_params() -> list[Any]:
    """`MATRIX` for `parametrize`: a configuration's checks share one worker, so one synth (the
    example is synthesized on every worker anyway, for the template tests)."""
    return [
        pytest.param(name, marks=() if name == EXAMPLE else pytest.mark.xdist_group(f"synth-{name}"))
        for name in MATRIX
    ]


@pytest.fixture(scope="session")
def synths(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Synth]:
    """The synth of a configuration of the matrix by name, made once per session."""
    made: dict[str, Synth] = {}

    def get(name: str) -> Synth:
        if name not in made:
            outdir = tmp_path_factory.mktemp(f"cdk.out-{name}")
            if name == EXAMPLE:
                made[name] = synthesize(outdir, stage=STAGE, config=EXAMPLE_CONFIG)
            else:
                made[name] = synthesize(outdir, stage=name, config=CONFIGS / f"{name}.yaml")
        return made[name]

    return get


@pytest.fixture(scope="session")
def synth(synths: Callable[[str], Synth]) -> Synth:
    return synths(EXAMPLE)
