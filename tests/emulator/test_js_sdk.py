"""A second client: the AWS SDK for JavaScript v3 and boto3 make the same calls and get the same answers.

`@aws-sdk/client-appstream` (pinned in package.json) speaks awsJson1_1 by default; its
protocol is a client setting, so `js_client/drive.mjs` selects AwsJson1_1Protocol or
AwsSmithyRpcV2CborProtocol and the story runs once in each protocol. One Node process
per protocol reads the calls a line at a time. boto3 (speaking the same protocol)
and the SDK each talk to their own emulator over HTTP; both emulators are seeded alike
and share one manual clock, so the same calls must get the same answers, call by call.

The story makes every operation the emulator registers at least once, with successes,
missing resources and invalid parameters. Each call also states the outcome it must
have (an error code, or success and a few fields), checked on boto3's answer, so an
emulator that answered both clients alike but wrongly fails the test too.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

from appstream_emulator.clock import ManualClock
from appstream_emulator.operations import OPERATIONS
from appstream_emulator.pytest_plugin import PLACEHOLDER_CREDENTIALS, REGION, client_speaking
from appstream_emulator.scenario import Scenario
from tests.emulator.conftest import protocols_served

DRIVER = Path(__file__).parent / "js_client" / "drive.mjs"
PROJECT_ROOT = Path(__file__).parents[2]
SDK_PACKAGE = "@aws-sdk/client-appstream"
# Every id and token the emulators draw comes from this seed, so both draw the same ones.
SEED = 20161201
ANSWER_TIMEOUT_SECONDS = 20

AMI = "ami-0123456789abcdef0"
ROLE = "arn:aws:iam::123456789012:role/AppStreamImageFactory"
IMAGE_ARN = "arn:aws:appstream:us-east-1:123456789012:image/base"
UNKNOWN_TASK = "00000000-0000-4000-8000-000000000000"
VPC = {"SubnetIds": ["subnet-0123456789abcdef0"], "SecurityGroupIds": ["sg-0123456789abcdef0"]}
# App block builders take two subnets; only a builder with an app block (the scenario's) starts.
TWO_SUBNETS = {**VPC, "SubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]}
PACKAGER = "packager"
START_MS = int(ManualClock().now() * 1000)
HOURS = 3600


@dataclass(frozen=True)
class Call:
    """One call both clients make. `error`: the code it must get (None: it must succeed);
    `expect`: dotted paths into the successful output and the values they must hold."""

    label: str
    operation: str
    input: dict[str, Any]
    error: str | None = None
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Advance:
    """Move the shared clock (both emulators) forward."""

    seconds: float


@dataclass(frozen=True)
class From:
    """An input value taken from boto3's answer to an earlier call (the emulators draw ids alike)."""

    label: str
    path: str


