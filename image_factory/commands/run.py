"""`image-factory run REQUEST`: run a pipeline request locally against an emulator scenario.

With `--config FILE` (the deployment configuration) the run follows the file's chains: a
run that makes an image starts the chained fleet rollout, which is followed too.
Exit 0 when every run SUCCEEDED, 1 when one FAILED, 2 for a bad request, scenario or file.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from image_factory.cli import UsageError

if TYPE_CHECKING:
    from image_factory.costs import RunCost
    from stacks.config import DeploymentConfig


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a pipeline request (locally: on the AppStream emulator)",
        description="Run a pipeline request end to end: the real state machine runs on the "
        "local engine (moto's Step Functions interpreter, handlers in-process) against the AppStream "
        "emulator, in compressed simulated time. "
        "With --config, the configuration's chained fleet rollouts start as deployed ones do, and are "
        "followed too. Exit 0 if every run succeeded, 1 if one failed, 2 for bad input.",
    )
    parser.add_argument(
        "request", metavar="REQUEST", help="request file (JSON or YAML) or bundled example name"
    )
    parser.add_argument(
        "--local",
        action="store_true",
        help="run on the local engine, the only place `run` runs (the default; accepted for clarity)",
    )
    add_workflow_option(parser)
    add_local_options(parser)
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="deployment configuration (YAML/JSON): follow its chains (a fleet rollout after_pipeline "
        "or after_managed_update starts when the run makes an image)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document instead of the progress view: the run as the run API answers "
        "GET /runs/{id}, with the counters, the cost and what is left in the emulated account; "
        'an error as {"error": {"code", "message", "fields"}}',
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="also write the run's report: one self-contained HTML page (timeline, resources, cost)",
    )
    parser.set_defaults(func=run_command)


def add_workflow_option(parser: argparse.ArgumentParser) -> None:
    from functions.workflows import DEFAULT_WORKFLOW, WORKFLOWS

    parser.add_argument(
        "--workflow",
        choices=sorted(WORKFLOWS),
        default=DEFAULT_WORKFLOW,
        help=f"which workflow the request is for (default: {DEFAULT_WORKFLOW})",
    )


def add_local_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario",
        metavar="SCENARIO",
        help="emulator scenario file (YAML or JSON) or bundled example name (default: emulator defaults)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        metavar="X",
        help="simulated seconds per real second (default: the engine's)",
    )


def run_command(args: argparse.Namespace) -> int:
    return run_locally(
        args.request,
        args.scenario,
        args.time_scale,
        as_json=args.json,
        out=sys.stdout,
        workflow=args.workflow,
        config=args.config,
        report_page=args.report,
    )


def run_locally(
    request_reference: str,
    scenario_reference: str | None,
    time_scale: float | None,
    *,
    as_json: bool,
    out: TextIO,
    title: str | None = None,
    workflow: str | None = None,
    config: str | None = None,
    report_page: str | None = None,
) -> int:
    """Check the inputs, run one request on a fresh local engine, report; returns the exit code."""
    from functions.workflows import DEFAULT_WORKFLOW, get_workflow, workflow_hint
    from image_factory.local_engine.chained_runs import ChainedRun, announcement, follow_chained_runs
    from image_factory.local_engine.definition import DefinitionError
    from image_factory.local_engine.engine import DEFAULT_RUN_TIMEOUT, DEFAULT_TIME_SCALE, LocalEngine
    from image_factory.local_engine.inputs import InputError, load_request_document, load_scenario
    from image_factory.local_engine.seams import EngineIncompatible

    if time_scale is not None and time_scale <= 0:
        raise UsageError(f"--time-scale must be a positive number, got {time_scale}")
    if report_page is not None:
        check_report_path("--report", report_page)
    try:
        label, document = load_request_document(request_reference)
        scenario = load_scenario(scenario_reference)
    except InputError as error:
        raise UsageError(" ".join(str(error).split())) from None
    chosen = get_workflow(workflow or DEFAULT_WORKFLOW)
    request = chosen.parse(document)
    if isinstance(request, list):
        hint = workflow_hint(document, chosen.name)
        if hint is not None:
            raise UsageError(f"{label}: {hint}")
        problems = "; ".join(str(problem) for problem in request)
        fields = [{"field": problem.field, "message": problem.message} for problem in request]
        raise UsageError(f"{label}: invalid request: {problems}", fields)
    deployment = load_chains(config)

    scale = time_scale or DEFAULT_TIME_SCALE
    started = time.monotonic()
    with ExitStack() as stack:
        try:
            engine = stack.enter_context(
                LocalEngine(scenario, time_scale=scale, workflow=chosen.name, config=deployment)
            )
        except (DefinitionError, EngineIncompatible) as error:
            raise UsageError(f"cannot start the local engine: {error}") from None
        # What is loaded now lives until the run ends. Frozen, it is left out of garbage
        # collections, whose pauses would otherwise pass as simulated time (a tenth of a
        # second is five minutes at 3000x).
        gc.freeze()
        stack.callback(gc.unfreeze)
        chained: list[ChainedRun]
        if as_json:
            outcome = engine.run(document, timeout=DEFAULT_RUN_TIMEOUT)
            chained = follow_chained_runs(
                engine, lambda runs: [run.wait(DEFAULT_RUN_TIMEOUT) for run in runs], lambda _: None
            )
        else:
            from image_factory.local_engine.formatting import plural
            from image_factory.local_engine.progress import ProgressView

            print(title or f"Running {label} on the local engine", file=out)
            print(
                f"  scenario: {scenario_reference or 'emulator defaults'}; simulated time, {scale:g}x real "
                "time: times count from the start (+H:MM:SS)",
                file=out,
            )
            if deployment is not None:
                print(f"  chains: {plural(len(engine.event_rules.rules), 'rule')} from {config}", file=out)
            view = ProgressView(
                out,
                engine.time,
                show_run_ids=deployment is not None,
                after_each_task=engine.invoker.after_each,
            )
            execution = engine.start(document)
            (outcome,) = view.follow([execution], DEFAULT_RUN_TIMEOUT)
            chained = follow_chained_runs(
                engine,
                lambda runs: view.follow(runs, DEFAULT_RUN_TIMEOUT),
                lambda delivery: print(announcement(delivery), file=out),
            )
        counters = engine.counters()
        inventory = {**engine.inventory(), "amis": engine.amis()}  # the run is over: nothing else calls EC2
    real_seconds = time.monotonic() - started
    from image_factory.costs import run_cost
    from stacks.config_prices import Prices

    run_document = outcome.run_document()
    cost = run_cost(run_document, deployment.prices if deployment else Prices(), counters.to_document())
    if report_page is not None:
        write_report(report_page, run_document, counters.to_document(), cost)

    if as_json:
        report = {
            **run_document,
            "counters": counters.to_document(),
            "cost": cost.to_document(),
            "inventory": inventory,
            "scenario": scenario_reference,
            "time_scale": scale,
            "real_seconds": round(real_seconds, 2),
        }
        if deployment is not None:
            report["chained"] = [
                {
                    "rule": run.delivery.rule,
                    **({"error": run.delivery.error} if run.outcome is None else run.outcome.run_document()),
                }
                for run in chained
            ]
        print(json.dumps(report, indent=2, default=str), file=out)
    else:
        from image_factory.local_engine.summary import counters_summary, inventory_summary, run_summary

        print("", file=out)
        print(run_summary(outcome), file=out)
        for run in chained:
            print("", file=out)
            print(announcement(run.delivery), file=out)
            if run.outcome is not None:
                print(run_summary(run.outcome), file=out)
        print(counters_summary(counters, real_seconds), file=out)
        print(cost.line(), file=out)
        print(inventory_summary(inventory), file=out)
        if report_page is not None:
            print(f"Report: {report_page}", file=out)
    return 0 if outcome.succeeded and all(run.succeeded for run in chained) else 1


def check_report_path(option: str, path: str) -> None:
    """Before the work: a page whose folder is missing would be lost at the end."""
    if not Path(path).resolve().parent.is_dir():
        raise UsageError(f"{option} {path}: its folder does not exist")


def write_report(path: str, run: dict[str, Any], counters: dict[str, Any] | None, cost: RunCost) -> None:
    """Write the run's HTML report; a path that cannot be written is bad input, named."""
    from image_factory.report.page import report_html

    try:
        Path(path).write_text(report_html(run, counters, cost), encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{path}: cannot write the report: {error.strerror or error}") from None


def load_chains(path: str | None) -> DeploymentConfig | None:
    """The deployment configuration whose chain rules the engine applies (None without --config)."""
    if path is None:
        return None
    from stacks.config import ConfigError, load_config

    try:
        return load_config(Path(path))
    except ConfigError as error:
        raise UsageError(str(error)) from None
