"""Waits that resume on a signal AWS sends: the task token a wait leaves, and the event that redeems it.

A wait loop's wait is a `.waitForTaskToken` Task whose timeout is the planner's interval. Its
function stores the token under what the wait is for (`store_token`); a rule on the signal's
event targets a function that sends the token back (`resume`), so the check after the wait runs
as soon as AWS says something changed. AWS sends these events on a best-effort basis: a lost one
only means the wait times out and the check runs when polling would have run it. The event is a
hint, never the truth: the check task still reads the state from AppStream.

Tokens live in the runs table, one partition per signal, one item per subject. Resuming is
idempotent: a second delivery finds nothing to send, and a token already used or timed out is
dropped without error.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from functions.core import clients, dynamo, names
from functions.core.errors import error_code

# The export's AMI changed state (EC2's "EC2 AMI State Change" event).
AMI_STATE = "ami-state"
# The builder agent wrote its result (S3's "Object Created" event for `jobs/<builder>/result.json`).
AGENT_RESULT = "agent-result"
# A token outlives its wait by this much, then the table's TTL may remove it.
TOKEN_TTL_SECONDS = 24 * 3600
# What SendTaskSuccess answers for a token it cannot resume: nothing is waiting for it any more.
_SPENT = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}


def _partition(signal: str) -> str:
    return f"SIGNAL#{signal}"


def store_token(table: str, signal: str, subject: str, token: str, *, now: float) -> None:
    """The wait for `subject` resumes on `signal` with `token` (the newest token of a subject wins)."""
    item = {
        names.PARTITION_KEY: _partition(signal),
        names.SORT_KEY: subject,
        "token": token,
        "stored_at": now,
        names.TTL_ATTRIBUTE: int(now + TOKEN_TTL_SECONDS),
    }
    try:
        clients.dynamodb().put_item(TableName=table, Item=dynamo.serialize(item))
    except ClientError as error:
        raise dynamo.dependency_error(error, f"store the {signal} token of {subject}") from error


def resume(table: str, signal: str, subject: str | None = None) -> list[str]:
    """Resume the waits for `subject` (None: every wait on `signal`); returns the subjects resumed."""
    resumed = []
    for item in _waiting(table, signal, subject):
        if _send(item["token"]):
            resumed.append(str(item[names.SORT_KEY]))
        _forget(table, item)
    return resumed


def _waiting(table: str, signal: str, subject: str | None) -> list[dict[str, Any]]:
    db = clients.dynamodb()
    if subject is not None:
        key = dynamo.serialize({names.PARTITION_KEY: _partition(signal), names.SORT_KEY: subject})
        found = db.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return [dynamo.deserialize(found)] if found else []
    items: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": names.PARTITION_KEY},
        "ExpressionAttributeValues": dynamo.serialize({":pk": _partition(signal)}),
        "ConsistentRead": True,
    }
    while True:
        page = db.query(**arguments)
        items += [dynamo.deserialize(item) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return items
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _send(token: str) -> bool:
    try:
        clients.states().send_task_success(taskToken=token, output=json.dumps({"resumed": True}))
    except ClientError as error:
        if error_code(error) in _SPENT:
            return False
        raise
    return True


def _forget(table: str, item: dict[str, Any]) -> None:
    """Remove a token once sent, unless a newer wait of the same subject has replaced it."""
    key = {names.PARTITION_KEY: item[names.PARTITION_KEY], names.SORT_KEY: item[names.SORT_KEY]}
    try:
        clients.dynamodb().delete_item(
            TableName=table,
            Key=dynamo.serialize(key),
            ConditionExpression="#token = :token",
            ExpressionAttributeNames={"#token": "token"},
            ExpressionAttributeValues=dynamo.serialize({":token": item["token"]}),
        )
    except ClientError as error:
        if not dynamo.is_condition_failure(error):
            raise
