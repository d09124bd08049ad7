"""Run state changes on EventBridge, so other systems react without polling the table."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.core import clients, names
from functions.core.errors import DependencyUnavailable, classify_dependency


def publish_run_change(bus: str, detail: dict[str, Any]) -> None:
    try:
        response = clients.events().put_events(
            Entries=[
                {
                    "Source": names.EVENT_SOURCE,
                    "DetailType": names.EVENT_DETAIL_TYPE_RUN,
                    "Detail": json.dumps(detail, default=str),
                    "EventBusName": bus,
                    "Resources": [detail["execution_arn"]] if detail.get("execution_arn") else [],
                }
            ]
        )
    except (ClientError, BotoCoreError) as error:
        raise classify_dependency(error, "PutEvents") from error
    if response.get("FailedEntryCount"):
        entry = response["Entries"][0]
        raise DependencyUnavailable(f"PutEvents: {entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
