"""The PowerShell agent and its installer, checked on their syntax trees (PowerShell cannot run here).

What a reader of the agent relies on, asserted from the tree-sitter PowerShell parse:
it parses; it reads exactly the job fields the published schema defines and writes
exactly the result and status fields; it always uses the builder's own credentials;
it checks every pin before running any script; it calls Image Assistant with the
documented options; it marks a run as handled before running it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.agent.powershell import Script

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "agent" / "schemas"
SCRIPTS = ("BuilderAgent.ps1", "Install-BuilderAgent.ps1")


@pytest.fixture(scope="module")
def agent() -> Script:
    return Script.load("BuilderAgent.ps1")


def published(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return schema


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node` with `$ref` and `X or null` resolved to the object or scalar schema it stands for."""
    if "$ref" in node:
        return resolve(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[-1]])
    if "anyOf" in node:
        return resolve(schema, next(option for option in node["anyOf"] if option.get("type") != "null"))
    if node.get("type") == "array":
        return resolve(schema, node["items"])
    return node


def leaf_paths(schema: dict[str, Any], node: dict[str, Any] | None = None) -> set[tuple[str, ...]]:
    """Every field a reader of the document can use: `("image", "name")`, `("scripts", "sha256")`, ..."""
    node = resolve(schema, schema if node is None else node)
    paths: set[tuple[str, ...]] = set()
    for name, child in node.get("properties", {}).items():
        inner = leaf_paths(schema, child)
        paths |= {(name, *rest) for rest in inner} if inner else {(name,)}
    return paths


