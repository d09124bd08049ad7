"""`image-factory validate REQUEST`: check a pipeline request offline, naming every bad field."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from image_factory.cli import UsageError
from image_factory.commands.run import add_workflow_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a pipeline request without running it",
        description="Check a pipeline request offline with the same rules as the workflow's first step. "
        "Exit 0 if valid, 2 with every bad field named otherwise.",
    )
    parser.add_argument(
        "request", metavar="REQUEST", help="request file (JSON or YAML) or bundled example name"
    )
    add_workflow_option(parser)
    parser.set_defaults(func=validate_command)


def validate_command(args: argparse.Namespace) -> int:
    from functions.workflows import DEFAULT_WORKFLOW, get_workflow, workflow_hint
    from image_factory.local_engine.inputs import InputError, load_request_document

    try:
        label, document = load_request_document(args.request)
    except InputError as error:
        raise UsageError(str(error)) from None
    workflow = get_workflow(getattr(args, "workflow", DEFAULT_WORKFLOW))
    result = workflow.parse(document)
    if isinstance(result, list):
        hint = workflow_hint(document, workflow.name)
        if hint is not None:
            raise UsageError(f"{label}: {hint}")
        print(
            f"{label}: invalid request ({len(result)} problem{'s' if len(result) > 1 else ''}):",
            file=sys.stderr,
        )
        for problem in result:
            print(f"  {problem.field}: {problem.message}", file=sys.stderr)
        return 2
    if workflow.name != DEFAULT_WORKFLOW:
        print(f"{label}: valid: {workflow.name} {result.name}: {result.summary()}")
        return 0
    origin = result.source.ami_id or result.source.workspace_image_id
    existing = result.source.image_arn or result.source.image_name
    source = f"import {origin}" if result.imports else f"image {existing}"
    export = "export to an AMI" if result.export is not None else "no export"
    print(
        f"{label}: valid: pipeline {result.pipeline}: {source}, builder {result.builder.instance_type} "
        f"({result.builder.root_volume_gb} GB), {result.snapshot.mode} snapshot, {export}"
    )
    return 0
