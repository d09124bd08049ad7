"""`image-factory schema DOCUMENT`: print the JSON Schema of a document people write or read."""

from __future__ import annotations

import argparse
import importlib
import json
from collections.abc import Callable
from typing import Any


def _from(module: str, function: str) -> Callable[[], dict[str, Any]]:
    """A schema function imported only when asked for (the CLI starts faster)."""

    def schema() -> dict[str, Any]:
        return dict(getattr(importlib.import_module(module), function)())

    return schema


def _workflow_requests() -> dict[str, Callable[[], dict[str, Any]]]:
    """`<workflow>-request` for every registered workflow (`request` stays the image pipeline's)."""
    from functions.workflows import WORKFLOWS

    return {f"{name}-request": workflow.json_schema for name, workflow in WORKFLOWS.items()}


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "request": _from("functions.workflows.image_pipeline.request", "request_json_schema"),
    "scenario": _from("appstream_emulator.scenario", "scenario_json_schema"),
    "agent-job": _from("agent_contract.documents", "job_json_schema"),
    "agent-result": _from("agent_contract.documents", "result_json_schema"),
    "agent-status": _from("agent_contract.documents", "status_json_schema"),
    **_workflow_requests(),
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of a workflow request, scenario or agent document",
        description="Print a JSON Schema (for editors and validators) on stdout.",
    )
    parser.add_argument("document", choices=sorted(SCHEMAS), help="which document")
    parser.set_defaults(func=schema_command)


def schema_command(args: argparse.Namespace) -> int:
    print(json.dumps(SCHEMAS[args.document](), indent=2))
    return 0
