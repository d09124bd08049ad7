"""`deployed_permissions`: every AWS call a function makes in the test must be allowed by its deployed role.

The role policies come from one synth, cached in pytest's cache under a hash of what shapes
the template, so a session (each xdist worker) synthesizes only when the stacks changed.
Each checked test records which grants it exercised; the controller prints, at the end of
the session, the grants of the checked roles that no test exercised.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.permissions.policy_check import RolePolicy

# The engine, the emulator and the CDK app are imported by the fixtures only, so that loading
# this plugin costs nothing to the tests that do not use it.

# Refusals already reported, each matched by (action, resource prefix): the suite stays green on
# them and they are listed as findings; any other refusal fails the test.
KNOWN_REFUSALS: dict[tuple[str, str], str] = {
    ("ec2:DeleteSnapshot", "arn:aws:ec2:us-east-1::snapshot/"): (
        "issue 13, point 4: the grant names snapshot/* with an account, snapshot ARNs carry none, so "
        "retention deregisters an AMI and cannot delete its snapshots (stacks/permissions.py)"
    ),
    ("iam:PassRole", "arn:aws:iam::123456789012:role/AppStreamImage"): (
        "the example requests (reference, import-no-export, existing-image-export) name the roles "
        "AppStreamImageImport/AppStreamImageExport; the example deployment lets the functions pass only "
        "the three image-factory-* roles of stacks/pipelines.example.yaml: such a run fails at import"
    ),
}

_REPORT_DIR = "deployed_permissions_report"
_running = threading.local()  # the handler whose calls are being made on this thread


def _report_dir(config: pytest.Config) -> Path:
    workerinput = getattr(config, "workerinput", None)
    return Path(workerinput[_REPORT_DIR] if workerinput else config._deployed_permissions_dir)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        config._deployed_permissions_dir = tempfile.mkdtemp(prefix="permissions-")  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        shutil.rmtree(config._deployed_permissions_dir, ignore_errors=True)  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput[_REPORT_DIR] = node.config._deployed_permissions_dir


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    files = list(_report_dir(config).glob("*.json")) if not hasattr(config, "workerinput") else []
    if not files:
        return
    granted: set[str] = set()
    exercised: set[str] = set()
    known: set[str] = set()
    seconds = 0.0
    for file in files:
        data = json.loads(file.read_text())
        granted.update(data["granted"])
        exercised.update(data["exercised"])
        known.update(data["known_refusals"])
        seconds += data["seconds"]
    # A finding that no longer occurs is listed too, so its entry can be removed.
    terminalreporter.section("known refusals of the deployed roles")
    for (action, prefix), reason in KNOWN_REFUSALS.items():
        seen = sorted(line for line in known if f": {action} on {prefix}" in line)
        terminalreporter.write_line(f"{action} on {prefix}*: {reason}")
        for line in seen or ["(not seen in this session)"]:
            terminalreporter.write_line(f"    {line}")
    terminalreporter.write_line(f"{len(files)} tests checked, {seconds:.1f} s spent checking calls")
    terminalreporter.section("deployed grants no checked test exercised")
    unexercised = sorted(granted - exercised)
    # The log-group grants are used by the Lambda runtime, not by function code: one line for them.
    runtime = [grant for grant in unexercised if "unresolved:AWS::Logs::LogGroup" in grant]
    for grant in unexercised:
        if grant not in runtime:
            terminalreporter.write_line(grant)
    if runtime:
        terminalreporter.write_line(f"{len(runtime)} logs:* grants on the functions' log groups")


@pytest.fixture(scope="session")
def deployed_policies(pytestconfig: pytest.Config) -> dict[str, RolePolicy]:
    """handler dotted path -> its role's policy, as synthesized"""
    from tests.permissions.policy_check import RolePolicy
    from tests.permissions.template_policies import Resolver, source_hash, synthesize

    cache = pytestconfig.cache
    assert cache is not None
    cached = cache.mkdir("synthesized-template") / f"{source_hash()}.json"
    if not cached.exists():
        with tempfile.TemporaryDirectory(prefix="cdk.out-") as outdir:
            template = synthesize(Path(outdir))
        # Written under a name of this process, then renamed: the other worker may synthesize too.
        partial = cached.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(template))
        partial.replace(cached)
    resolver = Resolver(json.loads(cached.read_text()))
    return {
        handler: RolePolicy.from_documents(role, documents)
        for handler, (role, documents) in resolver.policies_by_handler().items()
    }


def _known(action: str, resource: str) -> bool:
    return any(action == a and resource.startswith(prefix) for a, prefix in KNOWN_REFUSALS)


@pytest.fixture
def deployed_permissions(
    deployed_policies: dict[str, RolePolicy], monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[list[str]]:
    """The refusals seen (known ones included); the test fails on any unknown refusal."""
    from functions import clients
    from image_factory.local_engine.lambdas import InProcessInvoker
    from tests.permissions.calls import requests

    refused: list[str] = []
    unknown: set[str] = set()
    exercised: set[str] = set()
    roles: dict[str, RolePolicy] = {}

    spent = [0.0]  # seconds spent checking, reported with the grants

    def check(params: dict[str, Any], model: Any, **_: Any) -> None:
        handler = getattr(_running, "handler", None)
        if handler is None:
            return  # a call of the test or the engine itself, not of a deployed function
        started = time.perf_counter()
        try:
            _check(handler, params, model)
        finally:
            spent[0] += time.perf_counter() - started

    def _check(handler: str, params: dict[str, Any], model: Any) -> None:
        policy = roles.setdefault(deployed_policies[handler].role, deployed_policies[handler])
        for call in requests(model.service_model.signing_name, model.name, params):
            allowed = policy.allowing(call.action, call.resource, call.context)
            exercised.update(f"{grant.role}: {grant}" for grant in allowed)
            if not allowed:
                line = f"{handler}: {call.action} on {call.resource}"
                refused.append(line)
                if not _known(call.action, call.resource):
                    unknown.add(line)

    original_client = clients._new_client

    def checked_client(service: str) -> Any:
        client = original_client(service)
        client.meta.events.register("before-parameter-build", check)
        return client

    original_invoke = InProcessInvoker._invoke_once

    def invoke(self: InProcessInvoker, function: Any, event: Any) -> tuple[str, bool, str]:
        _running.handler = function.handler
        try:
            return original_invoke(self, function, event)
        finally:
            _running.handler = None

    monkeypatch.setattr(clients, "_new_client", checked_client)
    monkeypatch.setattr(InProcessInvoker, "_invoke_once", invoke)
    clients.reset()
    yield refused
    clients.reset()
    report = {  # the grants of the roles whose functions ran
        "granted": sorted(
            {f"{grant.role}: {grant}" for policy in roles.values() for grant, _ in policy.grants}
        ),
        "exercised": sorted(exercised),
        "known_refusals": sorted(set(refused) - unknown),
        "seconds": spent[0],
    }
    name = request.node.nodeid.replace("/", "_").replace(":", "_")[-150:]
    (_report_dir(request.config) / f"{name}.json").write_text(json.dumps(report))
    # Guards the interception itself: a run whose functions made no checked call proves nothing.
    assert roles, "no function call was checked: the clients were created before the checker"
    assert not unknown, "the deployed role would refuse:\n" + "\n".join(sorted(set(unknown)))
