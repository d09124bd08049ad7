"""The deployed role policy of each Lambda handler, read from the synthesized template.

The template names the runs table, jobs bucket, topic and event bus by logical id; the
local engine creates them under its own names (image_factory.local_engine.resources). Both
sides hand them to the handlers through the same environment variables (functions.core.names),
so a logical id is mapped to its local name through the variable the template sets from it.
Intrinsics are resolved with the local engine's partition, region and account.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from functions.core import names
from functions.workflows import LAMBDA_TASKS, WORKFLOWS
from image_factory.local_engine import resources
from image_factory.local_engine.engine import ACCOUNT_ID, DEFAULT_REGION

ROOT = Path(__file__).resolve().parents[2]
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": DEFAULT_REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::URLSuffix": "amazonaws.com",
}
# environment variable -> the local engine's name for the resource the template sets it from
LOCAL_NAMES = {
    names.ENV_RUNS_TABLE: resources.RUNS_TABLE,
    names.ENV_JOBS_BUCKET: resources.JOBS_BUCKET,
    names.ENV_NOTIFICATION_TOPIC: resources.NOTIFICATION_TOPIC,
    names.ENV_EVENT_BUS: resources.EVENT_BUS,
    # The run API's: each workflow's state machine.
    **{names.env_workflow_state_machine(name): resources.state_machine_name(name) for name in WORKFLOWS},
}
_PREFIX = f"arn:aws:{{}}:{DEFAULT_REGION}:{ACCOUNT_ID}:"
_ARN = {  # resource type -> (ARN of a local name, what Ref returns)
    "AWS::DynamoDB::Table": (lambda n: _PREFIX.format("dynamodb") + f"table/{n}", "name"),
    "AWS::S3::Bucket": (lambda n: f"arn:aws:s3:::{n}", "name"),
    "AWS::SNS::Topic": (lambda n: _PREFIX.format("sns") + n, "arn"),
    "AWS::Events::EventBus": (lambda n: _PREFIX.format("events") + f"event-bus/{n}", "name"),
    "AWS::StepFunctions::StateMachine": (lambda n: _PREFIX.format("states") + f"stateMachine:{n}", "arn"),
    "AWS::Lambda::Function": (lambda n: _PREFIX.format("lambda") + f"function:{n}", "name"),
    "AWS::SQS::Queue": (lambda n: _PREFIX.format("sqs") + n, "name"),
}
# Resources no local run creates (the trigger starters, the dead-letter queue) but whose ARNs the
# roles that start runs name: they are named by their logical id.
_NAMED_BY_LOGICAL_ID = ("AWS::StepFunctions::StateMachine", "AWS::SQS::Queue")
# The local engine creates each task function under its task's name.
_TASK_NAMES = {task.handler: task.name for task in LAMBDA_TASKS}
SOURCES = ("stacks", "functions/workflows/__init__.py", "functions/core/names.py", "cdk.json")


def source_hash() -> str:
    """Changes whenever anything that shapes the template changes (the cache key of a synth)."""
    digest = hashlib.sha256()
    for source in SOURCES:
        path = ROOT / source
        for file in sorted(path.rglob("*") if path.is_dir() else [path]):
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(ROOT)).encode() + file.read_bytes())
    return digest.hexdigest()[:16]


def synthesize(outdir: Path) -> dict[str, Any]:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from image_factory.local_engine.resources import STAGE
    from stacks.application import create_app, stack_name

    # The example deployment: its roles are the ones the example requests name.
    context = {
        "stage": STAGE,
        "config": "stacks/pipelines.example.yaml",
        "allow_placeholders": True,
        "aws:cdk:bundling-stacks": [],
    }
    app = create_app(context=context, outdir=str(outdir))
    app.synth()
    template: dict[str, Any] = json.loads((outdir / f"{stack_name(STAGE)}.template.json").read_text())
    return template


class Resolver:
    def __init__(self, template: dict[str, Any]) -> None:
        self.resources: dict[str, Any] = template["Resources"]
        self.local: dict[str, str] = {}  # logical id -> local name
        for resource in self.resources.values():
            variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
            for variable, value in variables.items():
                if variable in LOCAL_NAMES and isinstance(value, dict) and "Ref" in value:
                    self.local[value["Ref"]] = LOCAL_NAMES[variable]
        for logical, resource in self.resources.items():
            handler = resource.get("Properties", {}).get("Handler")
            if resource["Type"] == "AWS::Lambda::Function" and handler in _TASK_NAMES:
                self.local[logical] = _TASK_NAMES[handler]

    def _reference(self, logical: str, attribute: str | None) -> str:
        if logical in PSEUDO:
            return PSEUDO[logical]
        kind = self.resources.get(logical, {}).get("Type", "")
        if kind in _ARN and (logical in self.local or kind in _NAMED_BY_LOGICAL_ID):
            arn, ref = _ARN[kind]
            name = self.local.get(logical, logical)
            if attribute == "Name":
                return name
            return arn(name) if attribute == "Arn" or ref == "arn" else name
        # Not a resource the local engine creates (log groups, the KMS key): it stays visibly unresolved.
        return f"unresolved:{kind}:{logical}" + (f".{attribute}" if attribute else "")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self._reference(value["Ref"], None)
        if "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            return self._reference(logical, attribute)
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(self.resolve(part)) for part in parts)
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            return re.sub(
                r"\$\{([^}.]+)(?:\.([^}]+))?\}", lambda m: self._reference(m.group(1), m.group(2)), text
            )
        if "Fn::Split" in value:
            separator, text = value["Fn::Split"]
            return str(self.resolve(text)).split(separator)
        if "Fn::Select" in value:
            index, items = value["Fn::Select"]
            return self.resolve(items)[int(index)]
        unknown = [key for key in value if key.startswith("Fn::")]
        if unknown:
            # Left as it is, an intrinsic would read as a pattern no real ARN has (or a broken one).
            raise NotImplementedError(f"intrinsic {unknown[0]} is not resolved: {value}")
        return {key: self.resolve(item) for key, item in value.items()}

    def role_policies(self, role: str) -> list[dict[str, Any]]:
        """The resolved policy documents of role `role` (a logical id): inline and attached."""
        documents = [
            policy["PolicyDocument"] for policy in self.resources[role]["Properties"].get("Policies", [])
        ]
        for resource in self.resources.values():
            attached = {"Ref": role} in resource.get("Properties", {}).get("Roles", [])
            if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and attached:
                documents.append(resource["Properties"]["PolicyDocument"])
        if self.resources[role]["Properties"].get("ManagedPolicyArns"):
            # AWS managed policies are not in the template: evaluating without them would refuse wrongly.
            raise NotImplementedError(f"role {role} has managed policies the template does not carry")
        return [self.resolve(document) for document in documents]

    def policies_by_state_machine(self) -> dict[str, tuple[str, list[dict[str, Any]]]]:
        """local state machine name -> (role logical id, its resolved policy documents)

        A deployed state machine is matched to its workflow by the Comment of its definition,
        which is the workflow's ASL file's; the trigger starters, which no local run executes,
        match none and are left out.
        """
        comments = {json.loads(w.definition.read_text())["Comment"]: name for name, w in WORKFLOWS.items()}
        result = {}
        for resource in self.resources.values():
            if resource["Type"] != "AWS::StepFunctions::StateMachine":
                continue
            definition = json.loads(self.resolve(resource["Properties"]["DefinitionString"]))
            workflow = comments.get(definition.get("Comment"))
            if workflow is not None:
                role = resource["Properties"]["RoleArn"]["Fn::GetAtt"][0]
                result[resources.state_machine_name(workflow)] = (role, self.role_policies(role))
        return result

    def policies_by_handler(self) -> dict[str, tuple[str, list[dict[str, Any]]]]:
        """handler dotted path -> (role logical id, its resolved policy documents)"""
        result = {}
        for resource in self.resources.values():
            if resource["Type"] == "AWS::Lambda::Function":
                role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
                result[resource["Properties"]["Handler"]] = (role, self.role_policies(role))
        return result
