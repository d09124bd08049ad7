"""`image-factory report RUN_ID --html FILE`: the report page of a run recorded behind the run API.

The same page `run --report` writes, from the run as the API answers it. The API does not
count state transitions or Lambda time, so the cost line gives those as unknown.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from image_factory.cli import UsageError
from image_factory.commands.run import check_report_path, load_chains, write_report
from image_factory.commands.runs import _command
from image_factory.remote.client import RunApiClient


def register(subparsers: Any) -> None:
    parser = _command(subparsers, "report", "write a run's report page (HTML, self-contained)", run_report)
    parser.add_argument("run_id", metavar="RUN_ID")
    parser.add_argument("--html", metavar="FILE", required=True, help="where to write the page")
    parser.add_argument("--config", metavar="FILE", help="deployment configuration whose `prices` to use")


def run_report(args: argparse.Namespace, client: RunApiClient, out: TextIO) -> int:
    from image_factory.costs import run_cost
    from stacks.config_prices import Prices

    check_report_path("--html", args.html)
    deployment = load_chains(args.config)
    run = client.get_run(args.run_id)
    if run.get("status") == "STARTING":
        raise UsageError(f"run {args.run_id} has not recorded anything yet: try again in a few seconds")
    cost = run_cost(run, deployment.prices if deployment else Prices())
    write_report(args.html, run, None, cost)
    print(f"wrote {args.html}: run {run['run_id']} {run['status']}", file=out)
    return 0