STORY: list[Call | Advance] = [
    # Images: import, a missing one, an invalid name, a dry run.
    Call("describe-missing-image", "DescribeImages", {"Names": ["missing"]}, "ResourceNotFoundException"),
    Call(
        "import-image",
        "CreateImportedImage",
        {
            "Name": "base",
            "SourceAmiId": AMI,
            "IamRoleArn": ROLE,
            "Description": "an imported image",
            "Tags": {"team": "images"},
        },
        expect={"Image.State": "IMPORTING", "Image.CreatedTime": {"$timestamp": START_MS}},
    ),
    Call("import-empty-name", "CreateImportedImage", {"Name": ""}, "ValidationException"),
    Call(
        "import-taken-name",
        "CreateImportedImage",
        {"Name": "base", "SourceAmiId": AMI, "IamRoleArn": ROLE},
        "ResourceAlreadyExistsException",
    ),
    Call(
        "import-dry-run",
        "CreateImportedImage",
        {"Name": "dry", "SourceAmiId": AMI, "IamRoleArn": ROLE, "DryRun": True},
        "DryRunOperationException",
    ),
    Advance(6 * HOURS),
    Call("describe-image", "DescribeImages", {"Names": ["base"]}, expect={"Images.0.State": "AVAILABLE"}),
    Call("describe-images-page", "DescribeImages", {"MaxResults": 2}),
    Call(
        "describe-images-next-page",
        "DescribeImages",
        {"MaxResults": 2, "NextToken": From("describe-images-page", "NextToken")},
    ),
    Call("describe-images-bad-token", "DescribeImages", {"NextToken": "garbage"}, "ValidationException"),
    # Image builders: the whole life cycle, and the calls a builder's state refuses.
    Call(
        "create-builder",
        "CreateImageBuilder",
        {
            "Name": "builder",
            "ImageName": "base",
            "InstanceType": "stream.standard.medium",
            "RootVolumeConfig": {"VolumeSizeInGb": 300},
            "Tags": {"team": "images"},
        },
        expect={"ImageBuilder.State": "PENDING", "ImageBuilder.RootVolumeConfig.VolumeSizeInGb": 300},
    ),
    Call(
        "create-builder-big-volume",
        "CreateImageBuilder",
        {
            "Name": "big",
            "ImageName": "base",
            "InstanceType": "stream.standard.medium",
            "RootVolumeConfig": {"VolumeSizeInGb": 600},
        },
        "InvalidParameterCombinationException",
    ),
    Call(
        "streaming-url-missing-builder",
        "CreateImageBuilderStreamingURL",
        {"Name": "missing"},
        "ResourceNotFoundException",
    ),
    Advance(2 * HOURS),
    Call(
        "describe-builder",
        "DescribeImageBuilders",
        {"Names": ["builder"]},
        expect={"ImageBuilders.0.State": "RUNNING"},
    ),
    Call(
        "streaming-url",
        "CreateImageBuilderStreamingURL",
        {"Name": "builder", "Validity": 3600},
        expect={"Expires": {"$timestamp": START_MS + 9 * HOURS * 1000}},  # 8 hours in, valid for 1
    ),
    Call("start-running-builder", "StartImageBuilder", {"Name": "builder"}, "ResourceNotAvailableException"),
    Call("stop-builder", "StopImageBuilder", {"Name": "builder"}, expect={"ImageBuilder.State": "STOPPING"}),
    Advance(2 * HOURS),
    Call("start-builder", "StartImageBuilder", {"Name": "builder"}, expect={"ImageBuilder.State": "PENDING"}),
    Advance(2 * HOURS),
    Call("stop-builder-again", "StopImageBuilder", {"Name": "builder"}),
    Advance(2 * HOURS),
    Call(
        "delete-builder", "DeleteImageBuilder", {"Name": "builder"}, expect={"ImageBuilder.State": "DELETING"}
    ),
    Call("stop-missing-builder", "StopImageBuilder", {"Name": "missing"}, "ResourceNotFoundException"),
    Advance(2 * HOURS),
    Call(
        "describe-deleted-builder",
        "DescribeImageBuilders",
        {"Names": ["builder"]},
        "ResourceNotFoundException",
    ),
    Call("describe-builders", "DescribeImageBuilders", {}),
    # Exports.
    Call(
        "export",
        "CreateExportImageTask",
        {"ImageName": "base", "AmiName": "base-ami", "IamRoleArn": ROLE, "AmiDescription": "exported"},
        expect={"ExportImageTask.State": "EXPORTING"},
    ),
    Call(
        "export-taken-ami-name",
        "CreateExportImageTask",
        {"ImageName": "base", "AmiName": "base-ami", "IamRoleArn": ROLE},
        "OperationNotPermittedException",
    ),
    Call(
        "get-export",
        "GetExportImageTask",
        {"TaskId": From("export", "ExportImageTask.TaskId")},
        expect={"ExportImageTask.State": "EXPORTING"},
    ),
    Call("get-unknown-export", "GetExportImageTask", {"TaskId": UNKNOWN_TASK}, "ResourceNotFoundException"),
    Call(
        "list-exports-filtered",
        "ListExportImageTasks",
        {"Filters": [{"Name": "state", "Values": ["EXPORTING"]}], "MaxResults": 1},
    ),
    Call("list-exports-too-many", "ListExportImageTasks", {"MaxResults": 501}, "ValidationException"),
    Advance(6 * HOURS),
    Call(
        "get-finished-export",
        "GetExportImageTask",
        {"TaskId": From("export", "ExportImageTask.TaskId")},
        expect={"ExportImageTask.State": "COMPLETED"},
    ),
    Call("list-exports", "ListExportImageTasks", {}),
    # An updated image.
    Call(
        "update-image",
        "CreateUpdatedImage",
        {"existingImageName": "base", "newImageName": "base-updated", "newImageDescription": "updated"},
        expect={"image.State": "PENDING"},
    ),
    Call(
        "update-missing-image",
        "CreateUpdatedImage",
        {"existingImageName": "missing", "newImageName": "other"},
        "ResourceNotFoundException",
    ),
    # Fleets.
    Call(
        "create-fleet",
        "CreateFleet",
        {
            "Name": "fleet",
            "ImageName": "base",
            "InstanceType": "stream.standard.medium",
            "FleetType": "ON_DEMAND",
            "ComputeCapacity": {"DesiredInstances": 1},
            "RootVolumeConfig": {"VolumeSizeInGb": 250},
        },
        expect={"Fleet.State": "STOPPED"},
    ),
    Call(
        "create-fleet-bad-type",
        "CreateFleet",
        {
            "Name": "odd",
            "ImageName": "base",
            "InstanceType": "stream.standard.medium",
            "FleetType": "SOMETIMES",
        },
        "ValidationException",
    ),
    Call(
        "update-fleet",
        "UpdateFleet",
        {"Name": "fleet", "DisplayName": "Fleet", "AttributesToDelete": ["VOLUME_CONFIGURATION"]},
        expect={"Fleet.DisplayName": "Fleet"},
    ),
    Call("start-fleet", "StartFleet", {"Name": "fleet"}),
    Advance(2 * HOURS),
    Call("describe-fleet", "DescribeFleets", {"Names": ["fleet"]}, expect={"Fleets.0.State": "RUNNING"}),
    Call(
        "update-running-fleet-volume",
        "UpdateFleet",
        {"Name": "fleet", "RootVolumeConfig": {"VolumeSizeInGb": 300}},
        "OperationNotPermittedException",
    ),
    Call("delete-running-fleet", "DeleteFleet", {"Name": "fleet"}, "ResourceInUseException"),
    Call("stop-fleet", "StopFleet", {"Name": "fleet"}),
    Advance(2 * HOURS),
    Call("delete-fleet", "DeleteFleet", {"Name": "fleet"}),
    Call("describe-deleted-fleet", "DescribeFleets", {"Names": ["fleet"]}, "ResourceNotFoundException"),
    Call("start-missing-fleet", "StartFleet", {"Name": "missing"}, "ResourceNotFoundException"),
    Call("describe-fleets", "DescribeFleets", {}),
    # App block builders.
    Call(
        "create-app-block-builder",
        "CreateAppBlockBuilder",
        {
            "Name": "abb",
            "Platform": "WINDOWS_SERVER_2019",
            "InstanceType": "stream.standard.large",
            "VpcConfig": TWO_SUBNETS,
        },
        expect={"AppBlockBuilder.State": "STOPPED"},
    ),
    Call(
        "update-app-block-builder",
        "UpdateAppBlockBuilder",
        {"Name": "abb", "DisplayName": "Builder"},
        expect={"AppBlockBuilder.DisplayName": "Builder"},
    ),
    Call(
        "start-app-block-builder-without-app-block",
        "StartAppBlockBuilder",
        {"Name": "abb"},
        "OperationNotPermittedException",
    ),
    Call("start-app-block-builder", "StartAppBlockBuilder", {"Name": PACKAGER}),
    Advance(2 * HOURS),
    Call(
        "describe-app-block-builder",
        "DescribeAppBlockBuilders",
        {"Names": [PACKAGER]},
        expect={"AppBlockBuilders.0.State": "RUNNING"},
    ),
    Call("stop-app-block-builder", "StopAppBlockBuilder", {"Name": PACKAGER}),
    Advance(2 * HOURS),
    Call("delete-app-block-builder", "DeleteAppBlockBuilder", {"Name": "abb"}),
    Call(
        "delete-missing-app-block-builder",
        "DeleteAppBlockBuilder",
        {"Name": "abb"},
        "ResourceNotFoundException",
    ),
    Call("describe-app-block-builders", "DescribeAppBlockBuilders", {}),
    # Tags.
    Call("tag", "TagResource", {"ResourceArn": IMAGE_ARN, "Tags": {"stage": "test"}}),
    Call(
        "list-tags",
        "ListTagsForResource",
        {"ResourceArn": IMAGE_ARN},
        expect={"Tags": {"team": "images", "stage": "test"}},
    ),
    Call("untag", "UntagResource", {"ResourceArn": IMAGE_ARN, "TagKeys": ["team"]}),
    Call(
        "list-tags-after-untag",
        "ListTagsForResource",
        {"ResourceArn": IMAGE_ARN},
        expect={"Tags": {"stage": "test"}},
    ),
    Call(
        "tag-missing-resource",
        "TagResource",
        {"ResourceArn": IMAGE_ARN.replace("/base", "/missing"), "Tags": {"stage": "test"}},
        "ResourceNotFoundException",
    ),
    # Copies to another region, and sharing with another account.
    Call(
        "copy-image",
        "CopyImage",
        {"SourceImageName": "base", "DestinationImageName": "base", "DestinationRegion": "eu-west-1"},
        expect={"DestinationImageName": "base"},
    ),
    Call(
        "copy-image-again",
        "CopyImage",
        {"SourceImageName": "base", "DestinationImageName": "base", "DestinationRegion": "eu-west-1"},
        "ResourceAlreadyExistsException",
    ),
    Call(
        "share-image",
        "UpdateImagePermissions",
        {
            "Name": "base",
            "SharedAccountId": "111122223333",
            "ImagePermissions": {"allowFleet": True, "allowImageBuilder": True},
        },
    ),
    Call(
        "describe-image-permissions",
        "DescribeImagePermissions",
        {"Name": "base"},
        expect={"SharedImagePermissionsList.0.sharedAccountId": "111122223333"},
    ),
    Call("unshare-image", "DeleteImagePermissions", {"Name": "base", "SharedAccountId": "111122223333"}),
    Call(
        "unshare-image-again",
        "DeleteImagePermissions",
        {"Name": "base", "SharedAccountId": "111122223333"},
        "ResourceNotFoundException",
    ),
    # Deleting images.
    Advance(2 * HOURS),
    Call("delete-image", "DeleteImage", {"Name": "base-updated"}, expect={"Image.State": "DELETING"}),
    Call("delete-missing-image", "DeleteImage", {"Name": "missing"}, "ResourceNotFoundException"),
    Call("describe-images", "DescribeImages", {"Type": "PRIVATE"}),
]


