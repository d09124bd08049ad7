"""The deployed roles judged a second time, by an IAM evaluator this project did not write.

`@cloud-copilot/iam-simulate` (pinned in package.json, run by `simulate.mjs` in one Node
process per session) evaluates every call the functions made against the same synthesized
policies: every condition operator, with the call's condition keys as they were before the
call ran, and each resource ARN checked against the resource types AWS's service
authorization data gives the action, so a grant in a wrong ARN format is caught at run time.
A call it does not answer "Allowed" fails the test, whatever `policy_check` said.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from image_factory.local_engine.engine import ACCOUNT_ID

SCRIPT = Path(__file__).with_name("simulate.mjs")


@dataclass(frozen=True)
class Ask:
    role: str
    action: str
    resource: str
    context: tuple[tuple[str, str], ...]  # the condition keys the role's policy reads, as the call set them


def simulated_documents(documents: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The policies less their unresolved resources (log groups, the key: the runtime's, never a call's)."""
    simulated = []
    for document in documents:
        statements = document["Statement"]
        kept = []
        for statement in statements if isinstance(statements, list) else [statements]:
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            resolved = [resource for resource in resources if not str(resource).startswith("unresolved:")]
            if resolved:
                kept.append({**statement, "Resource": resolved})
        if kept:
            simulated.append({**document, "Statement": kept})
    return simulated


def aws_owned(resource: str) -> bool:
    """An AWS-owned AppStream resource (a public base image): its ARN names no account."""
    fields = resource.split(":")
    return len(fields) > 5 and fields[2] == "appstream" and fields[4] == ""


class Simulator:
    """One `node simulate.mjs` process, asked a batch at a time."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            ["node", str(SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=SCRIPT.parent,
        )

    def refusals(self, asks: Iterable[Ask], documents: Mapping[str, list[dict[str, Any]]]) -> list[str]:
        """'action on resource: result' for every ask the simulator does not allow."""
        asks = list(asks)
        assert self._process.stdin is not None and self._process.stdout is not None
        for ask in asks:
            request = {
                "principal": f"arn:aws:iam::{ACCOUNT_ID}:role/{ask.role}",
                "action": ask.action,
                "resource": ask.resource,
                "accountId": ACCOUNT_ID,
                "context": dict(ask.context),
                "policies": documents[ask.role],
                "awsOwned": aws_owned(ask.resource),
            }
            self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        refused = []
        for ask in asks:
            line = self._process.stdout.readline()
            if not line:
                raise RuntimeError(f"{SCRIPT.name} stopped answering (exit code {self._process.poll()})")
            answer = json.loads(line)
            if answer["result"] != "Allowed":
                detail = json.dumps(answer.get("errors")) if answer["result"] == "Error" else ""
                refused.append(
                    f"{ask.role}: {ask.action} on {ask.resource}: {answer['result']} {detail}".rstrip()
                )
        return refused

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=30)
