"""Every emulated operation, called through boto3 in-process, answers what the model says it returns.

One recipe per operation the core registers: it sets up what the call needs, makes
the call with a real boto3 client, and returns the parsed response. The wire
encoder refuses members the model does not define; here botocore parses the
response and its validator checks the result against the output shape (types,
required members, minimums). An operation the core emulates without a recipe fails
the suite, so new operations cannot go unchecked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.validate import ParamValidator

from appstream_emulator import Emulator, Scenario
from appstream_emulator.clock import ManualClock
from appstream_emulator.inprocess import emulated_appstream
from appstream_emulator.operations import OPERATIONS
from appstream_emulator.service_model import service_model

AMI = "ami-0123456789abcdef0"
ROLE = "arn:aws:iam::123456789012:role/AppStreamImageFactory"
HOURS = 3600
VPC = {
    "SubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "SecurityGroupIds": ["sg-0123456789abcdef0"],
}
# An app block builder with an app block: the emulator has no app blocks, so only a scenario gives one.
STARTABLE = "abb-with-block"

Client = Any  # a boto3 AppStream client
Recipe = Callable[[Client, ManualClock], dict[str, Any]]
RECIPES: dict[str, Recipe] = {}


def recipe(operation: str) -> Callable[[Recipe], Recipe]:
    def register(function: Recipe) -> Recipe:
        RECIPES[operation] = function
        return function

    return register


@pytest.fixture
def appstream_emulator(appstream_clock: ManualClock) -> Iterator[Emulator]:
    """The plugin's emulator, with one app block builder that has an app block and so can start."""
    scenario = Scenario.model_validate({"app_block_builders": [{"name": STARTABLE, "app_block": "packager"}]})
    with emulated_appstream(Emulator(scenario, clock=appstream_clock, region="us-east-1")) as emulator:
        yield emulator


# --- set-ups -------------------------------------------------------------------------------


def available_image(client: Client, clock: ManualClock, name: str = "base") -> dict[str, Any]:
    client.create_imported_image(Name=name, SourceAmiId=AMI, IamRoleArn=ROLE, Tags={"team": "images"})
    clock.advance(6 * HOURS)
    image: dict[str, Any] = client.describe_images(Names=[name])["Images"][0]
    assert image["State"] == "AVAILABLE", image
    return image


def running_builder(client: Client, clock: ManualClock, name: str = "builder") -> dict[str, Any]:
    available_image(client, clock)
    client.create_image_builder(Name=name, ImageName="base", InstanceType="stream.standard.medium")
    clock.advance(2 * HOURS)
    builder: dict[str, Any] = client.describe_image_builders(Names=[name])["ImageBuilders"][0]
    assert builder["State"] == "RUNNING", builder
    return builder


def stopped_builder(client: Client, clock: ManualClock) -> dict[str, Any]:
    running_builder(client, clock)
    client.stop_image_builder(Name="builder")
    clock.advance(2 * HOURS)
    builder: dict[str, Any] = client.describe_image_builders(Names=["builder"])["ImageBuilders"][0]
    assert builder["State"] == "STOPPED", builder
    return builder


def fleet(client: Client, clock: ManualClock, name: str = "fleet") -> dict[str, Any]:
    available_image(client, clock)
    created: dict[str, Any] = client.create_fleet(
        Name=name,
        ImageName="base",
        InstanceType="stream.standard.medium",
        FleetType="ON_DEMAND",
        ComputeCapacity={"DesiredInstances": 1},
    )["Fleet"]
    return created


def running_fleet(client: Client, clock: ManualClock) -> dict[str, Any]:
    fleet(client, clock)
    client.start_fleet(Name="fleet")
    clock.advance(2 * HOURS)
    running: dict[str, Any] = client.describe_fleets(Names=["fleet"])["Fleets"][0]
    assert running["State"] == "RUNNING", running
    return running


