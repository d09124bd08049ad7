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
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.permissions.interception import CheckedCalls
    from tests.permissions.policy_check import RolePolicy
    from tests.permissions.simulator import Simulator

# The engine, the emulator and the CDK app are imported by the fixtures only, so that loading
# this plugin costs nothing to the tests that do not use it.

# Refusals tolerated while their fix lands, each matched by (action, resource prefix) with its
# reason, and listed as findings; any other refusal fails the test. None is tolerated today.
KNOWN_REFUSALS: dict[tuple[str, str], str] = {}

_REPORT_DIR = "deployed_permissions_report"


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
    """handler dotted path (or "state machine NAME") -> its role's policy, as synthesized"""
    from tests.permissions.interception import STATE_MACHINE
    from tests.permissions.policy_check import RolePolicy
    from tests.permissions.template_policies import Resolver, source_hash, synthesize

    cache = pytestconfig.cache  # None under -p no:cacheprovider: then each session synthesizes
    folder = cache.mkdir("synthesized-template") if cache is not None else Path(tempfile.mkdtemp())
    cached = folder / f"{source_hash()}.json"
    if not cached.exists():
        with tempfile.TemporaryDirectory(prefix="cdk.out-") as outdir:
            template = synthesize(Path(outdir))
        # Written under a name of this process, then renamed: the other worker may synthesize too.
        partial = cached.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(json.dumps(template))
        partial.replace(cached)
    resolver = Resolver(json.loads(cached.read_text()))
    by_handler = {
        handler: RolePolicy.from_documents(role, documents)
        for handler, (role, documents) in resolver.policies_by_handler().items()
    }
    by_state_machine = {
        STATE_MACHINE + name: RolePolicy.from_documents(role, documents)
        for name, (role, documents) in resolver.policies_by_state_machine().items()
    }
    return by_handler | by_state_machine


@pytest.fixture(scope="session")
def iam_simulator() -> Iterator[Simulator]:
    """The second judge (`tests.permissions.simulator`), one Node process for the session."""
    from tests.permissions.simulator import Simulator

    simulator = Simulator()
    try:
        yield simulator
    finally:
        simulator.close()


def _known(action: str, resource: str) -> bool:
    return any(action == a and resource.startswith(prefix) for a, prefix in KNOWN_REFUSALS)


@pytest.fixture
def deployed_permissions(
    deployed_policies: dict[str, RolePolicy], iam_simulator: Simulator, request: pytest.FixtureRequest
) -> Iterator[CheckedCalls]:
    """Checks the test's calls; the test fails on any refusal that is not a known finding."""
    from tests.permissions.interception import CheckedCalls, checked_calls
    from tests.permissions.simulator import simulated_documents

    with checked_calls(CheckedCalls(deployed_policies, _known)) as checked:
        yield checked
    roles, exercised, refused, unknown = checked.roles, checked.exercised, checked.refused, checked.unknown
    report = {  # the grants of the roles whose functions ran
        "granted": sorted(
            {f"{grant.role}: {grant}" for policy in roles.values() for grant, _ in policy.grants}
        ),
        "exercised": sorted(exercised),
        "known_refusals": sorted(set(refused) - unknown),
        "seconds": checked.seconds,
    }
    name = request.node.nodeid.replace("/", "_").replace(":", "_")[-150:]
    (_report_dir(request.config) / f"{name}.json").write_text(json.dumps(report))
    # Guards the interception itself: a run whose functions made no checked call proves nothing.
    assert roles, "no function call was checked: the clients were created before the checker"
    assert not unknown, "the deployed role would refuse:\n" + "\n".join(sorted(set(unknown)))
    documents = {role: simulated_documents(policy.documents) for role, policy in roles.items()}
    second = iam_simulator.refusals(sorted(checked.asks, key=repr), documents)
    assert not second, "iam-simulate would refuse (or cannot evaluate):\n" + "\n".join(second)