def test_the_story_makes_every_emulated_operation() -> None:
    calls = [step for step in STORY if isinstance(step, Call)]

    assert sorted({call.operation for call in calls}) == sorted(OPERATIONS)
    assert len({call.label for call in calls}) == len(calls)


@pytest.mark.parametrize("protocol", ["json", "smithy-rpc-v2-cbor"])
def test_the_js_sdk_and_boto3_get_the_same_answers(
    protocol: str,
    clock: ManualClock,
    serve_emulator: Callable[..., str],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    assert shutil.which("node"), "Node.js is needed for the AWS SDK for JavaScript"
    assert installed_sdk_version() == pinned_sdk_version(), (
        "node_modules is stale: run `npm ci` (make test does)"
    )
    scenario = Scenario.model_validate(
        {"seed": SEED, "app_block_builders": [{"name": PACKAGER, "app_block": "packaged-apps"}]}
    )
    # No client-side validation and no retries: the invalid calls reach the emulator, as the SDK's do.
    config = Config(parameter_validation=False, retries={"total_max_attempts": 1})
    boto3_client = client_speaking(protocol, endpoint_url=serve_emulator(scenario), config=config)
    boto3_answers: dict[str, Any] = {}
    js_answers: dict[str, Any] = {}

    with js_sdk(serve_emulator(scenario), protocol, tmp_path) as js_call:
        for step in STORY:
            if isinstance(step, Advance):
                clock.advance(step.seconds)
                continue
            params = {name: resolve(value, boto3_answers) for name, value in step.input.items()}
            boto3_answers[step.label] = boto3_answer(boto3_client, step.operation, params)
            js_answers[step.label] = normalise_js(js_call(step.operation, params))

    assert protocols_served(caplog) == {protocol}
    calls = [step for step in STORY if isinstance(step, Call)]
    assert {call.label: outcome(call, boto3_answers[call.label]) for call in calls} == {
        call.label: expected(call) for call in calls
    }
    assert js_answers == boto3_answers


def pinned_sdk_version() -> str:
    version: str = json.loads((PROJECT_ROOT / "package.json").read_text())["devDependencies"][SDK_PACKAGE]
    return version


def installed_sdk_version() -> str | None:
    manifest = PROJECT_ROOT / "node_modules" / SDK_PACKAGE / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else None


# --- the two clients -----------------------------------------------------------------------


@contextmanager
def js_sdk(endpoint: str, protocol: str, home: Path) -> Iterator[Callable[[str, dict[str, Any]], Any]]:
    """A Node process running drive.mjs; yields a function making one call and returning its answer."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": PLACEHOLDER_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": PLACEHOLDER_CREDENTIALS["aws_secret_access_key"],
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        # This SDK release still supports Node 20; it warns on stderr that later ones will not.
        "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED": "true",
    }
    process = subprocess.Popen(
        ["node", str(DRIVER), endpoint, protocol],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    stdout = process.stdout
    assert process.stdin is not None and stdout is not None
    lines: queue.Queue[str] = queue.Queue()

    def read_answers() -> None:
        for line in stdout:
            lines.put(line)

    # A reader thread, so a driver that hangs or dies fails the test instead of blocking it.
    threading.Thread(target=read_answers, daemon=True).start()

    def call(operation: str, params: dict[str, Any]) -> Any:
        assert process.stdin is not None
        process.stdin.write(json.dumps({"operation": operation, "input": params}) + "\n")
        process.stdin.flush()
        try:
            return json.loads(lines.get(timeout=ANSWER_TIMEOUT_SECONDS))
        except queue.Empty:
            process.kill()
            _, stderr = process.communicate()
            pytest.fail(f"drive.mjs gave no answer to {operation} (exit {process.returncode}): {stderr}")

    try:
        yield call
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=ANSWER_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        stderr = process.stderr.read() if process.stderr else ""
        if process.stderr:
            process.stderr.close()
        assert process.returncode == 0, stderr


def boto3_answer(client: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """boto3's answer in drive.mjs's form: the status, and the output or the error."""
    try:
        response = getattr(client, xform_name(operation))(**params)
    except ClientError as error:
        found = error.response
        # botocore also parses the error shape's `Message` member on its own; the SDK folds it
        # into `message`, which both clients' messages already compare.
        members = {
            key: value for key, value in found.items() if key not in ("Error", "ResponseMetadata", "Message")
        }
        return {
            "status": found["ResponseMetadata"]["HTTPStatusCode"],
            "error": {
                "code": found["Error"]["Code"],
                "message": found["Error"]["Message"],
                "members": plain(members),
            },
        }
    # ResponseMetadata holds the request id (new on every response) and the protocol's headers;
    # only its status is compared, against the SDK's $metadata.httpStatusCode.
    status = response.pop("ResponseMetadata")["HTTPStatusCode"]
    return {"status": status, "output": plain(response)}


def normalise_js(answer: dict[str, Any]) -> dict[str, Any]:
    if "error" in answer:
        # `__type` is the raw error name as the protocol spells it (a shape ID in CBOR); the SDK's
        # `name`, compared as the code, is what both clients make of it.
        answer["error"]["members"].pop("__type", None)
    return answer


def plain(value: Any) -> Any:
    """A boto3 value in drive.mjs's JSON form."""
    if isinstance(value, datetime):
        # A JavaScript Date holds whole milliseconds; a datetime holds microseconds.
        return {"$timestamp": round(value.timestamp() * 1000)}
    if isinstance(value, bytes):
        return {"$blob": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


# --- what the story expects ----------------------------------------------------------------


def resolve(value: Any, answers: dict[str, Any]) -> Any:
    return lookup(answers[value.label].get("output"), value.path) if isinstance(value, From) else value


def outcome(call: Call, answer: dict[str, Any]) -> Any:
    """What the story checks of an answer: its error code, or the values at the expected paths."""
    if "error" in answer:
        return answer["error"]["code"]
    return {"ok": {path: lookup(answer["output"], path) for path in call.expect}}


def expected(call: Call) -> Any:
    return call.error if call.error is not None else {"ok": call.expect}


def lookup(document: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(document, list):
            document = document[int(part)] if int(part) < len(document) else None
        else:
            document = document.get(part) if isinstance(document, dict) else None
    return document
