"""Regenerate everything in agent/ that derives from the Python models and the IAM policy.

    .venv/bin/python agent/generate.py          # rewrite what drifted
    .venv/bin/python agent/generate.py --check  # exit 1, naming the files, when something drifted

Derived from `agent_contract.documents` (the single source of the job, result and
status documents) and `stacks.builder_agent_policy`:

* agent/schemas/agent-{job,result,status}.schema.json: the published JSON Schemas;
* agent/builder-role-policy.json: the builder role's policy for one pipeline (PIPELINE), a jobs
  bucket (JOBS_BUCKET) and a script location (SCRIPTS_BUCKET/SCRIPTS_PREFIX);
* the `generated-document-shapes` region of agent/BuilderAgent.ps1: the document keys
  and the shape of each document (fields, required fields, types, patterns, limits,
  defaults) that the agent validates jobs and its own reports against.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

AGENT_DIR = Path(__file__).resolve().parent
ROOT = AGENT_DIR.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere in the checkout
    sys.path.insert(0, str(ROOT))
# jsii warns on every start that this machine's Node 20 is past end of life; it works.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from agent_contract import documents as agent_documents  # noqa: E402
from stacks.builder_agent_policy import builder_agent_policy_document, pipeline_builder_names  # noqa: E402

AGENT_SCRIPT = AGENT_DIR / "BuilderAgent.ps1"
POLICY_FILE = AGENT_DIR / "builder-role-policy.json"
SCHEMA_DIR = AGENT_DIR / "schemas"
# The published policy is for the builder role of one pipeline named PIPELINE.
PLACEHOLDER_BUCKET_ARN = "arn:aws:s3:::JOBS_BUCKET"
PLACEHOLDER_PIPELINE = "PIPELINE"
PLACEHOLDER_SCRIPTS = "arn:aws:s3:::SCRIPTS_BUCKET/SCRIPTS_PREFIX/*"
REGION_START = "#region generated-document-shapes"
REGION_END = "#endregion generated-document-shapes"

SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "agent-job.schema.json": agent_documents.job_json_schema,
    "agent-result.schema.json": agent_documents.result_json_schema,
    "agent-status.schema.json": agent_documents.status_json_schema,
}
# The PowerShell variable that holds each document's shape.
SHAPES: dict[str, Callable[[], dict[str, Any]]] = {
    "JobShape": agent_documents.job_json_schema,
    "ResultShape": agent_documents.result_json_schema,
    "StatusShape": agent_documents.status_json_schema,
}
_SCALAR_RULES = ("pattern", "minLength", "maxLength", "minimum", "maximum", "maxProperties", "const", "enum")


def _json_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def shape(schema: dict[str, Any], node: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pydantic JSON Schema, reduced to what the agent's validator checks, with `$ref`s resolved."""
    node = schema if node is None else node
    if "$ref" in node:
        return shape(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[-1]])
    result: dict[str, Any] = {}
    if "anyOf" in node:
        options = [option for option in node["anyOf"] if option.get("type") != "null"]
        if len(options) != 1 or len(options) == len(node["anyOf"]):
            raise ValueError(f"the agent validates `X or null` only, not {node['anyOf']}")
        result = shape(schema, options[0])
        result["nullable"] = True
    else:
        result["type"] = node["type"]
    for rule in _SCALAR_RULES:
        if rule in node:
            result[rule] = node[rule]
    if node.get("format") == "date-time":
        result["format"] = "date-time"
    if "default" in node:
        result["default"] = node["default"]
    if result.get("type") == "object":
        if isinstance(node.get("additionalProperties"), dict):
            result["values"] = shape(schema, node["additionalProperties"])
        if "properties" in node:
            required = list(node.get("required", []))
            result["required"] = required
            properties: dict[str, Any] = {}
            for name, child in node["properties"].items():
                child_shape = shape(schema, child)
                if name not in required and "default" not in child_shape:
                    # pydantic's default_factory (empty object or list) is not in the schema
                    child_shape["default"] = {"object": {}, "array": []}[child_shape["type"]]
                properties[name] = child_shape
            result["properties"] = properties
    if result.get("type") == "array":
        result["items"] = shape(schema, node["items"])
    return result


def _ps(value: Any, depth: int) -> str:
    """`value` as a PowerShell literal; dictionaries keep their order."""
    pad = "    " * depth
    if value is None:
        return "$null"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, dict):
        if not value:
            return "[ordered]@{}"
        lines = [f"{pad}    {_ps(key, 0)} = {_ps(item, depth + 1)}" for key, item in value.items()]
        return "[ordered]@{\n" + "\n".join(lines) + f"\n{pad}}}"
    if isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            return "@(" + ", ".join(_ps(item, 0) for item in value) + ")"
        lines = [f"{pad}    {_ps(item, depth + 1)}" for item in value]
        return "@(\n" + "\n".join(lines) + f"\n{pad})"
    raise TypeError(f"no PowerShell literal for {value!r}")


def shapes_region() -> str:
    """The generated region of BuilderAgent.ps1, markers included."""
    lines = [
        REGION_START,
        "# Generated from agent_contract/documents.py by `python agent/generate.py`: do not edit by hand.",
        f"$script:SchemaVersion = {agent_documents.SCHEMA_VERSION}",
        f"$script:JobKeyFormat = {_ps(agent_documents.job_key('{0}'), 0)}",
        f"$script:ResultKeyFormat = {_ps(agent_documents.result_key('{0}'), 0)}",
        f"$script:StatusKeyFormat = {_ps(agent_documents.status_key('{0}'), 0)}",
    ]
    for variable, schema in SHAPES.items():
        lines.append(f"$script:{variable} = {_ps(shape(schema()), 0)}")
    lines.append(REGION_END)
    return "\n".join(lines)


def agent_script_text(current: str) -> str:
    start, end = current.index(REGION_START), current.index(REGION_END) + len(REGION_END)
    return current[:start] + shapes_region() + current[end:]


def policy_document() -> dict[str, Any]:
    return builder_agent_policy_document(
        bucket_arn=PLACEHOLDER_BUCKET_ARN,
        builder_names=pipeline_builder_names(PLACEHOLDER_PIPELINE),
        script_object_arns=[PLACEHOLDER_SCRIPTS],
    )


def expected_files() -> dict[Path, str]:
    files = {SCHEMA_DIR / name: _json_text(schema()) for name, schema in SCHEMAS.items()}
    files[POLICY_FILE] = _json_text(policy_document())
    files[AGENT_SCRIPT] = agent_script_text(AGENT_SCRIPT.read_text(encoding="utf-8"))
    return files


def drifted() -> list[Path]:
    """The generated files whose content differs from what the models say now."""
    return [
        path
        for path, text in expected_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only report drift (exit 1), write nothing")
    args = parser.parse_args(argv)
    stale = drifted()
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)} (run: python agent/generate.py)")
        return 1 if stale else 0
    for path, text in expected_files().items():
        if path in stale:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
