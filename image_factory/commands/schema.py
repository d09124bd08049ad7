"""`image-factory schema DOCUMENT`: print the JSON Schema of a document people write or read."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any


def _request() -> dict[str, Any]:
    from functions.request import request_json_schema

    return request_json_schema()


def _scenario() -> dict[str, Any]:
    from appstream_emulator.scenario import scenario_json_schema

    return scenario_json_schema()


def _agent_job() -> dict[str, Any]:
    from functions.agent_documents import job_json_schema

    return job_json_schema()


def _agent_result() -> dict[str, Any]:
    from functions.agent_documents import result_json_schema

    return result_json_schema()


def _workflow_requests() -> dict[str, Callable[[], dict[str, Any]]]:
    """`<workflow>-request` for every registered workflow (`request` stays the image pipeline's)."""
    from functions.workflows import WORKFLOWS

    return {f"{name}-request": workflow.json_schema for name, workflow in WORKFLOWS.items()}


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "request": _request,
    "scenario": _scenario,
    "agent-job": _agent_job,
    "agent-result": _agent_result,
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
