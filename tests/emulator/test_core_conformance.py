"""Every error the emulator raises is one the model lists for the operation (or an AWS common error),
and every response matches the operation's output shape.

A seeded generator drives each emulated operation with many requests built from valid
names, names of resources in every state, and malformed values, while the clock moves
resources through their states.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape

from appstream_emulator import AppStreamError, Emulator, ManualClock, Scenario
from appstream_emulator.operations import OPERATIONS
from appstream_emulator.operations.validation import response_problems
from appstream_emulator.service_model import allowed_errors, operation_model

ROLE = "arn:aws:iam::123456789012:role/R"
BAD_ROLE = "arn:aws:iam::123456789012:role/Bad"
BASE = "AppStream-WinServer2022-09-08-2025"
NAMES = ["golden", "broken", "b-run", "b-stop", "b-pend", "fleet", "abb", BASE, "missing", "new-1", "new-2"]
ARNS = [
    "arn:aws:appstream:us-east-1:123456789012:image/golden",
    "arn:aws:appstream:us-east-1:123456789012:image-builder/b-run",
    "arn:aws:appstream:us-east-1:123456789012:fleet/fleet",
    f"arn:aws:appstream:us-east-1::image/{BASE}",
    "arn:aws:appstream:us-east-1:123456789012:image/missing",
    "not-an-arn",
]
DISTRIBUTION = {"CopyImage", "UpdateImagePermissions", "DeleteImagePermissions", "DescribeImagePermissions"}
POOLS: dict[str, list[Any]] = {
    "InstanceType": [
        "stream.standard.large",
        "stream.standard.xlarge",
        "GeneralPurpose.m7i.xlarge",
        "huge",
        "",
    ],
    "SourceAmiId": ["ami-0123456789abcdef0", "ami-00000000000000bad", "ami-XYZ"],
    "IamRoleArn": [ROLE, BAD_ROLE, "role"],
    "AmiName": ["ami-one", "ami-two", "x", "bad name!"],
    "VolumeSizeInGb": [150, 200, 350, 500, 501, "big"],
    "Platform": ["WINDOWS_SERVER_2019", "WINDOWS_SERVER_2022", "BEOS"],
    "FleetType": ["ON_DEMAND", "ALWAYS_ON", "ELASTIC", "SOMETIMES"],
    "TaskId": ["00000000-0000-4000-8000-000000000000", "nope"],
    "AttributesToDelete": [["VOLUME_CONFIGURATION"], ["IAM_ROLE_ARN", "ACCESS_ENDPOINTS"], ["NOPE"]],
    "Type": ["PUBLIC", "PRIVATE", "SHARED", "ODD"],
    "MaxResults": [0, 1, 3, 25, 26, 500, 501, -1],
    "NextToken": ["garbage", "eyJsIjogIkRlc2NyaWJlSW1hZ2VzIiwgIm8iOiAxfQ=="],
    "Validity": [0, 60, 10**7],
}


def _value(rng: random.Random, name: str, shape: Shape, depth: int = 0) -> Any:
    if name in POOLS:
        return rng.choice(POOLS[name])
    if rng.random() < 0.03:  # wrong type
        return rng.choice([42, "text", ["list"], {"k": "v"}, True])
    if isinstance(shape, StructureShape):
        if depth > 2:
            return {}
        members = list(shape.members.items())
        chosen = rng.sample(members, k=rng.randint(0, len(members)))
        return {member: _value(rng, member, member_shape, depth + 1) for member, member_shape in chosen}
    if isinstance(shape, ListShape):
        if name in ("Names", "TagKeys"):
            return rng.sample(NAMES, k=rng.randint(1, 3))
        if name == "Arns":
            return rng.sample(ARNS, k=rng.randint(1, 2))
        count = rng.choice([1, 1, 2, 60])
        return [_value(rng, name, shape.member, depth + 1) for _ in range(count)]
    if isinstance(shape, MapShape):
        return rng.choice(
            [{"team": "x"}, {"team": "x"}, {"aws:reserved": "y"}, {f"k{i}": "v" for i in range(60)}]
        )
    if isinstance(shape, StringShape):
        if shape.enum:
            return rng.choice([*shape.enum, "NOT_A_VALUE"])
        if name.endswith("Arn") or name == "ResourceArn":
            return rng.choice(ARNS)
        if "Name" in name or name == "Name":
            return rng.choice(NAMES)
        return rng.choice(["x", "ok value", "ok-value", "y" * 300])
    if shape.type_name in ("integer", "long"):
        return rng.choice([-1, 0, 1, 5, 10**9])
    if shape.type_name == "boolean":
        return rng.choice([True, False])
    return None


def _fresh(rng: random.Random) -> str:
    return f"new-{rng.randrange(10**6)}"


def _valid_distribution(rng: random.Random, operation: str) -> dict[str, Any]:
    """A request of an operation beyond one region and account that can succeed."""
    image = rng.choice(["golden", BASE, "broken", "new-1"])
    if operation == "CopyImage":
        region = rng.choice(["eu-west-1", "us-east-1", "xx-nowhere-1"])
        return {"SourceImageName": image, "DestinationImageName": _fresh(rng), "DestinationRegion": region}
    shared = {"SharedAccountId": rng.choice(["111122223333", "42"])}
    if operation == "UpdateImagePermissions":
        return {"Name": image, **shared, "ImagePermissions": {"allowFleet": True}}
    return {"Name": image, **shared} if operation == "DeleteImagePermissions" else {"Name": image}


def _valid(rng: random.Random, operation: str, task_ids: list[str]) -> dict[str, Any]:
    """A request that can succeed given the right account state."""
    if operation in DISTRIBUTION:
        return _valid_distribution(rng, operation)
    if "AppBlockBuilder" in operation:
        name = rng.choice(["abb", "abb", "missing"])
    elif "Fleet" in operation:
        name = rng.choice(["fleet", "fleet", "missing"])
    elif "ImageBuilder" in operation:
        name = rng.choice(["b-run", "b-stop", "b-pend", "missing"])
    else:
        name = rng.choice(NAMES)
    image = rng.choice(["golden", BASE, "broken", "new-1"])
    role = {"IamRoleArn": ROLE}
    requests: dict[str, dict[str, Any]] = {
        "CreateImportedImage": {"Name": _fresh(rng), "SourceAmiId": "ami-0123456789abcdef0", **role},
        "CreateImageBuilder": {
            "Name": _fresh(rng),
            "ImageName": image,
            "InstanceType": "stream.standard.large",
        },
        "CreateFleet": {
            "Name": _fresh(rng),
            "ImageName": image,
            "InstanceType": "stream.standard.large",
            "ComputeCapacity": {"DesiredInstances": 1},
        },
        "CreateAppBlockBuilder": {
            "Name": _fresh(rng),
            "Platform": "WINDOWS_SERVER_2019",
            "InstanceType": "stream.standard.large",
            "VpcConfig": {"SubnetIds": ["subnet-1", "subnet-2"]},
        },
        "CreateExportImageTask": {"ImageName": image, "AmiName": _fresh(rng), **role},
        "CreateUpdatedImage": {"existingImageName": image, "newImageName": _fresh(rng)},
        "GetExportImageTask": {"TaskId": rng.choice(task_ids or ["00000000-0000-4000-8000-000000000000"])},
        "TagResource": {"ResourceArn": rng.choice(ARNS), "Tags": {"team": "a"}},
        "UntagResource": {"ResourceArn": rng.choice(ARNS), "TagKeys": ["team"]},
        "ListTagsForResource": {"ResourceArn": rng.choice(ARNS)},
        "DescribeImages": {},
        "DescribeImageBuilders": {},
        "DescribeFleets": {},
        "DescribeAppBlockBuilders": {},
        "ListExportImageTasks": {},
    }
    return requests.get(operation, {"Name": name})


def _request(rng: random.Random, operation: str, task_ids: list[str]) -> dict[str, Any]:
    params = _valid(rng, operation, task_ids)
    if rng.random() < 0.4:
        return params
    shape = operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    members = list(shape.members.items())
    for member, member_shape in rng.sample(members, k=min(len(members), rng.randint(1, 3))):
        params[member] = _value(rng, member, member_shape)
    if params and rng.random() < 0.1:
        params.pop(rng.choice(list(params)))
    return params


def _world() -> tuple[Emulator, ManualClock]:
    """An account with resources in many states, and some persistent and one-off faults."""
    scenario = Scenario.model_validate(
        {
            "durations": {"import": 50, "validation": 50, "builder_start": 40, "export": 60},
            "jitter": 0.3,
            "seed": 7,
            "quotas": {"image_builders": 4, "images": 12, "fleets": 3},
            "invalid_roles": [BAD_ROLE],
            "amis": [{"id": "ami-0123456789abcdef0"}, {"id": "ami-00000000000000bad", "compatible": False}],
            "faults": [
                {"resource": "imported_image", "name": "broken"},
                {"resource": "export_task", "outcome": "TIMED_OUT", "times": None, "name": "ami-two"},
                {"operation": "DescribeFleets", "error": "ServiceUnavailable", "after": 3, "times": 2},
                {"operation": "StartFleet", "error": "RequestLimitExceededException", "times": 1},
            ],
            "rate_limits": {"ListTagsForResource": {"per_second": 0.5, "burst": 2}},
            "app_block_builders": [{"name": "abb", "app_block": "packager"}],
        }
    )
    clock = ManualClock()
    emulator = Emulator(scenario, clock)
    for name in ("golden", "broken"):
        emulator.call(
            "CreateImportedImage", {"Name": name, "SourceAmiId": "ami-0123456789abcdef0", "IamRoleArn": ROLE}
        )
    clock.advance(200)
    for name in ("b-run", "b-stop", "b-pend"):
        emulator.call(
            "CreateImageBuilder",
            {"Name": name, "ImageName": "golden", "InstanceType": "stream.standard.large"},
        )
    clock.advance(100)
    emulator.call("StopImageBuilder", {"Name": "b-stop"})
    emulator.call(
        "CreateFleet",
        {
            "Name": "fleet",
            "ImageName": "golden",
            "InstanceType": "stream.standard.large",
            "ComputeCapacity": {"DesiredInstances": 1},
        },
    )
    return emulator, clock


def test_every_error_is_listed_and_every_response_matches_its_shape() -> None:
    emulator, clock = _world()
    rng = random.Random(20251117)
    # The operations beyond one region and account draw from their own generator, so the drive of
    # the others stays the one it has always been.
    distribution_rng = random.Random(20251117)
    codes: Counter[str] = Counter()
    outcomes: dict[str, set[str]] = {operation: set() for operation in OPERATIONS}
    strays: list[str] = []
    task_ids: list[str] = []
    for _round in range(60):
        for operation in sorted(OPERATIONS):
            drawn_by = distribution_rng if operation in DISTRIBUTION else rng
            params = _request(drawn_by, operation, task_ids)
            try:
                result = emulator.call(operation, params)
            except AppStreamError as error:
                codes[error.code] += 1
                outcomes[operation].add("error")
                if error.code not in allowed_errors(operation):
                    strays.append(f"{operation} raised {error.code} ({error.message}) for {params}")
                continue
            outcomes[operation].add("ok")
            if operation == "CreateExportImageTask":
                task_ids.append(result["ExportImageTask"]["TaskId"])
            strays += [f"{operation} answered off-shape: {p}" for p in response_problems(operation, result)]
        clock.advance(rng.choice([0, 5, 30, 120]))
    assert strays == []
    # The drive reached deep enough to mean something: many distinct errors, and every
    # operation both succeeded and failed at least once.
    assert len(codes) >= 12, codes
    assert {op: seen for op, seen in outcomes.items() if seen != {"ok", "error"}} == {}, codes


def test_injected_errors_carry_aws_status_codes() -> None:
    emulator = Emulator(
        Scenario.model_validate(
            {
                "faults": [
                    {"operation": "DescribeImages", "error": "InternalFailure"},
                    {"operation": "DescribeImages", "error": "ServiceUnavailable"},
                    {"operation": "DescribeImages", "error": "ThrottlingException"},
                ]
            }
        ),
        ManualClock(),
    )
    seen = []
    for _ in range(3):
        try:
            emulator.call("DescribeImages", {})
        except AppStreamError as error:
            seen.append((error.code, error.status))
    assert seen == [("InternalFailure", 500), ("ServiceUnavailable", 503), ("ThrottlingException", 400)]
    assert emulator.call("DescribeImages", {})["Images"]
