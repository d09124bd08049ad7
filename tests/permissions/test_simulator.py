"""The second judge refuses what IAM would refuse, and names a grant in the wrong ARN format."""

from __future__ import annotations

from typing import Any

from tests.permissions.simulator import Ask, Simulator, aws_owned, simulated_documents

ROLE = "TaskRole"
IMAGES = "arn:aws:appstream:us-east-1:123456789012:image/*"
STAGE_TAG = "aws:ResourceTag/image-factory:stage"


def _refusals(simulator: Simulator, *asks: Ask, statements: list[dict[str, Any]]) -> list[str]:
    documents = {ROLE: simulated_documents([{"Version": "2012-10-17", "Statement": statements}])}
    return simulator.refusals(asks, documents)


def test_a_tag_condition_allows_its_own_stage_only(iam_simulator: Simulator) -> None:
    grant = {
        "Effect": "Allow",
        "Action": "appstream:DeleteImage",
        "Resource": IMAGES,
        "Condition": {"StringEquals": {STAGE_TAG: "prod"}},
    }
    image = "arn:aws:appstream:us-east-1:123456789012:image/web-1"
    own = Ask(ROLE, "appstream:DeleteImage", image, ((STAGE_TAG, "prod"),))
    other = Ask(ROLE, "appstream:DeleteImage", image, ((STAGE_TAG, "test"),))
    untagged = Ask(ROLE, "appstream:DeleteImage", image, ())

    assert _refusals(iam_simulator, own, statements=[grant]) == []
    refused = _refusals(iam_simulator, other, untagged, statements=[grant])
    assert [line.split(": ")[-1] for line in refused] == ["ImplicitlyDenied", "ImplicitlyDenied"]


def test_a_grant_in_the_wrong_arn_format_is_refused_and_a_wrong_call_arn_is_named(
    iam_simulator: Simulator,
) -> None:
    # Snapshot ARNs carry no account: a grant that gives one never matches a real snapshot.
    with_account = {
        "Effect": "Allow",
        "Action": "ec2:DeleteSnapshot",
        "Resource": "arn:aws:ec2:us-east-1:123456789012:snapshot/*",
    }
    snapshot = Ask(ROLE, "ec2:DeleteSnapshot", "arn:aws:ec2:us-east-1::snapshot/snap-0a1b2c3d", ())
    misnamed = Ask(
        ROLE, "ec2:DeleteSnapshot", "arn:aws:ec2:us-east-1:123456789012:snapshot/snap-0a1b2c3d", ()
    )

    (refused,) = _refusals(iam_simulator, snapshot, statements=[with_account])
    assert refused.endswith("ImplicitlyDenied")
    (error,) = _refusals(iam_simulator, misnamed, statements=[with_account])
    assert "Error" in error and "resource.types" in error


def test_an_aws_owned_base_image_is_evaluated_without_the_arn_format_check(iam_simulator: Simulator) -> None:
    public = "arn:aws:appstream:us-east-1::image/AppStream-WinServer2022-09-08-2025"
    grant = {
        "Effect": "Allow",
        "Action": "appstream:CreateImageBuilder",
        "Resource": "arn:aws:appstream:us-east-1::image/*",
    }
    assert aws_owned(public) and not aws_owned(IMAGES)

    assert (
        _refusals(iam_simulator, Ask(ROLE, "appstream:CreateImageBuilder", public, ()), statements=[grant])
        == []
    )
    other = {**grant, "Resource": IMAGES}
    refused = _refusals(
        iam_simulator, Ask(ROLE, "appstream:CreateImageBuilder", public, ()), statements=[other]
    )
    assert len(refused) == 1 and refused[0].endswith("ImplicitlyDenied")


def test_unresolved_resources_are_left_out_and_a_statement_left_with_none_goes() -> None:
    documents = [
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "logs:PutLogEvents",
                    "Resource": "unresolved:AWS::Logs::LogGroup:Log",
                },
                {
                    "Effect": "Allow",
                    "Action": "sns:Publish",
                    "Resource": ["unresolved:AWS::KMS::Key:K", "arn:aws:sns:us-east-1:123456789012:t"],
                },
            ],
        }
    ]
    (document,) = simulated_documents(documents)
    assert document["Statement"] == [
        {"Effect": "Allow", "Action": "sns:Publish", "Resource": ["arn:aws:sns:us-east-1:123456789012:t"]}
    ]