def read_fields(schema: dict[str, Any], paths: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """Member-access chains mapped onto the schema's fields (`.image.tags.PSObject` reads `image.tags`)."""
    fields = set()
    for path in paths:
        node = resolve(schema, schema)
        for depth, name in enumerate(path):
            properties = node.get("properties", {})
            if name not in properties:
                raise AssertionError(
                    f"the agent reads {'.'.join(path)}, a field the job schema does not define"
                )
            node = resolve(schema, properties[name])
            if "properties" not in node:
                fields.add(path[: depth + 1])
                break
    return fields


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_script_parses_with_the_powershell_grammar(name: str) -> None:
    problems = Script.load(name).problems()
    assert problems == [], "\n".join(str(problem) for problem in problems)


def test_the_grammar_check_catches_broken_powershell(agent: Script) -> None:
    broken = agent.source.replace("function Read-AgentJob {", "function Read-AgentJob {{", 1)
    assert Script(broken).problems() != []
    assert Script("if ($x) { Write-Output 'a' ").problems() != []


def test_the_agent_reads_exactly_the_fields_of_the_job_schema(agent: Script) -> None:
    schema = published("agent-job")
    reader = agent.function("Read-AgentJob")
    loops = [node for node in agent.functions["Read-AgentJob"].children if node.type == "script_block"]
    assert loops and "foreach ($reference in $document.scripts)" in (reader.text or b"").decode()
    paths = agent.member_paths(reader, "$document")
    paths |= {("scripts", *path) for path in agent.member_paths(reader, "$reference")}
    assert read_fields(schema, paths) == leaf_paths(schema)


def test_the_agent_checks_each_job_against_the_job_shape(agent: Script) -> None:
    reader = (agent.function("Read-AgentJob").text or b"").decode()
    assert "Test-DocumentShape -Value $document -Shape $script:JobShape" in reader
    assert "Add-DocumentDefaults -Value $document -Shape $script:JobShape" in reader


@pytest.mark.parametrize(
    ("writer", "schema_name", "definition"),
    [
        ("New-AgentResult", "agent-result", None),
        ("New-ScriptResult", "agent-result", "ScriptResult"),
        ("New-StepResult", "agent-result", "StepResult"),
        ("New-AgentStatus", "agent-status", None),
    ],
)
def test_the_agent_writes_exactly_the_fields_of_the_schema(
    agent: Script, writer: str, schema_name: str, definition: str | None
) -> None:
    schema = published(schema_name)
    fields = list((schema["$defs"][definition] if definition else schema)["properties"])
    assert agent.hash_literal_keys(agent.function(writer)) == [fields]


@pytest.mark.parametrize(
    ("writer", "shape"),
    [("Write-AgentResult", "$script:ResultShape"), ("Write-AgentStatus", "$script:StatusShape")],
)
def test_the_agent_checks_its_own_reports_against_their_schema(
    agent: Script, writer: str, shape: str
) -> None:
    assert f"-Shape {shape}" in (agent.function(writer).text or b"").decode()


def test_document_keys_come_only_from_the_generated_formats(agent: Script) -> None:
    lines = agent.source.splitlines()
    start = lines.index("#region generated-document-shapes") + 1
    end = lines.index("#endregion generated-document-shapes") + 1
    literals = agent.string_literals_with_lines(agent.tree.root_node)
    outside = [text for line, text in literals if not start <= line <= end]
    assert [text for text in outside if "jobs/" in text or (".json" in text and "/" in text)] == []
    code = "\n".join(lines[: start - 1] + lines[end:])
    for variable in ("$script:JobKeyFormat", "$script:ResultKeyFormat", "$script:StatusKeyFormat"):
        assert f"({variable} -f " in code


def test_every_s3_call_uses_the_builders_own_credentials(agent: Script) -> None:
    calls = [command for command in agent.commands() if command.name.endswith("-S3Object")]
    assert {command.name for command in calls} == {"Read-S3Object", "Write-S3Object"}
    for command in calls:
        assert {"ProfileName", "Region"} <= set(command.parameters), (
            f"line {command.line}: {command.parameters}"
        )
    assert "'appstream_machine_role'" in (agent.function("Read-AgentConfig").text or b"").decode()


def test_no_script_runs_before_every_pin_is_checked(agent: Script) -> None:
    job = agent.function("Invoke-AgentJob")
    lines = {command.name: command.line for command in reversed(agent.commands(job))}  # first call of each
    assert lines["Get-PinnedScript"] < lines["Invoke-PinnedScript"] < lines["Invoke-ImageAssistant"]
    pinned = agent.function("Get-PinnedScript")
    assert [command.name for command in agent.commands(pinned) if command.name == "Get-FileHash"] == [
        "Get-FileHash"
    ]
    assert "-cne $Reference.Sha256" in (pinned.text or b"").decode()
    starters = {
        name
        for name, node in agent.functions.items()
        if any(
            command.name in {"Start-Process", "Invoke-Expression", "iex"} for command in agent.commands(node)
        )
    }
    assert starters == {"Invoke-PinnedScript"}
    assert "Invoke-Expression" not in agent.source and "DownloadString" not in agent.source


def test_a_run_is_marked_handled_before_it_runs(agent: Script) -> None:
    poll = agent.function("Invoke-AgentPoll")
    text = (poll.text or b"").decode()
    assert text.index("Set-HandledRun -Marker $job.RunId -Stage 'STARTED'") < text.index(
        "Invoke-AgentJob -Job $job"
    )
    job = (agent.function("Invoke-AgentJob").text or b"").decode()
    assert job.index("Set-HandledRun -Marker $Job.RunId -Stage 'CREATING_IMAGE'") < job.index(
        "Invoke-ImageAssistant -Arguments (Get-CreateImageArguments -Job $Job)\n"
    )


def test_image_assistant_is_called_with_the_documented_create_image_options(agent: Script) -> None:
    options = {
        text
        for text in agent.string_literals(agent.function("Get-CreateImageArguments"))
        if text.startswith("-")
    }
    assert options == {
        "--name",
        "--display-name",
        "--description",
        "--enable-dynamic-app-catalog",
        "--no-enable-dynamic-app-catalog",
        "--use-latest-agent-version",
        "--no-use-latest-agent-version",
        "--tags",
        "--dry-run",
    }
    assert "'create-image'" in (agent.function("Get-CreateImageArguments").text or b"").decode()
    reader = (agent.function("ConvertFrom-ImageAssistantOutput").text or b"").decode()
    assert "'status'" in reader and "'message'" in reader  # Image Assistant's {"status": n, "message": "..."}


def test_the_agent_finds_its_builder_from_the_appstream_machine_variables(agent: Script) -> None:
    identity = agent.string_literals(agent.function("Get-BuilderIdentity"))
    assert {"AppStream_Resource_Name", "AppStream_Resource_Type", "Machine", "image-builder"} <= set(identity)


def test_the_installer_registers_a_boot_task_running_the_installed_agent() -> None:
    installer = Script.load("Install-BuilderAgent.ps1")
    names = {command.name for command in installer.commands(installer.function("Register-AgentTask"))}
    assert {"New-ScheduledTaskTrigger", "New-ScheduledTaskPrincipal", "Register-ScheduledTask"} <= names
    trigger = next(c for c in installer.commands() if c.name == "New-ScheduledTaskTrigger")
    assert trigger.parameters == ("AtStartup",)
    assert set(installer.string_literals(installer.function("Protect-AgentDirectory"))) >= {
        "*S-1-5-18:(OI)(CI)F",  # SYSTEM
        "*S-1-5-32-544:(OI)(CI)F",  # Administrators, and nobody else
    }
    copied = installer.source.split("$script:AgentFiles = ", 1)[1].split("\n", 1)[0]
    assert all(f"'{name}'" in copied for name in SCRIPTS) and all(
        (ROOT / "agent" / name).exists() for name in SCRIPTS
    )


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_docs_list_exactly_the_functions_of_each_script(name: str) -> None:
    docs = (ROOT / "docs" / "agent.md").read_text()
    section = docs.split(f"### {name}\n", 1)[1].split("\n#", 1)[0]
    listed = [row.split("`")[1] for row in section.splitlines() if row.startswith("| `")]
    assert sorted(listed) == sorted(Script.load(name).functions)
    assert len(listed) == len(set(listed))
