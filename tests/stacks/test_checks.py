"""AWS's own linters over what the app deploys: cdk-nag, cfn-lint and the ASL validator."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from functions import workflows
from stacks import asl
from stacks.bundling import PROJECT_ROOT
from tests.stacks.conftest import Synth, matrix_params
from tests.stacks.judges import (
    acknowledgements,
    cfn_lint_findings,
    failed_validation_reports,
    unused_acknowledgements,
)

ASL_VALIDATOR = PROJECT_ROOT / "node_modules" / ".bin" / "asl-validator"


@pytest.mark.parametrize("name", matrix_params())
def test_aws_solutions_checks_pass_and_every_acknowledgement_says_why(
    synths: Callable[[str], Synth], name: str
) -> None:
    synth = synths(name)
    assert failed_validation_reports(synth) == []  # a failing check would already have failed the synth
    acknowledged = acknowledgements(synth)
    assert acknowledged, "the stack acknowledges findings: the metadata should list them"
    for path, rule, reason in acknowledged:
        assert rule.startswith("Annotation::AwsSolutions-"), (path, rule)
        assert len(reason) >= 60, f"{path} {rule}: give a specific reason"


@pytest.mark.parametrize("name", matrix_params())
def test_every_acknowledgement_still_matches_a_finding(synths: Callable[[str], Synth], name: str) -> None:
    synth = synths(name)
    assert len(synth.acknowledged) >= 20 and synth.nag_findings, "the checks ran before acknowledgements"
    stack = synth.stack.node.path + "/"
    unused = {(path.removeprefix(stack), rule) for path, rule in unused_acknowledgements(synth)}
    assert unused == set(), "an acknowledgement that matches nothing hides nothing"


@pytest.mark.parametrize("name", matrix_params())
def test_cfn_lint_finds_nothing_in_the_templates(synths: Callable[[str], Synth], name: str) -> None:
    for template, findings in cfn_lint_findings(synths(name)).items():
        assert findings == [], template


def _asl_files() -> list[Path]:
    return sorted(asl.STATEMACHINES_DIR.glob("*.json"))


@pytest.mark.parametrize("path", _asl_files(), ids=lambda path: path.name)
def test_asl_validator_accepts_each_state_machine_file(path: Path) -> None:
    if not ASL_VALIDATOR.exists():
        pytest.fail("node_modules missing: run `npm ci` (make test does)")
    # Placeholders are filled at deploy time, so the file itself is checked without the ARN check...
    run = subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(path), "--no-arn-check"], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("path", _asl_files(), ids=lambda path: path.name)
def test_asl_validator_accepts_each_definition_as_deployed(path: Path, tmp_path: Path) -> None:
    """...and once more with every placeholder replaced by an ARN of the right shape."""
    if not ASL_VALIDATOR.exists():
        pytest.fail("node_modules missing: run `npm ci` (make test does)")
    definition = path.read_text()
    for placeholder, integration in workflows.INTEGRATION_PLACEHOLDERS.items():
        definition = definition.replace(
            "${" + placeholder + "}", workflows.integration_arn(integration, "aws")
        )
    for placeholder in asl.placeholders(definition):
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{placeholder}"
        definition = definition.replace("${" + placeholder + "}", arn)
    deployed = tmp_path / path.name
    deployed.write_text(definition)
    run = subprocess.run([str(ASL_VALIDATOR), "--json-path", str(deployed)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_node_tools_are_pinned_in_the_lock_file() -> None:
    package = json.loads((PROJECT_ROOT / "package.json").read_text())
    lock = json.loads((PROJECT_ROOT / "package-lock.json").read_text())
    for name, version in package["devDependencies"].items():
        assert version[0].isdigit(), f"{name} must be pinned exactly"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert shutil.which("node"), "Node.js is needed for the CDK CLI and the ASL validator"
