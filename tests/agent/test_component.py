"""The EC2 Image Builder component that bakes the agent into the source AMI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.agent.powershell import Script

ROOT = Path(__file__).resolve().parents[2]
COMPONENT = ROOT / "agent" / "builder-agent-component.yaml"
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
# The AWSTOE action modules the component may use, with the inputs each of our steps gives.
ACTIONS = {"S3Download", "ExecutePowerShell"}


@pytest.fixture(scope="module")
def component() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPONENT.read_text())
    return document


def steps(component: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for phase in component["phases"] for step in phase["steps"]]


def powershell_commands(component: dict[str, Any]) -> list[str]:
    return [
        command
        for step in steps(component)
        if step["action"] == "ExecutePowerShell"
        for command in step["inputs"]["commands"]
    ]


def test_the_component_is_a_schema_1_0_document_with_build_validate_and_test(
    component: dict[str, Any],
) -> None:
    assert str(component["schemaVersion"]) == "1.0"
    assert component["name"] and component["description"]
    assert [phase["name"] for phase in component["phases"]] == ["build", "validate", "test"]
    for step in steps(component):
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", step["name"]) and step["action"] in ACTIONS
        assert step.get("onFailure", "Abort") in {"Abort", "Continue", "Ignore"}


def test_every_placeholder_is_a_declared_parameter_and_every_parameter_is_used(
    component: dict[str, Any],
) -> None:
    declared = {name for parameter in component["parameters"] for name in parameter}
    for parameter in component["parameters"]:
        (settings,) = parameter.values()
        assert settings["type"] == "string" and settings["description"]
    used = set(PLACEHOLDER.findall(yaml.safe_dump(component["phases"])))
    assert used == declared


def test_the_component_downloads_exactly_the_files_the_installer_copies(component: dict[str, Any]) -> None:
    (download,) = [step for step in steps(component) if step["action"] == "S3Download"]
    sources = [item["source"] for item in download["inputs"]]
    names = {source.rsplit("}}", 1)[1] for source in sources}
    installer = Script.load("Install-BuilderAgent.ps1")
    copied = installer.source.split("$script:AgentFiles = ", 1)[1].split("\n", 1)[0]
    assert names == set(re.findall(r"'([^']+)'", copied))
    assert all((ROOT / "agent" / name).is_file() for name in names)
    assert all(source.startswith("{{ AgentSource }}") for source in sources)


def test_the_components_powershell_parses_and_calls_the_installer_with_its_own_parameters(
    component: dict[str, Any],
) -> None:
    installer = Script.load("Install-BuilderAgent.ps1")
    declared = set(
        re.findall(
            r"\[string\] \$(\w+)|\[switch\] \$(\w+)|\[int\] \$(\w+)",
            installer.source.split("Set-StrictMode", 1)[0],
        )
    )
    parameters = {name for group in declared for name in group if name}
    calls = []
    for command in powershell_commands(component):
        script = Script(PLACEHOLDER.sub("value", command))
        assert script.problems() == [], command
        calls += [call for call in script.commands() if call.name.endswith("\\Install-BuilderAgent.ps1")]
    assert len(calls) == 3  # install, validate, test
    for call in calls:
        assert set(call.parameters) <= parameters, call.parameters
    install = next(command for command in powershell_commands(component) if "-JobsBucket" in command)
    assert "-ExpectedAgentHash '{{ AgentSha256 }}'" in install  # the installer refuses an unpinned agent
