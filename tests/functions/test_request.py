"""The pipeline request: validation names every bad field, placeholders, schema, secrets."""

from __future__ import annotations

from typing import Any

from functions.core.placeholders import NameValues, render, run_name_prefix
from functions.core.request_fields import render_ami_name
from functions.workflows.image_pipeline.request import (
    FieldError,
    PipelineRequest,
    parse_request,
    request_json_schema,
)
from tests.functions.conftest import ROLE, make_plan, request_document


def fields(result: PipelineRequest | list[FieldError]) -> set[str]:
    assert isinstance(result, list), "expected the request to be rejected"
    return {problem.field for problem in result}


def test_a_valid_request_parses_with_defaults() -> None:
    request = parse_request(request_document())
    assert isinstance(request, PipelineRequest)
    assert request.cleanup.delete_builder is True
    assert request.cleanup.delete_imported_image is False
    assert request.snapshot.mode == "agent"


def test_every_bad_field_is_named_at_once() -> None:
    raw: dict[str, Any] = request_document(
        pipeline="not a name!",
        builder={"instance_type": "stream.standard.large", "root_volume_gb": 100, "subnet_ids": ["vpc-1"]},
        snapshot={"mode": "sideways", "image_name": "{pipelin}-x", "timeout_minutes": 1},
        export={"role_arn": "not-an-arn"},
        cleanup={"delete_buildr": True},
    )
    raw["source"] = {"ami_id": "ami-0123456789abcdef0"}
    assert fields(parse_request(raw)) == {
        "pipeline",
        "source",
        "builder.root_volume_gb",
        "builder.subnet_ids.0",
        "snapshot.mode",
        "snapshot.image_name",
        "snapshot.timeout_minutes",
        "export.role_arn",
        "cleanup.delete_buildr",
    }


def test_source_needs_exactly_one_origin() -> None:
    both = request_document(
        source={"ami_id": "ami-0123456789abcdef0", "import_role_arn": ROLE, "image_name": "x"}
    )
    neither = request_document(source={})
    assert fields(parse_request(both)) == {"source"}
    assert fields(parse_request(neither)) == {"source"}


def test_import_settings_are_refused_for_an_existing_image() -> None:
    raw = request_document(source={"image_name": "base"}, **{"import": {"dry_run_first": True}})
    assert fields(parse_request(raw)) == {"(request)"}


def test_placeholders_render_from_the_run() -> None:
    values = NameValues(pipeline="golden", date="20260101", run="run-7")
    assert render("{pipeline}-{date}-{run}", values) == "golden-20260101-run-7"
    plan = make_plan(
        "run-7",
        snapshot={"image_name": "{pipeline}-v{date}"},
        export={"role_arn": ROLE, "ami_name": "ami/{run}"},
    )
    assert plan.image_name == "golden-v20260101"
    assert plan.ami_name == "ami/run-7"
    assert plan.builder_name == "golden-run-7-builder"
    assert plan.imported_image_name == "golden-run-7-imported"


def test_names_of_a_run_named_after_its_pipeline_and_date_do_not_repeat_them() -> None:
    # The run API names runs `<pipeline>-<date>-<time>-<hex>`.
    run_id = "golden-20260101-070058-09d9"
    plan = make_plan(run_id, export={"role_arn": ROLE})
    assert plan.image_name == plan.ami_name == run_id
    assert plan.builder_name == f"{run_id}-builder"
    assert plan.imported_image_name == f"{run_id}-imported"
    # The same run plans the same names on every retry, each holding the whole run id.
    assert make_plan(run_id, export={"role_arn": ROLE}) == plan
    values = NameValues(pipeline="golden", date="20260101", run=run_id)
    assert render("v2-{pipeline}-{run}", values) == f"v2-{run_id}"
    assert render("{date}-{run}", values) == f"20260101-{run_id}"  # only whole leading words are shared
    assert render("xgolden-{run}", values) == f"xgolden-{run_id}"


def test_names_of_a_long_pipeline_s_run_do_not_repeat_its_first_words() -> None:
    # The run API names the run after the pipeline's first words only: it keeps run ids short.
    run_id = "office-desktop-20260101-070058-09d9"
    values = NameValues(pipeline="office-desktop-updates", date="20260101", run=run_id)
    assert render("{pipeline}-{date}-{run}", values) == "office-desktop-updates-20260101-070058-09d9"
    assert render("{run}-builder", values) == f"{run_id}-builder"
    # A run id that merely starts like the pipeline shares nothing.
    other = NameValues(pipeline="office-desktop-updates", date="20260101", run="office-20260101-1")
    assert render("{pipeline}-{run}", other) == "office-desktop-updates-office-20260101-1"
    assert run_name_prefix("office-desktop-updates") == "office-desktop"
    assert run_name_prefix("abcdefghijklmnopqrstuvwxyz") == "abcdefghijklmnopqr"  # one long word


def test_an_exported_image_s_ami_does_not_repeat_the_date_and_run_the_image_name_holds() -> None:
    # A managed update's new image, exported by its chained run `<update run>-export`.
    image = "office-20261203-run-001-933b3451"
    ami = render_ami_name("{image}-{date}-{run}", image, "20261203", "run-001-933b3451-export")
    assert ami == "office-20261203-run-001-933b3451-export"
    # An image named otherwise keeps the whole template.
    assert render_ami_name("{image}-{date}-{run}", "app-one", "20261203", "r-1") == "app-one-20261203-r-1"


