"""`image-factory emulator`: serve the AppStream emulator over HTTP, print its scenario schema."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from types import FrameType
from typing import Any

from image_factory.cli import UsageError, command_group

DEFAULT_PORT = 4599
LOCAL_API = "http://127.0.0.1:8080"  # `image-factory api serve`'s default
REGION = "us-east-1"
# Signatures are not checked, but the AWS CLI and SDKs refuse to send a request they cannot sign.
PLACEHOLDER_CREDENTIALS = "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("emulator", help="run the local AppStream emulator")
    commands = command_group(parser, "emulator_command", "ACTION")

    serve = commands.add_parser(
        "serve",
        help="serve the emulator over HTTP for the AWS CLI and SDKs",
        description="Serve the AppStream emulator over HTTP (smithy-rpc-v2-cbor and awsJson1_1). "
        "Request signatures are not checked: any credentials work, but a client needs some to sign "
        f"(e.g. {PLACEHOLDER_CREDENTIALS}). Stop it with Ctrl-C.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port to bind, 0 for any free port (default: %(default)s)",
    )
    serve.add_argument(
        "--scenario",
        metavar="SCENARIO",
        help="scenario file (JSON or YAML) or bundled example name: durations, quotas, rate limits, faults",
    )
    serve.add_argument(
        "--time-scale",
        type=float,
        metavar="X",
        help="run simulated time X times faster than real time (default: real time)",
    )
    serve.set_defaults(func=serve_command)

    create = commands.add_parser(
        "create-image",
        help="the administrator's step of a manual snapshot: create an image from a running builder",
        description="Do what an administrator does with Image Assistant on a builder in manual snapshot "
        "mode: create image NAME from image builder BUILDER, on the emulator of a running local run API "
        f"(`image-factory api serve`, default {LOCAL_API}) or of `emulator serve` (--endpoint "
        f"http://127.0.0.1:{DEFAULT_PORT}). The waiting run sees the image at its next check.",
    )
    create.add_argument("builder", metavar="BUILDER", help="the image builder the run names")
    create.add_argument("name", metavar="NAME", help="the image name the run waits for")
    create.add_argument("--display-name", metavar="TEXT", help="the image's display name")
    create.add_argument("--endpoint", metavar="URL", default=LOCAL_API, help="default: %(default)s")
    create.set_defaults(func=create_image_command)

    schema = commands.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.set_defaults(func=schema_command)


def serve_command(args: argparse.Namespace) -> int:
    # Imported here, not at the top: every `image-factory` command loads this module to register it.
    from appstream_emulator.clock import ScaledClock
    from appstream_emulator.core import Emulator
    from appstream_emulator.server import EmulatorServer
    from image_factory.local_engine.inputs import InputError, load_scenario

    if args.time_scale is not None and args.time_scale <= 0:
        raise UsageError(f"--time-scale must be a positive number, got {args.time_scale}")
    try:
        scenario = load_scenario(args.scenario) if args.scenario else None
    except InputError as error:
        raise UsageError(" ".join(str(error).split())) from None
    clock = ScaledClock(args.time_scale) if args.time_scale is not None else None
    emulator = Emulator(scenario, clock, region=REGION)
    try:
        server = EmulatorServer(emulator, args.host, args.port)
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None

    # Rejected requests and internal failures are logged; a person running the server wants to see them.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    print(_banner(server.url, args), flush=True)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, _Stop):
        pass  # Ctrl-C or SIGTERM: the normal way to stop
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.drop_connections()
        server.server_close()
    print("AppStream emulator stopped.", file=sys.stderr)
    return 0


def create_image_command(args: argparse.Namespace) -> int:
    import urllib.error
    import urllib.request
    from urllib.parse import urlsplit

    from appstream_emulator.image_assistant import ROUTE

    endpoint = urlsplit(args.endpoint)
    if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
        raise UsageError(f"--endpoint {args.endpoint!r}: give a URL such as {LOCAL_API}")
    body = {"image_builder": args.builder, "image_name": args.name}
    if args.display_name:
        body["display_name"] = args.display_name
    request = urllib.request.Request(
        args.endpoint.rstrip("/") + ROUTE,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        answer = _json_or_text(error.read())
        print(
            f"image-factory: {answer.get('code', error.code)}: {answer.get('message', '')}", file=sys.stderr
        )
        return 2 if error.code == 400 else 1
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        print(
            f"image-factory: cannot reach {args.endpoint}: {reason}; is `image-factory api serve` running?",
            file=sys.stderr,
        )
        return 1
    print(f"{answer['message']}; the waiting run sees it at its next check", flush=True)
    return 0


def _json_or_text(payload: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(payload)
    except ValueError:
        return {"message": payload.decode(errors="replace")[:200]}
    return answer if isinstance(answer, dict) else {"message": str(answer)}


def schema_command(args: argparse.Namespace) -> int:
    from appstream_emulator.scenario import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


def _banner(url: str, args: argparse.Namespace) -> str:
    time_note = f"{args.time_scale}x real time" if args.time_scale is not None else "real time"
    return "\n".join(
        [
            f"AppStream emulator listening on {url}",
            f"  scenario: {args.scenario or 'defaults'}; simulated time: {time_note}",
            "  protocols: smithy-rpc-v2-cbor and awsJson1_1; request signatures are not checked",
            "Point clients at it with either (any credentials do: a client needs some to sign):",
            f"  {PLACEHOLDER_CREDENTIALS} aws appstream describe-images "
            f"--endpoint-url {url} --region {REGION}",
            f"  export AWS_ENDPOINT_URL_APPSTREAM={url} {PLACEHOLDER_CREDENTIALS} "
            f"AWS_DEFAULT_REGION={REGION}",
            "Press Ctrl-C to stop.",
        ]
    )


class _Stop(Exception):
    """Raised from the SIGTERM handler to leave serve_forever like Ctrl-C does."""


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Stop
