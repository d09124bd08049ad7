"""Each workflow's task functions run under a role holding only what that workflow's own tasks call.

Read from the synthesized template: a workflow's state machine names its functions (its
definition substitutions), each function names its role, and the policies attached to a role
name what it may do. What the tasks of each workflow call in AppStream, EC2 and IAM is written
out here from the code (functions/workflows/*), apart from the stack's own
list, so a grant given to the wrong workflow's role fails here; that the roles allow every call
the tasks make is what the permission-checked end-to-end runs prove (tests/permissions).
"""

from __future__ import annotations

from typing import Any

import pytest

from functions.workflows import WORKFLOWS, get_workflow
from stacks import asl
from tests.stacks.conftest import Synth
from tests.stacks.test_template import EXAMPLE

_DESCRIBE = {"appstream:DescribeImages", "appstream:ListTagsForResource"}
_EXPORT = {
    "appstream:CreateExportImageTask",
    "appstream:GetExportImageTask",
    "appstream:ListExportImageTasks",
}
_REAP = {"appstream:StopImageBuilder", "appstream:DeleteImageBuilder", "appstream:DeleteImage"}
FLEET = {"appstream:UpdateFleet", "appstream:StopFleet", "appstream:StartFleet"}

# workflow -> the AppStream, EC2 and IAM actions its own tasks' calls need
CALLED: dict[str, set[str]] = {
    # preflight (the source image or AMI, the roles, a dry-run import), import, builder, snapshot,
    # distribution (copies tagged in their regions, shares, and their undoing), export, the
    # exported AMI's copies (tagged as CopyImage makes them), launch permissions and their undoing,
    # and the cleanup of what the run created; TagResource: tags given on create, and the copies' tags
    "image-pipeline": {
        *_DESCRIBE,
        "appstream:CopyImage",
        "appstream:UpdateImagePermissions",
        "appstream:DeleteImagePermissions",
        "appstream:DescribeImageBuilders",
        "appstream:CreateImportedImage",
        "appstream:CreateImageBuilder",
        "appstream:TagResource",
        *_EXPORT,
        *_REAP,
        "ec2:DescribeImages",
        "ec2:CopyImage",
        "ec2:CreateTags",
        "ec2:ModifyImageAttribute",
        "ec2:DeregisterImage",
        "ec2:DeleteSnapshot",
        "iam:PassRole",
    },
    # select images (by name, or by tags), export each to an AMI with the export role
    "export-backup": {*_DESCRIBE, *_EXPORT, "iam:PassRole"},
    # dry run, create the updated image (tagged), wait for it, delete it when the update failed
    "managed-update": {
        *_DESCRIBE,
        "appstream:CreateUpdatedImage",
        "appstream:TagResource",
        "appstream:DeleteImage",
    },
    # read the fleet and its image, stop, point at the new image, start; and back
    "fleet-rollout": {*_DESCRIBE, "appstream:DescribeFleets", *FLEET},
    # list images, builders, fleets and exported AMIs; delete what the policy selects
    "retention": {
        *_DESCRIBE,
        "appstream:DescribeImageBuilders",
        "appstream:DescribeFleets",
        *_REAP,
        "ec2:DescribeImages",
        "ec2:DeregisterImage",
        "ec2:DeleteSnapshot",
    },
}
# workflow -> the runs table's actions its own tasks call: every task reads and updates its run's
# and steps' items and queries them (functions/core/records.py); the builder slots put and delete
# items (image_pipeline/slots.py), and so do an export backup's last-export records
# (export_backup/backup_records.py: a put).
_RECORDS = {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"}
TABLE_CALLED: dict[str, set[str]] = {
    "image-pipeline": {*_RECORDS, "dynamodb:PutItem", "dynamodb:DeleteItem"},
    "export-backup": {*_RECORDS, "dynamodb:PutItem"},
    "managed-update": _RECORDS,
    "fleet-rollout": _RECORDS,
    "retention": _RECORDS,
}
# The shared tasks first record a run (RecordRun, or RecordFailure of a rejected run): a put.
SHARED_TABLE_CALLED = {*_RECORDS, "dynamodb:PutItem"}
# workflow -> the service roles (config.ROLE_KINDS) its tasks hand to AppStream
PASSES = {"image-pipeline": {"import", "builder", "export"}, "export-backup": {"export"}}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _functions(synth: Synth, workflow: str) -> set[str]:
    """The logical ids of the functions the workflow's state machine invokes."""
    definition = asl.read_definition(get_workflow(workflow).definition)
    (machine,) = [
        m["Properties"]
        for m in synth.resources("AWS::StepFunctions::StateMachine").values()
        if m["Properties"].get("DefinitionString") == definition
    ]
    functions = synth.resources("AWS::Lambda::Function")
    return {
        value["Fn::GetAtt"][0]
        for value in machine.get("DefinitionSubstitutions", {}).values()
        if isinstance(value, dict) and "Fn::GetAtt" in value and value["Fn::GetAtt"][0] in functions
    }


def _role(synth: Synth, function: str) -> str:
    role: str = synth.resources("AWS::Lambda::Function")[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    return role


def _workflow_roles(synth: Synth) -> tuple[dict[str, str], set[str]]:
    """workflow -> the one role of the functions only it invokes; and the roles of shared functions."""
    invoked = {workflow: _functions(synth, workflow) for workflow in WORKFLOWS}
    own: dict[str, str] = {}
    shared: set[str] = set()
    for workflow, functions in invoked.items():
        others = set().union(*(f for w, f in invoked.items() if w != workflow))
        roles = {_role(synth, function) for function in functions - others}
        assert len(roles) == 1, f"{workflow}'s own tasks run under one role: {roles}"
        own[workflow] = roles.pop()
        shared |= {_role(synth, function) for function in functions & others}
    return own, shared


def _statements(synth: Synth, role: str) -> list[dict[str, Any]]:
    documents = [
        policy["Properties"]["PolicyDocument"]
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
    ]
    documents += [p["PolicyDocument"] for p in synth.raw["Resources"][role]["Properties"].get("Policies", [])]
    return [statement for document in documents for statement in _as_list(document["Statement"])]


def _actions(synth: Synth, role: str, *prefixes: str) -> set[str]:
    return {
        action
        for statement in _statements(synth, role)
        for action in _as_list(statement["Action"])
        if action.startswith(prefixes)
    }


def test_no_two_workflows_tasks_share_a_role(synth: Synth) -> None:
    own, shared = _workflow_roles(synth)
    assert len(set(own.values())) == len(WORKFLOWS), own
    assert not shared & set(own.values()), "a shared task runs under one workflow's own role"
    functions = synth.resources("AWS::Lambda::Function")
    for workflow, role in own.items():
        users = {f for f in functions if _role(synth, f) == role}
        assert users <= _functions(synth, workflow), f"{role} serves functions {workflow} does not invoke"


@pytest.mark.parametrize("workflow", list(WORKFLOWS))
def test_a_workflows_role_grants_exactly_what_its_own_tasks_call(synth: Synth, workflow: str) -> None:
    role = _workflow_roles(synth)[0][workflow]
    granted = _actions(synth, role, "appstream:", "ec2:", "iam:")
    assert not granted - CALLED[workflow], f"{workflow}: none of its tasks calls {granted - CALLED[workflow]}"
    assert not CALLED[workflow] - granted, f"{workflow}: its tasks call {CALLED[workflow] - granted}"


@pytest.mark.parametrize("workflow", list(WORKFLOWS))
def test_a_workflows_role_uses_the_runs_table_only_as_its_tasks_do(synth: Synth, workflow: str) -> None:
    own, shared = _workflow_roles(synth)
    assert _actions(synth, own[workflow], "dynamodb:") == TABLE_CALLED[workflow]
    for role in shared:
        assert _actions(synth, role, "dynamodb:") == SHARED_TABLE_CALLED, role


@pytest.mark.parametrize("workflow", list(WORKFLOWS))
def test_a_workflow_passes_only_the_roles_its_tasks_hand_to_appstream(synth: Synth, workflow: str) -> None:
    role = _workflow_roles(synth)[0][workflow]
    passed = {
        resource
        for statement in _statements(synth, role)
        if "iam:PassRole" in _as_list(statement["Action"])
        for resource in _as_list(statement["Resource"])
    }
    assert passed == {EXAMPLE.roles.arn(kind) for kind in PASSES.get(workflow, ())}


def test_the_examples_of_what_a_role_cannot_do(synth: Synth) -> None:
    own, shared = _workflow_roles(synth)
    rollout = _actions(synth, own["fleet-rollout"], "appstream:", "iam:")
    assert not {"appstream:CreateImageBuilder", "appstream:CreateImportedImage", "iam:PassRole"} & rollout
    assert not FLEET & _actions(synth, own["export-backup"], "appstream:")
    assert not FLEET & _actions(synth, own["image-pipeline"], "appstream:")
    for workflow in ("export-backup", "managed-update", "fleet-rollout"):
        assert not _actions(synth, own[workflow], "ec2:"), workflow
    assert shared, "the lifecycle workflows share their run-record tasks"
    for role in shared:
        assert not _actions(synth, role, "appstream:", "ec2:", "iam:", "s3:", "sns:"), role


def test_only_the_pipelines_tasks_use_the_jobs_bucket_and_the_topic(synth: Synth) -> None:
    own, _ = _workflow_roles(synth)
    for workflow, role in own.items():
        used = bool(_actions(synth, role, "s3:", "sns:", "kms:"))
        assert used == (workflow == "image-pipeline"), workflow