def app_block_builder(client: Client, name: str = "abb") -> dict[str, Any]:
    created: dict[str, Any] = client.create_app_block_builder(
        Name=name, Platform="WINDOWS_SERVER_2019", InstanceType="stream.standard.large", VpcConfig=VPC
    )["AppBlockBuilder"]
    return created


def running_app_block_builder(client: Client, clock: ManualClock) -> dict[str, Any]:
    client.start_app_block_builder(Name=STARTABLE)
    clock.advance(2 * HOURS)
    running: dict[str, Any] = client.describe_app_block_builders(Names=[STARTABLE])["AppBlockBuilders"][0]
    assert running["State"] == "RUNNING", running
    return running


def export_task(client: Client, clock: ManualClock) -> str:
    available_image(client, clock)
    task_id: str = client.create_export_image_task(ImageName="base", AmiName="base-ami", IamRoleArn=ROLE)[
        "ExportImageTask"
    ]["TaskId"]
    return task_id


# --- one recipe per operation ------------------------------------------------------------------


@recipe("CreateImportedImage")
def _create_imported_image(client: Client, clock: ManualClock) -> dict[str, Any]:
    return client.create_imported_image(
        Name="imported",
        SourceAmiId=AMI,
        IamRoleArn=ROLE,
        Description="an imported image",
        RuntimeValidationConfig={"IntendedInstanceType": "stream.standard.medium"},
        AgentSoftwareVersion="CURRENT_LATEST",
        AppCatalogConfig=[{"Name": "notepad", "AbsoluteAppPath": "C:\\Windows\\notepad.exe"}],
    )


@recipe("DescribeImages")
def _describe_images(client: Client, clock: ManualClock) -> dict[str, Any]:
    available_image(client, clock)
    return client.describe_images(MaxResults=5)


@recipe("DeleteImage")
def _delete_image(client: Client, clock: ManualClock) -> dict[str, Any]:
    available_image(client, clock)
    return client.delete_image(Name="base")


@recipe("CreateUpdatedImage")
def _create_updated_image(client: Client, clock: ManualClock) -> dict[str, Any]:
    available_image(client, clock)
    return client.create_updated_image(existingImageName="base", newImageName="base-updated")


@recipe("CopyImage")
def _copy_image(client: Client, clock: ManualClock) -> dict[str, Any]:
    available_image(client, clock)
    return client.copy_image(
        SourceImageName="base", DestinationImageName="base", DestinationRegion="eu-west-1"
    )


SHARED_ACCOUNT = "111122223333"


def shared_image(client: Client, clock: ManualClock) -> None:
    available_image(client, clock)
    client.update_image_permissions(
        Name="base", SharedAccountId=SHARED_ACCOUNT, ImagePermissions={"allowFleet": True}
    )


@recipe("UpdateImagePermissions")
def _update_image_permissions(client: Client, clock: ManualClock) -> dict[str, Any]:
    available_image(client, clock)
    return client.update_image_permissions(
        Name="base", SharedAccountId=SHARED_ACCOUNT, ImagePermissions={"allowImageBuilder": True}
    )


@recipe("DescribeImagePermissions")
def _describe_image_permissions(client: Client, clock: ManualClock) -> dict[str, Any]:
    shared_image(client, clock)
    return client.describe_image_permissions(Name="base", MaxResults=1)


@recipe("DeleteImagePermissions")
def _delete_image_permissions(client: Client, clock: ManualClock) -> dict[str, Any]:
    shared_image(client, clock)
    return client.delete_image_permissions(Name="base", SharedAccountId=SHARED_ACCOUNT)


@recipe("CreateImageBuilder")
def _create_image_builder(client: Client, clock: ManualClock) -> dict[str, Any]:
    available_image(client, clock)
    return client.create_image_builder(
        Name="builder",
        ImageName="base",
        InstanceType="stream.standard.medium",
        RootVolumeConfig={"VolumeSizeInGb": 300},
        Tags={"team": "images"},
    )


