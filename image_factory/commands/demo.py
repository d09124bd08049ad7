"""`image-factory demo`: the reference pipeline, end to end, on the AppStream emulator, in seconds.

Import an AMI (with runtime validation) -> a builder with a 300 GB root volume ->
the builder agent's snapshot -> export to an AMI -> clean up, on the same state
machine definition CDK deploys. No AWS account, no Docker.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from image_factory.commands.run import add_local_options, run_locally

REFERENCE_REQUEST = "reference"
DEFAULT_SCENARIO = "default"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the reference pipeline locally, end to end, in seconds",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_local_options(parser)
    parser.set_defaults(func=demo_command, scenario=DEFAULT_SCENARIO)


def demo_command(args: argparse.Namespace) -> int:
    return run_locally(
        REFERENCE_REQUEST,
        args.scenario,
        args.time_scale,
        as_json=False,
        out=sys.stdout,
        title="Image Factory demo: the reference pipeline "
        "(import -> 300 GB builder -> agent snapshot -> export)",
    )
