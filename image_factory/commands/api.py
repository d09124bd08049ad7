"""`image-factory api serve --local` and `image-factory api openapi`: the run API on this machine.

`serve --local` answers on 127.0.0.1 with the same handler API Gateway invokes, over the
local engine: runs started through it execute in the background on the emulator.
`openapi` prints (or writes, or checks) the OpenAPI document generated from the code.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from image_factory.cli import UsageError, command_group
from image_factory.commands.run import add_local_options, load_chains

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("api", help="the run API: serve it locally, or its OpenAPI document")
    commands = command_group(parser, "api_command", "ACTION")

    serve = commands.add_parser(
        "serve",
        help="serve the run API on 127.0.0.1 over the local engine",
        description="Serve the run API over HTTP on 127.0.0.1, runs executing on the local engine "
        '(no AWS account). Try: curl -X POST localhost:8080/runs -d \'{"pipeline": "reference"}\'. '
        "Lifecycle workflows start at /workflows/NAME/runs; they work on the emulated account's "
        "images and fleets (e.g. --scenario fleets).",
    )
    serve.add_argument(
        "--local",
        action="store_true",
        help="the API on the local engine, the only one `serve` has (the default; accepted for clarity)",
    )
    serve.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default 8080; 0 picks one)")
    serve.add_argument(
        "--pipelines",
        metavar="FILE",
        help="configured pipelines (a deployment config YAML/JSON; default: the bundled example requests)",
    )
    add_local_options(serve)
    serve.set_defaults(func=serve_command)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document generated from the code")
    openapi.add_argument(
        "--write",
        action="store_true",
        help="write it to docs/openapi.json (the committed copy)",
    )
    openapi.add_argument("--check", action="store_true", help="exit 1 if the committed document differs")
    openapi.set_defaults(func=openapi_command)


def openapi_text() -> str:
    from functions.api.app import openapi_document

    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


def openapi_command(args: argparse.Namespace) -> int:
    text = openapi_text()
    if args.check:
        current = OPENAPI_PATH.read_text(encoding="utf-8") if OPENAPI_PATH.is_file() else ""
        if current != text:
            print(f"{OPENAPI_PATH} is out of date: run `image-factory api openapi --write`", file=sys.stderr)
            return 1
        return 0
    if args.write:
        OPENAPI_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {OPENAPI_PATH}")
        return 0
    sys.stdout.write(text)
    return 0


def serve_command(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0-65535, got {args.port}")
    if args.time_scale is not None and args.time_scale <= 0:
        raise UsageError(f"--time-scale must be a positive number, got {args.time_scale}")
    from image_factory.local_engine.engine import DEFAULT_TIME_SCALE, LocalEngine
    from image_factory.local_engine.inputs import InputError, load_scenario
    from image_factory.remote.local_server import LocalApiServer

    configured = _configured_pipelines(args.pipelines) if args.pipelines else None
    try:
        scenario = load_scenario(args.scenario)
    except InputError as error:
        raise UsageError(" ".join(str(error).split())) from None
    engine = LocalEngine(scenario, time_scale=args.time_scale or DEFAULT_TIME_SCALE)
    try:
        server = LocalApiServer(engine, port=args.port, configured_pipelines=configured)
        with server:
            print(f"run API on {server.url} (local engine; Ctrl-C stops it)", flush=True)
            print(f"  follow a run: image-factory watch --local --endpoint {server.url} RUN_ID", flush=True)
            threading.Event().wait()
    except OSError as error:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror}") from None
    except KeyboardInterrupt:
        return 0
    return 0


def _configured_pipelines(path: str) -> list[dict[str, Any]]:
    """The pipelines of a deployment configuration, checked as `cdk synth` and `run --config` check it."""
    config = load_chains(path)
    if config is None or not config.pipelines:
        raise UsageError(f"{path}: configures no pipelines (expected a `pipelines:` list)")
    return [{"name": pipeline.name, "request": pipeline.request} for pipeline in config.pipelines]
