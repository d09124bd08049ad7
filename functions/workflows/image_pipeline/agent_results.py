"""The documents of the jobs bucket as the snapshot's steps read them: the builder agent's result
(`jobs/<builder>/result.json`), read by the snapshot's check and the agent result signal alike, and
any document by its key. Light on purpose: the signal's function imports it."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from agent_contract.documents import AgentResult, result_key
from functions.core import clients
from functions.core.errors import SnapshotFailed, classify_dependency, error_code


def read_document(bucket: str, key: str, action: str) -> bytes | None:
    """The document at `key`, None when there is none; a dependency error (naming `action`) otherwise."""
    try:
        body: bytes = clients.s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error_code(error) in {"NoSuchKey", "404"}:
            return None
        raise classify_dependency(error, action) from error
    except BotoCoreError as error:
        raise classify_dependency(error, action) from error
    return body


def read_agent_result(bucket: str, builder_name: str) -> AgentResult | None:
    """The builder's result, None before the agent wrote one; SnapshotFailed when it is unreadable."""
    body = read_document(bucket, result_key(builder_name), "GetObject agent result")
    if body is None:
        return None
    try:
        return AgentResult.model_validate_json(body)
    except ValidationError as error:
        raise SnapshotFailed(
            f"snapshot: the builder agent wrote an unreadable result: {error.error_count()} problem(s)"
        ) from None
