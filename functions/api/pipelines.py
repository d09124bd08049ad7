"""The configured pipelines a `{"pipeline": NAME}` body starts, with the request each stores.

The stack hands them over as JSON, inline (`PIPELINES_CONFIG`) or as an S3 object
(`PIPELINES_CONFIG_URI`, for configurations beyond Lambda's 4 KB of environment):

    {"pipelines": [{"name": "office-desktop", "request": {...}}, ...]}

which is the `pipelines` part of the deployment configuration file; other keys of an
entry (schedules, triggers, description) are ignored here.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, ValidationError

from functions.api.settings import ApiSettings
from functions.core import clients
from functions.core.errors import classify_dependency


class PipelinesConfigError(RuntimeError):
    """The configured pipelines cannot be read: a deployment mistake, not the caller's."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    request: dict[str, Any]


class _Config(BaseModel):
    model_config = ConfigDict(extra="ignore")

    pipelines: list[_Entry] = []


def configured_request(settings: ApiSettings, name: str) -> dict[str, Any] | None:
    """The stored request of pipeline `name` (its `pipeline` set to the name), or None."""
    request = _load(settings.pipelines_config, settings.pipelines_config_uri).get(name)
    return {**request, "pipeline": name} if request is not None else None


@cache
def _load(inline: str | None, uri: str | None) -> dict[str, dict[str, Any]]:
    # Cached per container: the configuration changes only with a deployment.
    text = inline if inline is not None else (_read_s3(uri) if uri else '{"pipelines": []}')
    try:
        config = _Config.model_validate(json.loads(text))
    except (ValueError, ValidationError) as error:
        raise PipelinesConfigError(
            f"the configured pipelines are not valid JSON of the expected shape: {error}"
        ) from None
    return {entry.name: entry.request for entry in config.pipelines}


def _read_s3(uri: str) -> str:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    try:
        body = clients.s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    except (ClientError, BotoCoreError) as error:
        raise classify_dependency(error, f"GetObject {uri}") from error
    return body.decode("utf-8")


def forget() -> None:
    """Read the configuration again on next use (tests, local server restarts)."""
    _load.cache_clear()
