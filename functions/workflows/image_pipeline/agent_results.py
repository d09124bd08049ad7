"""The builder agent's result document (`jobs/<builder>/result.json`), read as the snapshot's check
and the agent result signal both read it. Light on purpose: the signal's function imports it."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from agent_contract.documents import AgentResult, result_key
from functions.core import clients
from functions.core.errors import SnapshotFailed, classify_dependency, error_code


def read_agent_result(bucket: str, builder_name: str) -> AgentResult | None:
    """The builder's result, None before the agent wrote one; SnapshotFailed when it is unreadable."""
    try:
        body = clients.s3().get_object(Bucket=bucket, Key=result_key(builder_name))["Body"]
        return AgentResult.model_validate_json(body.read())
    except ClientError as error:
        if error_code(error) in {"NoSuchKey", "404"}:
            return None
        raise classify_dependency(error, "GetObject agent result") from error
    except BotoCoreError as error:
        raise classify_dependency(error, "GetObject agent result") from error
    except ValidationError as error:
        raise SnapshotFailed(
            f"snapshot: the builder agent wrote an unreadable result: {error.error_count()} problem(s)"
        ) from None