@recipe("DescribeImageBuilders")
def _describe_image_builders(client: Client, clock: ManualClock) -> dict[str, Any]:
    running_builder(client, clock)
    return client.describe_image_builders()


@recipe("StartImageBuilder")
def _start_image_builder(client: Client, clock: ManualClock) -> dict[str, Any]:
    stopped_builder(client, clock)
    return client.start_image_builder(Name="builder")


@recipe("StopImageBuilder")
def _stop_image_builder(client: Client, clock: ManualClock) -> dict[str, Any]:
    running_builder(client, clock)
    return client.stop_image_builder(Name="builder")


@recipe("DeleteImageBuilder")
def _delete_image_builder(client: Client, clock: ManualClock) -> dict[str, Any]:
    stopped_builder(client, clock)
    return client.delete_image_builder(Name="builder")


@recipe("CreateImageBuilderStreamingURL")
def _create_image_builder_streaming_url(client: Client, clock: ManualClock) -> dict[str, Any]:
    running_builder(client, clock)
    return client.create_image_builder_streaming_url(Name="builder", Validity=3600)


@recipe("CreateExportImageTask")
def _create_export_image_task(client: Client, clock: ManualClock) -> dict[str, Any]:
    available_image(client, clock)
    return client.create_export_image_task(
        ImageName="base", AmiName="base-ami", IamRoleArn=ROLE, AmiDescription="exported"
    )


@recipe("GetExportImageTask")
def _get_export_image_task(client: Client, clock: ManualClock) -> dict[str, Any]:
    task_id = export_task(client, clock)
    clock.advance(6 * HOURS)
    return client.get_export_image_task(TaskId=task_id)


@recipe("ListExportImageTasks")
def _list_export_image_tasks(client: Client, clock: ManualClock) -> dict[str, Any]:
    export_task(client, clock)
    return client.list_export_image_tasks(Filters=[{"Name": "state", "Values": ["EXPORTING"]}])


@recipe("CreateFleet")
def _create_fleet(client: Client, clock: ManualClock) -> dict[str, Any]:
    available_image(client, clock)
    return client.create_fleet(
        Name="fleet",
        ImageName="base",
        InstanceType="stream.standard.medium",
        FleetType="ON_DEMAND",
        ComputeCapacity={"DesiredInstances": 2},
        RootVolumeConfig={"VolumeSizeInGb": 250},
    )


@recipe("DescribeFleets")
def _describe_fleets(client: Client, clock: ManualClock) -> dict[str, Any]:
    running_fleet(client, clock)
    return client.describe_fleets()


@recipe("UpdateFleet")
def _update_fleet(client: Client, clock: ManualClock) -> dict[str, Any]:
    fleet(client, clock)
    return client.update_fleet(Name="fleet", DisplayName="Fleet", AttributesToDelete=["VOLUME_CONFIGURATION"])


@recipe("StartFleet")
def _start_fleet(client: Client, clock: ManualClock) -> dict[str, Any]:
    fleet(client, clock)
    return client.start_fleet(Name="fleet")


@recipe("StopFleet")
def _stop_fleet(client: Client, clock: ManualClock) -> dict[str, Any]:
    running_fleet(client, clock)
    return client.stop_fleet(Name="fleet")


@recipe("DeleteFleet")
def _delete_fleet(client: Client, clock: ManualClock) -> dict[str, Any]:
    fleet(client, clock)
    return client.delete_fleet(Name="fleet")


@recipe("CreateAppBlockBuilder")
def _create_app_block_builder(client: Client, clock: ManualClock) -> dict[str, Any]:
    return client.create_app_block_builder(
        Name="abb", Platform="WINDOWS_SERVER_2019", InstanceType="stream.standard.large", VpcConfig=VPC
    )


