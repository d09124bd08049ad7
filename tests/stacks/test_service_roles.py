"""A plain synth (no `-c config`) deploys anywhere: it creates the AppStream roles and starts nothing.

The roles' policies are the API reference's (stacks/service_roles.py cites it); the README prints
them, and a copy of the example that still holds its placeholder values is refused by field.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import ManualArgs, lint

from stacks.application import create_app
from stacks.bundling import PROJECT_ROOT
from stacks.config import ConfigError, load_config
from stacks.config_placeholders import placeholder_problems
from stacks.service_roles import other_stage_roles, permission_policies, readme_policies
from tests.stacks.judges import CFN_LINT_IGNORED
from tests.stacks.test_config import EXAMPLE

KINDS = ("import", "builder", "export")


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The template of `npx cdk synth` with cdk.json's context only (bundling skipped)."""
    outdir = tmp_path_factory.mktemp("default")
    create_app(context={"aws:cdk:bundling-stacks": []}, outdir=str(outdir)).synth()
    assert json.loads((outdir / "validation-report.json").read_text())["pluginReports"] == []
    template: dict[str, Any] = json.loads((outdir / "ImageFactory-dev.template.json").read_text())
    return template


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == kind}


def _service_roles(template: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """kind -> (logical id, properties) of the roles AppStream assumes."""
    found = {}
    for key, role in _of_type(template, "AWS::IAM::Role").items():
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        if statement["Principal"] == {"Service": "appstream.amazonaws.com"}:
            name = json.dumps(role["Properties"]["RoleName"])
            found[next(kind for kind in KINDS if name.endswith(f'-{kind}"]]}}'))] = (key, role["Properties"])
    return found


def test_the_default_stack_creates_the_three_roles_appstream_assumes(default: dict[str, Any]) -> None:
    roles = _service_roles(default)
    assert sorted(roles) == sorted(KINDS)
    for kind, (key, role) in roles.items():
        assert default["Outputs"][f"{kind.title()}RoleArn"]["Value"] == {"Fn::GetAtt": [key, "Arn"]}
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
        # Named after stage and region: a stored request can write the ARN, two stages never collide.
        assert role["RoleName"] == {
            "Fn::Join": ["", ["ImageFactory-dev-", {"Ref": "AWS::Region"}, f"-{kind}"]]
        }


def test_import_and_export_roles_hold_exactly_the_documented_permissions(default: dict[str, Any]) -> None:
    roles = _service_roles(default)
    for kind in ("import", "export"):
        (policy,) = roles[kind][1]["Policies"]
        expected = permission_policies("${AWS::Partition}", "${AWS::Region}")[kind]["Statement"]
        assert _render(policy["PolicyDocument"]["Statement"]) == expected
    assert "Policies" not in roles["builder"][1]
    # The builder's only grant is the agent's job documents, attached to the created role.
    builder = {"Ref": roles["builder"][0]}
    (agent,) = [
        p["Properties"]
        for p in _of_type(default, "AWS::IAM::ManagedPolicy").values()
        if builder in p["Properties"].get("Roles", [])
    ]
    actions = {a for s in agent["PolicyDocument"]["Statement"] for a in _as_list(s["Action"])}
    assert actions == {"s3:GetObject", "s3:PutObject", "s3:ListBucket"}


def test_the_workflow_may_pass_exactly_the_created_roles(default: dict[str, Any]) -> None:
    roles = _service_roles(default)
    arns = sorted(json.dumps({"Fn::GetAtt": [roles[kind][0], "Arn"]}) for kind in KINDS)
    passes = [
        statement
        for policy in _of_type(default, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "iam:PassRole"
    ]
    assert passes
    passed = set()
    for statement in passes:  # each workflow's role passes the roles its tasks hand to AppStream
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        passed |= {json.dumps(arn) for arn in resources}
    assert sorted(passed) == arns
    # The bucket policy names the builder role the same template creates, so S3 accepts it.
    (bucket_policy,) = [
        p
        for p in _of_type(default, "AWS::S3::BucketPolicy").values()
        if "BuilderReadsItsJobs" in json.dumps(p)
    ]
    reads = next(
        s
        for s in bucket_policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "BuilderReadsItsJobs"
    )
    assert reads["Principal"] == {"AWS": {"Fn::GetAtt": [roles["builder"][0], "Arn"]}}


def test_the_default_stack_starts_nothing_and_reserves_no_concurrency(default: dict[str, Any]) -> None:
    assert _of_type(default, "AWS::Scheduler::Schedule") == {}
    rules = _of_type(default, "AWS::Events::Rule").values()
    assert not [rule for rule in rules if "aws.imagebuilder" in json.dumps(rule)]
    for function in _of_type(default, "AWS::Lambda::Function").values():
        assert "ReservedConcurrentExecutions" not in function["Properties"]
    # Deployable in any account and region: nothing names either.
    assert "Environment" not in json.dumps(default.get("Metadata", {}))
    assert [
        str(m) for m in lint(json.dumps(default), config=ManualArgs(ignore_checks=CFN_LINT_IGNORED))
    ] == []


def test_a_copy_of_the_example_with_its_placeholders_is_refused_by_field() -> None:
    with pytest.raises(
        ConfigError, match=r"pipelines\.example\.yaml: roles\.import_role_arn: .*123456789012"
    ):
        create_app(context={"config": "stacks/pipelines.example.yaml"})
    fields = [problem.split(":")[0] for problem in placeholder_problems(load_config(EXAMPLE))]
    assert {
        "roles.builder_role_arn",
        "pipelines[0].image_builder.image_pipeline_arn",
        "pipelines[0].request.source.ami_id",
        "pipelines[0].request.builder.subnet_ids[0]",
        "pipelines[0].request.export.role_arn",
        "lifecycle.export_backups[0].request.role_arn",
    } <= set(fields)


def test_an_example_subnet_is_a_placeholder_too(tmp_path: Path) -> None:
    document = {"pipelines": [_pipeline({"subnet_ids": ["subnet-0123456789abcdef0"]})]}
    config = load_config(_write(tmp_path, document))
    assert [p.split(":")[0] for p in placeholder_problems(config)] == [
        "pipelines[0].request.builder.subnet_ids[0]"
    ]


def test_a_stored_request_may_name_a_role_the_stack_creates(tmp_path: Path) -> None:
    created = "arn:aws:iam::111122223333:role/ImageFactory-prod-eu-west-1-builder"
    load_config(_write(tmp_path, {"pipelines": [_pipeline({"iam_role_arn": created})]}))
    # ...but not once the configuration names its own builder role.
    own = {"builder_role_arn": "arn:aws:iam::111122223333:role/builders"}
    with pytest.raises(ConfigError, match=r"pipelines\[0\]\.request\.builder\.iam_role_arn: role"):
        load_config(_write(tmp_path, {"roles": own, "pipelines": [_pipeline({"iam_role_arn": created})]}))


def test_the_readme_prints_the_policies_the_stack_creates() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    printed = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", readme, re.DOTALL)]
    for name, policy in readme_policies().items():
        assert policy in printed, f"README: print the {name} policy of stacks/service_roles.py"


def test_each_action_accepts_the_resource_types_it_is_granted_on() -> None:
    data = json.loads(resources.files("cfnlint").joinpath("data/AdditionalSpecs/Policies.json").read_text())
    for policy in permission_policies("aws", "eu-west-1").values():
        for statement in policy["Statement"]:
            for action in _as_list(statement["Action"]):
                published = data["ec2"]["Actions"][action.split(":")[1].lower()].get("Resources", [])
                for resource in _as_list(statement["Resource"]):
                    kind = "*" if resource == "*" else resource.split("::")[1].split("/")[0]
                    assert (kind == "*") == (published == []) and (kind == "*" or kind in published), action


def _pipeline(builder: dict[str, Any]) -> dict[str, Any]:
    request = yaml.safe_load(EXAMPLE.read_text())["pipelines"][0]["request"]
    request["source"] = {"image_name": "AppStream-WinServer2022-01-01-2026"}
    request["builder"] = {
        "instance_type": "stream.standard.large",
        "subnet_ids": ["subnet-0a1b2c3d4e5f60718"],
        **builder,
    }
    request.pop("export")
    request.pop("import")
    request["snapshot"].pop("scripts")
    return {"name": "kiosk", "request": request}


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "pipelines.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _render(value: Any) -> Any:
    """A template fragment with `Fn::Join`/`Ref` written as `${Name}` (how the module's policies read)."""
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(_render(part) for part in value["Fn::Join"][1])
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return "${" + value["Ref"] + "}"
    if isinstance(value, dict):
        return {key: _render(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item) for item in value]
    return value


def test_cdk_deploy_with_the_example_stops_with_the_field(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import app
    from stacks import application

    context = {**application.cdk_json_context(), "config": "stacks/pipelines.example.yaml"}
    monkeypatch.setattr(application, "cdk_json_context", lambda: context)
    assert app.main() == 1
    error = capsys.readouterr().err
    assert (
        error.startswith("configuration error: ")
        and "roles.export_role_arn: arn:aws:iam::123456789012" in error
    )


def test_a_stored_request_naming_another_stages_role_is_refused(tmp_path: Path) -> None:
    other = "arn:aws:iam::111122223333:role/ImageFactory-prod-eu-west-1-builder"
    config = load_config(_write(tmp_path, {"pipelines": [_pipeline({"iam_role_arn": other})]}))
    assert list(other_stage_roles(config, "prod", "eu-west-1")) == []
    assert list(other_stage_roles(config, "prod", None)) == []
    for stage, region in (("dev", None), ("prod", "us-east-1")):
        (problem,) = other_stage_roles(config, stage, region)
        assert problem.startswith(
            "pipelines[0].request.builder.iam_role_arn: ImageFactory-prod-eu-west-1-builder"
        )
    with pytest.raises(ConfigError, match=r"pipelines\[0\]\.request\.builder\.iam_role_arn"):
        create_app(context={"stage": "dev", "config": str(tmp_path / "pipelines.yaml")})
