"""Finding a deployed run API: the URL the stack publishes as a CloudFormation output."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from functions.core import names

DEFAULT_STACK = "ImageFactory-dev"  # the stack of the default stage (cdk.json: stage=dev)


class StackLookupError(RuntimeError):
    """The stack or its API output cannot be found; the message says which and why."""


def api_url(session: Any, stack: str) -> str:
    """The base URL of the stack's run API (output `RunApiUrl`), without a trailing slash."""
    try:
        stacks = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    except NoCredentialsError:
        raise StackLookupError("no AWS credentials: set a profile (--profile) or credentials") from None
    except ClientError as error:
        message = error.response.get("Error", {}).get("Message", str(error))
        raise StackLookupError(f"stack {stack!r}: {message}") from None
    except BotoCoreError as error:
        raise StackLookupError(f"stack {stack!r}: {error}") from None
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}
    url = outputs.get(names.OUTPUT_RUN_API_URL)
    if not url:
        raise StackLookupError(
            f"stack {stack!r} has no output {names.OUTPUT_RUN_API_URL} (deployed without the API?)"
        )
    return str(url).rstrip("/")
