"""`image-factory start|status|watch|list|cancel`: drive runs through the run API.

`start --workflow NAME` starts a lifecycle workflow's run (export-backup, managed-update,
fleet-rollout, retention) with a request of that workflow, as `run --local --workflow`
and `validate --workflow` name them; every other command follows any workflow's runs.

Against a deployed stack the API is found from the stack's outputs and requests are
signed with the ambient AWS credentials; `--local` talks to `image-factory api serve --local`.
Exit codes: 0 success (for `watch`: the run SUCCEEDED), 1 the run or the API call failed,
2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, TextIO
from urllib.parse import urlsplit

from image_factory.cli import CommandError, UsageError
from image_factory.commands.run import add_workflow_option
from image_factory.local_engine.formatting import duration, table
from image_factory.local_engine.outcome import simulated_epoch_of
from image_factory.remote.client import ApiFailure, ApiUnreachable, RunApiClient
from image_factory.remote.run_view import closing_lines, describe_run, describe_step, outputs

DEFAULT_LOCAL_ENDPOINT = "http://127.0.0.1:8080"
ENDED = {"SUCCEEDED", "FAILED", "CANCELLED"}
STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "CANCELLED")


def register(subparsers: Any) -> None:
    start = _command(
        subparsers, "start", "start a run from a request file or a configured pipeline", run_start
    )
    start.add_argument(
        "request", nargs="?", metavar="REQUEST", help="request file (JSON/YAML) or bundled example"
    )
    start.add_argument(
        "--pipeline", metavar="NAME", help="run this configured pipeline with its stored request"
    )
    add_workflow_option(start)
    start.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="retrying with the same key answers the run it started instead of starting another",
    )
    start.add_argument("--watch", action="store_true", help="then follow the run until it ends")

    status = _command(subparsers, "status", "show a run: status, steps, current wait", run_status)
    status.add_argument("run_id", metavar="RUN_ID")

    watch = _command(subparsers, "watch", "follow a run until it ends (exit 0 if it succeeded)", run_watch)
    watch.add_argument("run_id", metavar="RUN_ID")
    watch.add_argument(
        "--interval", type=float, metavar="SECONDS", help="between two looks (default 5, local 0.5)"
    )

    listing = _command(subparsers, "list", "list runs, newest first", run_list)
    listing.add_argument("--pipeline", metavar="NAME")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--limit", type=int, default=20, metavar="N", help="runs to show (default 20)")
    listing.add_argument(
        "--next-token", metavar="TOKEN", help="go on from where a previous list stopped (it prints the token)"
    )

    cancel = _command(subparsers, "cancel", "cancel a run: stop it and clean up", run_cancel)
    cancel.add_argument("run_id", metavar="RUN_ID")


def _command(subparsers: Any, name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text, description=help_text)
    where = parser.add_argument_group("which API")
    where.add_argument(
        "--local", action="store_true", help="the local API (`image-factory api serve --local`)"
    )
    where.add_argument(
        "--endpoint", metavar="URL", help=f"API base URL (local default {DEFAULT_LOCAL_ENDPOINT})"
    )
    where.add_argument(
        "--stack", metavar="NAME", help="deployed stack (default $IMAGE_FACTORY_STACK or ImageFactory-dev)"
    )
    where.add_argument("--profile", metavar="PROFILE", help="AWS profile for a deployed stack")
    where.add_argument("--region", metavar="REGION", help="AWS region of a deployed stack")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON only: the API's answer; when following a run (watch, start --watch), one "
        "JSON document per line, the start's answer then the run each time it changes, the last "
        'as it ended; an error as {"error": {"code", "message", "fields"}}',
    )
    parser.set_defaults(func=_guarded(func))
    return parser


def _guarded(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args, _client(args), sys.stdout))
        except ApiFailure as failure:
            exit_code = 2 if failure.status == 400 else 1
            raise CommandError(
                str(failure),
                code=failure.code,
                exit_code=exit_code,
                message=failure.message,
                fields=failure.fields,
            ) from None
        except ApiUnreachable as error:
            raise CommandError(str(error), code="ApiUnreachable") from None

    return run


def _client(args: argparse.Namespace) -> RunApiClient:
    if args.endpoint:
        _check_endpoint(args.endpoint)
    if args.local:
        return RunApiClient(args.endpoint or DEFAULT_LOCAL_ENDPOINT)
    import boto3
    from botocore.exceptions import BotoCoreError

    from image_factory.remote.client import SigV4Signer
    from image_factory.remote.stack import DEFAULT_STACK, StackLookupError, api_url

    try:
        session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    except BotoCoreError as error:
        raise UsageError(str(error)) from None
    if args.endpoint:
        return RunApiClient(args.endpoint, SigV4Signer(session))
    stack = args.stack or os.environ.get("IMAGE_FACTORY_STACK") or DEFAULT_STACK
    try:
        return RunApiClient(api_url(session, stack), SigV4Signer(session))
    except StackLookupError as error:
        raise UsageError(str(error)) from None


def _check_endpoint(endpoint: str) -> None:
    """A base URL urllib can call; anything else would fail later as a traceback or an odd reason."""
    parts = urlsplit(endpoint)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise UsageError(
            f"--endpoint {endpoint!r} is not an API base URL: give http(s)://host:port, "
            f"e.g. {DEFAULT_LOCAL_ENDPOINT}"
        )


# --- commands -------------------------------------------------------------------------------------


def run_start(args: argparse.Namespace, client: RunApiClient, out: TextIO) -> int:
    if (args.request is None) == (args.pipeline is None):
        raise UsageError("give a REQUEST file or --pipeline NAME (one of them)")
    if args.pipeline is not None and args.workflow != "image-pipeline":
        raise UsageError("--pipeline runs a configured image pipeline; give a REQUEST file for --workflow")
    if args.pipeline is not None:
        document: dict[str, Any] = {"pipeline": args.pipeline}
    else:
        from image_factory.local_engine.inputs import InputError, load_request_document

        try:
            _, raw = load_request_document(args.request)
        except InputError as error:
            raise UsageError(" ".join(str(error).split())) from None
        if not isinstance(raw, dict):
            raise UsageError(f"{args.request}: a request is a JSON/YAML object")
        document = raw
    try:
        started = client.start(document, args.workflow, args.idempotency_key)
    except ApiFailure as failure:
        from functions.workflows import workflow_hint

        hint = workflow_hint(document, args.workflow) if failure.status == 400 else None
        if hint is None:
            raise
        raise UsageError(f"{args.request}: {hint}") from None
    if args.json and args.watch:
        print(json.dumps(started), file=out)  # the first line of a JSON Lines stream
    elif args.json:
        _print_json(started, out)
    else:
        print(f"started {started['run_id']} ({_started_what(started)})", file=out)
    if args.watch:
        return follow(
            client,
            str(started["run_id"]),
            _interval(args),
            out,
            as_json=args.json,
            local_api=_local_api(args, client),
        )
    return 0


def run_status(args: argparse.Namespace, client: RunApiClient, out: TextIO) -> int:
    run = client.get_run(args.run_id)
    if args.json:
        _print_json(run, out)
    else:
        print(describe_run(run, _local_api(args, client)), file=out)
    return 0


def run_watch(args: argparse.Namespace, client: RunApiClient, out: TextIO) -> int:
    return follow(
        client, args.run_id, _interval(args), out, as_json=args.json, local_api=_local_api(args, client)
    )


def run_list(args: argparse.Namespace, client: RunApiClient, out: TextIO) -> int:
    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    runs: list[dict[str, Any]] = []
    token: str | None = args.next_token
    while len(runs) < args.limit:
        page = client.list_runs(args.pipeline, args.status, min(100, args.limit - len(runs)), token)
        runs.extend(page["runs"])
        token = page.get("next_token")
        if not token:
            break
    if args.json:
        _print_json({"runs": runs, "next_token": token}, out)
        return 0
    print(runs_table(runs) if runs else "no runs", file=out)
    if token:
        filters = "".join(
            f" --{name} {value}"
            for name, value in (("pipeline", args.pipeline), ("status", args.status))
            if value
        )
        print(f"more: image-factory list{filters} --next-token {token}", file=out)
    return 0


def runs_table(runs: list[dict[str, Any]]) -> str:
    rows = [
        [
            run["run_id"],
            run.get("workflow") or "-",
            run.get("pipeline") or "-",
            run["status"],
            run.get("started_at") or "-",
            _took(run),
            run.get("current_step") or "-",
        ]
        for run in runs
    ]
    header = ["run", "workflow", "pipeline", "status", "started", "duration", "step"]
    return table(header, rows, indent="")


def _took(run: dict[str, Any]) -> str:
    started, finished = simulated_epoch_of(run.get("started_at")), simulated_epoch_of(run.get("finished_at"))
    return duration(finished - started) if started is not None and finished is not None else "-"


def run_cancel(args: argparse.Namespace, client: RunApiClient, out: TextIO) -> int:
    answer = client.cancel(args.run_id)
    if args.json:
        _print_json(answer, out)
        return 0
    print(f"{answer['run_id']}: {answer['status']}", file=out)
    for action in answer.get("cleanup", []):
        print(f"  {action}", file=out)
    if answer.get("error"):
        print(f"  cleanup needs a person: {answer['error']['message']}", file=out)
        return 1
    if answer["status"] == "CANCELLING":
        follow_it = f"`image-factory watch {answer['run_id']}`"
        print(f"  stopped; the workflow cleans up after it: follow it with {follow_it}", file=out)
    return 0


# --- following a run ------------------------------------------------------------------------------


def follow(
    client: RunApiClient,
    run_id: str,
    interval: float,
    out: TextIO,
    *,
    as_json: bool = False,
    local_api: str | None = None,
) -> int:
    """Print each change of the run's steps and outputs until it ends; 0 if it SUCCEEDED, else 1.
    As JSON: the whole run on one line at each change (JSON Lines), the last as it ended."""
    seen: dict[str, tuple[Any, ...]] = {}
    shown: set[str] = set()
    status = None
    while True:
        run = client.get_run(run_id)
        lines = _changes(run, status, seen, shown, local_api)
        status = run["status"]
        if as_json and lines:
            print(json.dumps(run), file=out, flush=True)
        elif lines:
            print("\n".join(lines), file=out, flush=True)
        if status in ENDED:
            if not as_json:
                for line in closing_lines(run):
                    print(f"  {line}", file=out)
            return 0 if status == "SUCCEEDED" else 1
        time.sleep(interval)


def _changes(
    run: dict[str, Any],
    status: str | None,
    seen: dict[str, tuple[Any, ...]],
    shown: set[str],
    local_api: str | None,
) -> list[str]:
    """The lines telling what changed since the last look (recording what was seen)."""
    lines = []
    origin = simulated_epoch_of(run.get("started_at"))
    run_id = run["run_id"]
    if status is None and origin is not None:
        lines.append(f"{run_id}: started {run['started_at']}; times below count from the start")
    for step in run.get("steps", []):
        view = (step["status"], step.get("polls"), step.get("last_state"))
        if seen.get(step["step"]) != view:
            seen[step["step"]] = view
            lines.append(f"  {describe_step(step, origin)}")
    for line in outputs(run, local_api):
        if line not in shown:
            shown.add(line)
            lines.append(f"  {line}")
    if run["status"] != status:
        lines.append(f"{run_id}: {run['status']}")
    return lines


def _local_api(args: argparse.Namespace, client: RunApiClient) -> str | None:
    return client.base_url if args.local else None


def _started_what(started: dict[str, Any]) -> str:
    workflow = started.get("workflow") or "image-pipeline"
    if workflow == "image-pipeline":
        return f"pipeline {started['pipeline']}, image {started.get('image_name') or '-'}"
    return f"{workflow} job {started['pipeline']}"


def _interval(args: argparse.Namespace) -> float:
    interval = getattr(args, "interval", None)
    if interval is not None and interval <= 0:
        raise UsageError("--interval must be positive")
    return interval or (0.5 if args.local else 5.0)


def _print_json(document: Any, out: TextIO) -> None:
    print(json.dumps(document, indent=2), file=out)