@recipe("DescribeAppBlockBuilders")
def _describe_app_block_builders(client: Client, clock: ManualClock) -> dict[str, Any]:
    running_app_block_builder(client, clock)
    return client.describe_app_block_builders()


@recipe("UpdateAppBlockBuilder")
def _update_app_block_builder(client: Client, clock: ManualClock) -> dict[str, Any]:
    app_block_builder(client)
    return client.update_app_block_builder(Name="abb", DisplayName="Builder")


@recipe("StartAppBlockBuilder")
def _start_app_block_builder(client: Client, clock: ManualClock) -> dict[str, Any]:
    return client.start_app_block_builder(Name=STARTABLE)


@recipe("StopAppBlockBuilder")
def _stop_app_block_builder(client: Client, clock: ManualClock) -> dict[str, Any]:
    running_app_block_builder(client, clock)
    return client.stop_app_block_builder(Name=STARTABLE)


@recipe("DeleteAppBlockBuilder")
def _delete_app_block_builder(client: Client, clock: ManualClock) -> dict[str, Any]:
    app_block_builder(client)
    return client.delete_app_block_builder(Name="abb")


@recipe("TagResource")
def _tag_resource(client: Client, clock: ManualClock) -> dict[str, Any]:
    arn = available_image(client, clock)["Arn"]
    return client.tag_resource(ResourceArn=arn, Tags={"stage": "test"})


@recipe("UntagResource")
def _untag_resource(client: Client, clock: ManualClock) -> dict[str, Any]:
    arn = available_image(client, clock)["Arn"]
    return client.untag_resource(ResourceArn=arn, TagKeys=["team"])


@recipe("ListTagsForResource")
def _list_tags_for_resource(client: Client, clock: ManualClock) -> dict[str, Any]:
    arn = available_image(client, clock)["Arn"]
    return client.list_tags_for_resource(ResourceArn=arn)


# --- the checks ----------------------------------------------------------------------------


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_emulated_operation_answers_its_output_shape(
    operation: str, appstream_client: Client, appstream_clock: ManualClock
) -> None:
    if operation not in RECIPES:
        pytest.fail(f"{operation} is emulated but has no recipe in {__name__}: add one")

    response = RECIPES[operation](appstream_client, appstream_clock)

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    output_shape = service_model().operation_model(operation).output_shape
    assert output_shape is not None
    result = {key: value for key, value in response.items() if key != "ResponseMetadata"}
    report = ParamValidator().validate(result, output_shape)
    assert not report.has_errors(), report.generate_report()


def test_every_recipe_is_for_an_emulated_operation() -> None:
    assert sorted(set(RECIPES) - set(OPERATIONS)) == []


def test_modelled_errors_arrive_as_client_exceptions_with_the_message(appstream_client: Client) -> None:
    with pytest.raises(appstream_client.exceptions.ResourceNotFoundException) as caught:
        appstream_client.describe_image_builders(Names=["no-such-builder"])

    error = caught.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert "no-such-builder" in error["Error"]["Message"]
    assert error["Message"] == error["Error"]["Message"]  # the modelled member, parsed as well
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_dry_run_is_signalled_by_its_exception(appstream_client: Client, appstream_emulator: Any) -> None:
    with pytest.raises(appstream_client.exceptions.DryRunOperationException):
        appstream_client.create_imported_image(Name="dry", SourceAmiId=AMI, IamRoleArn=ROLE, DryRun=True)

    assert appstream_emulator.inventory()["images"] == []


def test_a_bad_volume_size_is_the_appstream_error(
    appstream_client: Client, appstream_clock: ManualClock
) -> None:
    available_image(appstream_client, appstream_clock)

    with pytest.raises(appstream_client.exceptions.InvalidParameterCombinationException, match="200 and 500"):
        appstream_client.create_image_builder(
            Name="big",
            ImageName="base",
            InstanceType="stream.standard.medium",
            RootVolumeConfig={"VolumeSizeInGb": 600},
        )
