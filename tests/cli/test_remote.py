"""Finding a deployed API from its stack's outputs, and signing requests for it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from functions.core import names
from image_factory.remote.client import SigV4Signer
from image_factory.remote.stack import StackLookupError, api_url

URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/"
STACK = "ImageFactory-dev"


class StubbedSession:
    """A session whose CloudFormation client answers DescribeStacks from a botocore Stubber."""

    def __init__(self) -> None:
        self.cloudformation = boto3.session.Session(region_name="eu-west-1").client("cloudformation")
        self.stubber = Stubber(self.cloudformation)

    def client(self, service: str) -> Any:
        assert service == "cloudformation"
        self.stubber.activate()
        return self.cloudformation

    def deployed(self, outputs: dict[str, str]) -> StubbedSession:
        stack = {
            "StackName": STACK,
            "CreationTime": "2026-01-01T00:00:00Z",
            "StackStatus": "CREATE_COMPLETE",
            "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in outputs.items()],
        }
        self.stubber.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": STACK})
        return self


def test_the_api_url_comes_from_the_stack_output() -> None:
    session = StubbedSession().deployed({names.OUTPUT_RUN_API_URL: URL, "Other": "x"})
    assert api_url(session, STACK) == URL.rstrip("/")


def test_a_stack_without_the_output_is_named() -> None:
    session = StubbedSession().deployed({"Other": "x"})
    with pytest.raises(StackLookupError, match=names.OUTPUT_RUN_API_URL):
        api_url(session, STACK)


def test_a_missing_stack_is_named() -> None:
    session = StubbedSession()
    session.stubber.add_client_error(
        "describe_stacks", "ValidationError", "Stack with id ImageFactory-prod does not exist"
    )
    with pytest.raises(StackLookupError, match="ImageFactory-prod"):
        api_url(session, "ImageFactory-prod")


def test_requests_are_signed_for_execute_api_in_the_stack_region() -> None:
    session = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="eu-west-1"
    )
    headers = SigV4Signer(session).headers("GET", URL + "runs", None, {"Accept": "application/json"})
    authorization = headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization
    assert "X-Amz-Date" in headers