def test_a_name_too_long_after_placeholders_is_named() -> None:
    raw = request_document(snapshot={"image_name": "x" * 61 + "-{run}"})  # 102: AppStream allows 101
    result = parse_request(raw, NameValues(pipeline="golden", date="20260101", run="r" * 40))
    assert fields(result) == {"snapshot.image_name"}


def test_a_replayed_plan_validates_to_the_same_request() -> None:
    plan = make_plan(source={"image_name": "base"})
    assert type(plan).model_validate(plan.to_state()) == plan


def test_the_schema_describes_every_section() -> None:
    schema = request_json_schema()
    assert set(schema["properties"]) == {
        "pipeline",
        "source",
        "import",
        "builder",
        "snapshot",
        "distribute",
        "export",
        "cleanup",
        "waits",
    }
    assert set(schema["required"]) == {"pipeline", "source", "builder"}


def test_launch_parameters_are_masked_unless_revealed() -> None:
    catalog = [{"name": "App", "absolute_app_path": "C:\\app.exe", "launch_parameters": "--token hunter2"}]
    request = PipelineRequest.model_validate(request_document(**{"import": {"app_catalog": catalog}}))
    assert "hunter2" not in str(request.to_document())
    assert "hunter2" not in repr(request)
    assert (
        request.to_document(reveal_secrets=True)["import"]["app_catalog"][0]["launch_parameters"]
        == "--token hunter2"
    )


def test_errors_never_echo_a_secret() -> None:
    catalog = [{"name": "App", "absolute_app_path": "C:\\app.exe", "launch_parameters": "hunter2" * 200}]
    result = parse_request(request_document(**{"import": {"app_catalog": catalog}}))
    assert fields(result) == {"import.app_catalog.0.launch_parameters"}
    assert "hunter2" not in " ".join(str(problem) for problem in result)  # type: ignore[union-attr]


def test_agent_mode_needs_a_subnet_that_reaches_s3_and_manual_mode_does_not() -> None:
    no_subnet = {"instance_type": "stream.standard.large"}
    refused = parse_request(request_document(builder=no_subnet))
    assert fields(refused) == {"builder.subnet_ids"}
    assert isinstance(refused, list) and "reaches S3" in refused[0].message
    manual = parse_request(request_document(builder=no_subnet, snapshot={"mode": "manual"}))
    assert isinstance(manual, PipelineRequest)


def test_a_region_or_account_named_twice_is_refused_by_the_model_and_the_schema() -> None:
    twice = {"copy_to_regions": ["eu-west-1", "eu-west-1"], "share_with_accounts": ["111122223333"] * 2}
    assert fields(parse_request(request_document(distribute=twice))) == {
        "distribute.copy_to_regions",
        "distribute.share_with_accounts",
    }
    published = request_json_schema()["$defs"]["DistributeSettings"]["properties"]
    assert published["copy_to_regions"]["uniqueItems"] is True
    assert published["share_with_accounts"]["uniqueItems"] is True


def test_distributing_the_exported_ami_needs_an_export() -> None:
    distribute = {"copy_to_regions": ["eu-west-1"], "exported_ami": True}
    refused = parse_request(request_document(distribute=distribute, export=None))
    assert fields(refused) == {"distribute.exported_ami"}
    assert isinstance(refused, list) and "export.ami_name" in refused[0].message
    accepted = parse_request(request_document(distribute=distribute))
    assert isinstance(accepted, PipelineRequest) and accepted.distribute is not None
    assert accepted.distribute.exported_ami


def test_a_workspaces_image_is_imported_instead_of_an_ami() -> None:
    from functions.workflows.image_pipeline.imports import import_parameters

    byol = {"workspace_image_id": "wsi-0123456789abcdef"}
    request = parse_request(request_document(source=byol))
    assert isinstance(request, PipelineRequest) and request.imports
    params = import_parameters(make_plan(source=byol))
    assert params["WorkspaceImageId"] == "wsi-0123456789abcdef"
    assert "SourceAmiId" not in params and "IamRoleArn" not in params
    with_ami = request_document(source={**byol, "ami_id": "ami-0123456789abcdef0", "import_role_arn": ROLE})
    assert fields(parse_request(with_ami)) == {"source.workspace_image_id"}
    assert fields(parse_request(request_document(source={"workspace_image_id": "ws-1"}))) == {
        "source.workspace_image_id"
    }
    assert fields(parse_request(request_document(source={**byol, "image_name": "base"}))) == {"source"}


def test_an_image_shared_from_another_account_is_named_by_its_arn() -> None:
    from functions.workflows.image_pipeline.builders import builder_parameters

    arn = "arn:aws:appstream:us-east-1:111122223333:image/golden-base"
    plan = make_plan(source={"image_arn": arn})
    assert (plan.source_image_name, plan.imported_image_name, plan.request.imports) == (
        "golden-base",
        None,
        False,
    )
    params = builder_parameters(plan)
    assert params["ImageArn"] == arn and "ImageName" not in params
    assert fields(parse_request(request_document(source={"image_arn": arn, "image_name": "x"}))) == {"source"}
    assert fields(parse_request(request_document(source={"image_arn": arn, "import_role_arn": ROLE}))) == {
        "source"
    }
    fleet_arn = "arn:aws:appstream:us-east-1:111122223333:fleet/web"
    assert fields(parse_request(request_document(source={"image_arn": fleet_arn}))) == {"source.image_arn"}
    # AWS's own images have no account in their ARN.
    public = "arn:aws:appstream:us-east-1::image/AppStream-WinServer2022-09-08-2025"
    assert isinstance(parse_request(request_document(source={"image_arn": public})), PipelineRequest)
